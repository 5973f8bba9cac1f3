// Channels between plain threads and goroutines, the memory ordering a
// channel gives, and a seeded stress test of send, recv and close.
//
// Every call works from a goroutine (which parks) and from a plain thread
// (which blocks in the kernel), in any mix (API.md, conventions). Values go
// thread -> goroutine, goroutine -> thread and thread -> thread, with the
// runtime running and, in a death-test child, before run() is ever called.
//
// Ordering is checked on plain, non-atomic data written before a send and
// read after the matching recv: TSan reports a race if the channel does not
// order them, and the data checks catch it elsewhere. Go's memory model
// rules are tested as programs use them: a ping-pong of a shared buffer,
// and a channel of capacity 1 used as a lock.
//
// The stress test hammers a few channels of random capacities from
// goroutines and threads with sends, receives and racing closes; every
// value whose send returned is received exactly once, every value whose
// send threw is not, and exactly one close of each channel succeeds.
// GORT_TEST_SEED=<seed> repeats a run's choices.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "gort/chan.hpp"
#include "gort/errors.hpp"
#include "gort/sched.hpp"
#include "sched/internal/latch.hpp"
#include "support/procs_fixture.hpp"
#include "support/sanitizer.hpp"
#include "support/seed.hpp"

namespace {

using gort::internal::latch;

class chan_threads_test : public gort_test::procs_fixture {};
GORT_INSTANTIATE_PROCS(chan_threads_test);

// pass_values sends 0..n-1 on c; expect_values receives them in order and
// then nullopt.
void pass_values(const gort::chan<int>& c, int n) {
  for (int i = 0; i < n; ++i) c.send(i);
  c.close();
}
void expect_values(const gort::chan<int>& c, int n) {
  for (int i = 0; i < n; ++i) ASSERT_EQ(c.recv(), i);
  EXPECT_EQ(c.recv(), std::nullopt);
}

constexpr std::size_t capacities[] = {0, 1, 8};

TEST_P(chan_threads_test, thread_to_goroutine) {
  const int n = static_cast<int>(gort_test::scaled(2'000, 500));
  for (std::size_t cap : capacities) {
    auto c = gort::make_chan<int>(cap);
    std::thread t([&] { pass_values(c, n); });
    gort::run([&] { expect_values(c, n); });
    t.join();
  }
}

TEST_P(chan_threads_test, goroutine_to_thread) {
  const int n = static_cast<int>(gort_test::scaled(2'000, 500));
  for (std::size_t cap : capacities) {
    auto c = gort::make_chan<int>(cap);
    std::thread t([&] { expect_values(c, n); });
    gort::run([&] { pass_values(c, n); });
    t.join();
  }
}

// On a plain thread, with no goroutine involved, sends to a channel with
// room return without a receiver.
TEST_P(chan_threads_test, plain_thread_sends_to_buffer_without_receiver) {
  auto c = gort::make_chan<int>(4);
  std::thread([&] {
    for (int i = 0; i < 4; ++i) c.send(i);
  }).join();
  EXPECT_EQ(c.size(), 4u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(c.recv(), i);
}

// Two plain threads exchange through gort channels while the runtime runs
// goroutines that do the same beside them.
TEST_P(chan_threads_test, thread_to_thread_with_runtime_running) {
  const int n = static_cast<int>(gort_test::scaled(2'000, 500));
  for (std::size_t cap : capacities) {
    auto tc = gort::make_chan<int>(cap);
    auto gc = gort::make_chan<int>(cap);
    auto threads_done = gort::make_chan<int>(2);
    gort::run([&] {
      latch goroutines_done(1);
      gort::go([&] {
        expect_values(gc, n);
        goroutines_done.count_down();
      });
      gort::go([&] { pass_values(gc, n); });
      std::thread a([&] {
        expect_values(tc, n);
        threads_done.send(1);
      });
      std::thread b([&] {
        pass_values(tc, n);
        threads_done.send(2);
      });
      // The main goroutine waits on the threads through a channel.
      EXPECT_EQ(
          threads_done.recv().value_or(0) + threads_done.recv().value_or(0), 3);
      goroutines_done.wait();
      a.join();
      b.join();
    });
  }
}

// A relay over unbuffered channels: thread -> goroutine -> thread ->
// goroutine -> goroutine -> main goroutine, each adding one.
TEST_P(chan_threads_test, relay_through_threads_and_goroutines) {
  const int n = static_cast<int>(gort_test::scaled(1'000, 300));
  std::vector<gort::chan<int>> hop;
  for (int i = 0; i < 5; ++i) hop.push_back(gort::make_chan<int>());
  auto relay = [&](int i) {
    for (int v : hop[i]) hop[i + 1].send(v + 1);
    hop[i + 1].close();
  };
  std::thread first([&] { pass_values(hop[0], n); });
  std::thread third([&] { relay(1); });
  gort::run([&] {
    gort::go([&] { relay(0); });
    gort::go([&] { relay(2); });
    gort::go([&] { relay(3); });
    for (int i = 0; i < n; ++i) ASSERT_EQ(hop[4].recv(), i + 4);
    EXPECT_EQ(hop[4].recv(), std::nullopt);
  });
  first.join();
  third.join();
}

// The child has never started the runtime: plain threads exchange values,
// block on an empty channel and are woken by close.
[[noreturn]] void threads_before_run_child() {
  auto c = gort::make_chan<int>();
  auto b = gort::make_chan<int>(2);
  std::thread t([&] {
    for (int i = 0; i < 100; ++i) c.send(i);
    b.send(7);
    b.close();
  });
  for (int i = 0; i < 100; ++i) {
    if (c.recv() != i) std::_Exit(1);
  }
  std::thread u([&] {
    if (c.recv() != std::nullopt) std::_Exit(2);
  });
  // Not synchronisation: u is right whether it blocks before the close or
  // arrives after it; the pause only makes the first case the usual one.
  std::this_thread::sleep_for(std::chrono::milliseconds(10));
  c.close();
  u.join();
  t.join();
  if (b.recv() != 7 || b.recv() != std::nullopt) std::_Exit(3);
  std::_Exit(0);
}

TEST(chan_threads_death_test, plain_threads_use_channels_before_run) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(threads_before_run_child(), ::testing::ExitedWithCode(0), "");
}

// ---- happens-before ------------------------------------------------------

// ping_pong passes one plain buffer back and forth: each side reads what
// the other wrote before its send, then writes it anew.
struct shared_buffer {
  int words[16] = {};
};

void ping_pong_side(const gort::chan<int>& in, const gort::chan<int>& out,
                    shared_buffer& buf, int rounds, bool first, int& bad) {
  for (int r = 0; r < rounds; ++r) {
    if (!first || r > 0) {
      const std::optional<int> token = in.recv();
      if (!token) return;
      for (int w : buf.words) bad += w != *token ? 1 : 0;
    }
    const int token = 2 * r + (first ? 1 : 2);
    for (int& w : buf.words) w = token;
    out.send(token);
  }
  if (!first) return;
  const std::optional<int> last = in.recv();
  if (last)
    for (int w : buf.words) bad += w != *last ? 1 : 0;
}

TEST_P(chan_threads_test, send_happens_before_recv_completes) {
  const int rounds = static_cast<int>(gort_test::scaled(2'000, 500));
  // 0: two goroutines; 1: goroutine and thread; 2: two threads.
  for (int mode = 0; mode < 3; ++mode) {
    for (std::size_t cap : {0u, 1u}) {
      SCOPED_TRACE("mode " + std::to_string(mode) + " capacity " +
                   std::to_string(cap));
      auto ab = gort::make_chan<int>(cap);
      auto ba = gort::make_chan<int>(cap);
      shared_buffer buf;
      int bad_a = 0, bad_b = 0;
      auto a = [&] { ping_pong_side(ba, ab, buf, rounds, true, bad_a); };
      auto b = [&] { ping_pong_side(ab, ba, buf, rounds, false, bad_b); };
      std::vector<std::thread> ts;
      if (mode >= 1) ts.emplace_back(b);
      if (mode == 2) ts.emplace_back(a);
      gort::run([&] {
        latch done(1);
        if (mode == 0)
          gort::go([&] {
            b();
            done.count_down();
          });
        if (mode <= 1) a();
        if (mode == 0) done.wait();
      });
      for (auto& t : ts) t.join();
      EXPECT_EQ(bad_a + bad_b, 0) << "a side read stale data";
    }
  }
}

// Go's rule for buffered channels: the k-th receive happens before the
// (k+C)-th send completes, so a channel of capacity 1 is a lock. The
// counter is plain data.
TEST_P(chan_threads_test, capacity_one_channel_is_a_lock) {
  const int workers = 8;
  const int iters = static_cast<int>(gort_test::scaled(5'000, 2'000, 1'000));
  auto lock = gort::make_chan<int>(1);
  long counter = 0;
  std::thread t([&] {
    for (int i = 0; i < iters; ++i) {
      lock.send(0);
      ++counter;
      (void)lock.recv();
    }
  });
  gort::run([&] {
    latch done(workers);
    for (int w = 0; w < workers; ++w) {
      gort::go([&] {
        for (int i = 0; i < iters; ++i) {
          lock.send(0);
          ++counter;
          (void)lock.recv();
        }
        done.count_down();
      });
    }
    done.wait();
  });
  t.join();
  EXPECT_EQ(counter, static_cast<long>(workers + 1) * iters);
}

// ---- stress ---------------------------------------------------------------

struct chan_totals {
  std::atomic<std::uint64_t> sent_count{0}, sent_sum{0}, sent_hash{0};
  std::atomic<std::uint64_t> recv_count{0}, recv_sum{0}, recv_hash{0};
  std::atomic<std::uint64_t> successful_sends{0};  // triggers the close
  std::atomic<int> closes{0};
  std::uint64_t close_at = 0;  // close after this many successful sends
};

TEST_P(chan_threads_test, stress_send_recv_close) {
  const std::uint64_t seed = gort_test::test_seed();
  const int rounds = static_cast<int>(gort_test::scaled(6, 3, 2));
  const int per_producer =
      static_cast<int>(gort_test::scaled(10'000, 2'000, 800));
  constexpr int nchan = 3, go_producers = 5, go_consumers = 5;
  constexpr std::size_t cap_choices[] = {0, 1, 2, 5, 32};
  for (int round = 0; round < rounds; ++round) {
    std::mt19937_64 rng(
        gort_test::mix(seed + static_cast<std::uint64_t>(round)));
    std::vector<gort::chan<std::uint64_t>> chans;
    std::vector<chan_totals> totals(nchan);
    for (int k = 0; k < nchan; ++k) {
      chans.push_back(gort::make_chan<std::uint64_t>(cap_choices[rng() % 5]));
      // Some close mid-stream, some only after every producer is done.
      const std::uint64_t all = std::uint64_t{go_producers + 1} * per_producer;
      totals[k].close_at = 1 + rng() % (all + all / 2);
    }
    auto try_close = [&](int k) {
      try {
        chans[k].close();
        totals[k].closes.fetch_add(1);
      } catch (const gort::usage_error&) {
      }
    };
    auto producer = [&](int k, std::uint64_t id) {
      chan_totals& t = totals[k];
      for (std::uint64_t i = 0; i < static_cast<std::uint64_t>(per_producer);
           ++i) {
        const std::uint64_t v = (id << 32) | i;
        try {
          chans[k].send(v);
        } catch (const gort::usage_error&) {
          return;  // closed: v was not delivered
        }
        t.sent_count.fetch_add(1);
        t.sent_sum.fetch_add(v);
        t.sent_hash.fetch_add(gort_test::mix(v));
        if (t.successful_sends.fetch_add(1) + 1 == t.close_at) try_close(k);
      }
    };
    auto consumer = [&](int k) {
      chan_totals& t = totals[k];
      while (std::optional<std::uint64_t> v = chans[k].recv()) {
        t.recv_count.fetch_add(1);
        t.recv_sum.fetch_add(*v);
        t.recv_hash.fetch_add(gort_test::mix(*v));
      }
    };
    std::vector<std::thread> ts;
    latch produced(nchan * (go_producers + 1));
    latch consumed(nchan * (go_consumers + 1));
    gort::run([&] {
      std::uint64_t id = 0;
      for (int k = 0; k < nchan; ++k) {
        for (int p = 0; p < go_producers; ++p)
          gort::go([&, k, me = id++] {
            producer(k, me);
            produced.count_down();
          });
        for (int c = 0; c < go_consumers; ++c)
          gort::go([&, k] {
            consumer(k);
            consumed.count_down();
          });
        ts.emplace_back([&, k, me = id++] {
          producer(k, me);
          produced.count_down();
        });
        ts.emplace_back([&, k] {
          consumer(k);
          consumed.count_down();
        });
      }
      produced.wait();
      // Racing closers, on a goroutine and a thread: at most one of them
      // (and of the producer that hit close_at) succeeds.
      latch closed(nchan);
      for (int k = 0; k < nchan; ++k) {
        gort::go([&, k] { try_close(k), closed.count_down(); });
        ts.emplace_back([&, k] { try_close(k); });
      }
      closed.wait();
      consumed.wait();
    });
    for (auto& t : ts) t.join();
    for (int k = 0; k < nchan; ++k) {
      SCOPED_TRACE("round " + std::to_string(round) + " channel " +
                   std::to_string(k) + " capacity " +
                   std::to_string(chans[k].capacity()));
      const chan_totals& t = totals[k];
      EXPECT_EQ(t.closes.load(), 1) << "successful closes";
      EXPECT_EQ(t.recv_count.load(), t.sent_count.load());
      EXPECT_EQ(t.recv_sum.load(), t.sent_sum.load());
      EXPECT_EQ(t.recv_hash.load(), t.sent_hash.load());
      EXPECT_EQ(chans[k].size(), 0u);
    }
  }
}

}  // namespace
