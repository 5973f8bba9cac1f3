// Go's channel table for open and nil channels, FIFO order, direct
// hand-off, and the send-only and receive-only views (API.md, "Channels").
//
// Blocking is observed, not timed: a goroutine that should block is seen
// parked in stats() with the channel's wait reason, and it is queued on the
// channel before it shows up there (the park protocol releases the
// channel's lock only after the status is `waiting`). So spawning waiters
// one at a time, each waited for until parked, queues them in a known
// order at any processor count. A goroutine blocked for ever on a nil
// channel would fail the fixture's leak check, so those run in a death-test
// child that exits once it has seen them parked.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "gort/chan.hpp"
#include "gort/errors.hpp"
#include "gort/sched.hpp"
#include "gort/select.hpp"
#include "sched/internal/latch.hpp"
#include "support/procs_fixture.hpp"
#include "support/sanitizer.hpp"
#include "support/usage_error.hpp"

namespace {

using gort_test::throws_usage_error;

using namespace std::chrono_literals;
using gort::wait_reason;
using gort::internal::latch;

class chan_semantics_test : public gort_test::procs_fixture {};
GORT_INSTANTIATE_PROCS(chan_semantics_test);

std::size_t parked(wait_reason r) {
  return gort_test::parked_for(gort::stats(), r);
}

// spawn_parked starts fn on a goroutine and returns once one more goroutine
// than before is parked with reason r: fn's, which is then queued.
template <class F>
::testing::AssertionResult spawn_parked(wait_reason r, F fn) {
  const std::size_t before = parked(r);
  gort::go(std::move(fn));
  if (gort_test::eventually([&] { return parked(r) > before; }))
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "goroutine never parked with reason " << gort::to_string(r) << "\n"
         << gort_test::describe(gort::stats());
}

// ---- nil channel ---------------------------------------------------------

TEST_P(chan_semantics_test, nil_channel_has_size_and_capacity_zero) {
  gort::chan<int> c;
  gort::send_chan<int> s;
  gort::recv_chan<int> r;
  EXPECT_TRUE(c.nil());
  EXPECT_TRUE(s.nil());
  EXPECT_TRUE(r.nil());
  EXPECT_EQ(c.size(), 0u);
  EXPECT_EQ(c.capacity(), 0u);
  EXPECT_EQ(s.capacity(), 0u);
  EXPECT_EQ(r.size(), 0u);
  EXPECT_FALSE(gort::make_chan<int>().nil());
  EXPECT_TRUE(c == gort::chan<int>()) << "nil channels are all the same";
}

TEST_P(chan_semantics_test, close_of_nil_channel_throws) {
  gort::chan<int> c;
  gort::send_chan<int> s;
  EXPECT_TRUE(throws_usage_error([&] { c.close(); }, "close of nil channel"));
  EXPECT_TRUE(throws_usage_error([&] { s.close(); }, "close of nil channel"));
  gort::run([&] {
    EXPECT_TRUE(throws_usage_error([&] { c.close(); }, "close of nil channel"));
  });
}

// A nil channel is never ready: a select with a default takes the default,
// on a goroutine and on a plain thread.
TEST_P(chan_semantics_test, nil_channel_is_never_ready_in_select) {
  gort::chan<int> c;
  auto check = [&] {
    EXPECT_EQ(gort::select(gort::case_recv(c), gort::case_default()), 1u);
    EXPECT_EQ(gort::select(gort::case_send(c, 1), gort::case_default()), 1u);
  };
  check();
  gort::run(check);
}

// The child parks goroutines and blocks plain threads on nil channels
// through every handle type, checks that the goroutines are parked with
// Go's nil-channel reasons, and that nothing has returned a while later.
[[noreturn]] void nil_blocks_forever_child() {
  gort::set_maxprocs(4);
  static std::atomic<int> returned{0};
  static gort::chan<int> c;
  gort::go([] {
    (void)c.recv();
    ++returned;
  });
  gort::go([] {
    c.send(1);
    ++returned;
  });
  gort::go([] {
    (void)gort::recv_chan<int>(c).recv();
    ++returned;
  });
  gort::go([] {
    gort::send_chan<int>(c).send(2);
    ++returned;
  });
  gort::go([] {
    for (int v : c) (void)v;
    ++returned;
  });
  std::thread([] {
    (void)c.recv();
    ++returned;
  }).detach();
  std::thread([] {
    c.send(3);
    ++returned;
  }).detach();
  const bool all_parked = gort_test::eventually(
      [] {
        const auto s = gort::stats();
        return gort_test::parked_for(s, wait_reason::chan_receive_nil) == 3 &&
               gort_test::parked_for(s, wait_reason::chan_send_nil) == 2;
      },
      30s);
  std::this_thread::sleep_for(100ms);  // time for a wrong wake-up to show
  if (!all_parked) {
    std::fprintf(stderr, "not parked on nil channel\n%s\n",
                 gort_test::describe(gort::stats()).c_str());
    std::_Exit(1);
  }
  if (returned.load() != 0) {
    std::fprintf(stderr, "%d operations on a nil channel returned\n",
                 returned.load());
    std::_Exit(1);
  }
  std::_Exit(0);
}

TEST(chan_nil_death_test, send_and_recv_on_nil_channel_block_forever) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(nil_blocks_forever_child(), ::testing::ExitedWithCode(0), "");
}

// ---- open channel --------------------------------------------------------

// Open and empty: recv blocks until a send, buffered or not.
TEST_P(chan_semantics_test, recv_on_empty_channel_blocks_until_send) {
  for (std::size_t cap : {0u, 3u}) {
    SCOPED_TRACE("capacity " + std::to_string(cap));
    gort::run([&] {
      auto c = gort::make_chan<int>(cap);
      std::atomic<bool> got{false};
      std::optional<int> v;
      latch done(1);
      ASSERT_TRUE(spawn_parked(wait_reason::chan_receive, [&] {
        v = c.recv();
        got = true;
        done.count_down();
      }));
      EXPECT_FALSE(got.load()) << "recv returned from an empty channel";
      EXPECT_EQ(c.size(), 0u);
      c.send(7);
      done.wait();
      EXPECT_EQ(v, 7);
    });
  }
}

// Open and not full: sends return at once; size counts them up to capacity.
// Open and full: the next send blocks until a recv makes room.
TEST_P(chan_semantics_test, send_blocks_only_when_buffer_is_full) {
  gort::run([&] {
    auto c = gort::make_chan<int>(3);
    EXPECT_EQ(c.capacity(), 3u);
    EXPECT_EQ(c.size(), 0u);
    for (int i = 1; i <= 3; ++i) {
      c.send(i);  // would hang the test if it blocked
      EXPECT_EQ(c.size(), static_cast<std::size_t>(i));
    }
    EXPECT_EQ(parked(wait_reason::chan_send), 0u);
    std::atomic<bool> sent{false};
    latch done(1);
    ASSERT_TRUE(spawn_parked(wait_reason::chan_send, [&] {
      c.send(4);
      sent = true;
      done.count_down();
    }));
    EXPECT_FALSE(sent.load()) << "send on a full channel returned";
    EXPECT_EQ(c.size(), 3u);
    EXPECT_EQ(c.recv(), 1);
    done.wait();
    EXPECT_EQ(c.size(), 3u);
    for (int i = 2; i <= 4; ++i) EXPECT_EQ(c.recv(), i);
    EXPECT_EQ(c.size(), 0u);
  });
}

// Unbuffered: the sender stays parked until a receiver takes the value, and
// what the receiver did before its recv is visible to the sender once send
// returns (the receive completes before the send does), whichever party
// arrives first.
TEST_P(chan_semantics_test, unbuffered_send_completes_only_when_received) {
  gort::run([&] {
    auto c = gort::make_chan<int>();
    EXPECT_EQ(c.capacity(), 0u);
    int note = 0;  // plain data: TSan checks the ordering
    std::atomic<bool> sent{false};
    latch done(1);
    ASSERT_TRUE(spawn_parked(wait_reason::chan_send, [&] {
      c.send(11);
      sent = true;
      EXPECT_EQ(note, 42) << "send returned before the receive began";
      done.count_down();
    }));
    EXPECT_FALSE(sent.load()) << "unbuffered send returned with no receiver";
    EXPECT_EQ(c.size(), 0u);
    note = 42;
    EXPECT_EQ(c.recv(), 11);
    done.wait();

    // Receiver first.
    int note2 = 0;
    latch done2(1);
    ASSERT_TRUE(spawn_parked(wait_reason::chan_receive, [&] {
      note2 = 43;
      EXPECT_EQ(c.recv(), 12);
      done2.count_down();
    }));
    c.send(12);
    EXPECT_EQ(note2, 43);
    done2.wait();
  });
}

// A send to a buffered channel with a receiver waiting goes straight to the
// receiver: the buffer stays empty. (At one processor the receiver has not
// even run yet when size() is read.)
TEST_P(chan_semantics_test, send_to_waiting_receiver_bypasses_buffer) {
  gort::run([&] {
    auto c = gort::make_chan<int>(4);
    constexpr int n = 3;
    std::vector<std::optional<int>> got(n);
    latch done(n);
    for (int i = 0; i < n; ++i) {
      ASSERT_TRUE(spawn_parked(wait_reason::chan_receive, [&, i] {
        got[i] = c.recv();
        done.count_down();
      }));
    }
    for (int i = 0; i < n; ++i) {
      c.send(100 + i);
      EXPECT_EQ(c.size(), 0u) << "value went through the buffer";
    }
    done.wait();
    for (int i = 0; i < n; ++i) EXPECT_EQ(got[i], 100 + i);
  });
}

// ---- FIFO ----------------------------------------------------------------

// The buffer is a queue, also across the ring's wrap-around.
TEST_P(chan_semantics_test, buffer_is_fifo) {
  auto c = gort::make_chan<int>(5);
  int next_send = 0;
  int next_recv = 0;
  for (int round = 0; round < 50; ++round) {
    for (int i = 0; i <= round % 5 && c.size() < c.capacity(); ++i)
      c.send(next_send++);
    for (int i = 0; i <= (round * 3) % 5 && c.size() > 0; ++i)
      ASSERT_EQ(c.recv(), next_recv++);
  }
  while (c.size() > 0) ASSERT_EQ(c.recv(), next_recv++);
  EXPECT_EQ(next_recv, next_send);
  EXPECT_GT(next_send, 5) << "the ring never wrapped";
}

// Receivers queued in a known order get the values in that order: a send
// to a waiting receiver picks the longest-waiting one.
TEST_P(chan_semantics_test, waiting_receivers_are_served_fifo) {
  const int n = static_cast<int>(gort_test::scaled(40, 20, 10));
  for (std::size_t cap : {0u, 2u}) {
    SCOPED_TRACE("capacity " + std::to_string(cap));
    gort::run([&] {
      auto c = gort::make_chan<int>(cap);
      std::vector<std::optional<int>> got(n);
      latch done(n);
      for (int i = 0; i < n; ++i) {
        ASSERT_TRUE(spawn_parked(wait_reason::chan_receive, [&, i] {
          got[i] = c.recv();
          done.count_down();
        }));
      }
      for (int i = 0; i < n; ++i) c.send(i);
      done.wait();
      for (int i = 0; i < n; ++i) EXPECT_EQ(got[i], i) << "receiver " << i;
    });
  }
}

// Senders queued in a known order deliver in that order. On a full buffer
// a recv takes the head and moves the first waiting sender's value into
// the freed slot, so the buffer stays full while senders wait.
TEST_P(chan_semantics_test, waiting_senders_are_served_fifo) {
  const int n = static_cast<int>(gort_test::scaled(40, 20, 10));
  for (std::size_t cap : {0u, 3u}) {
    SCOPED_TRACE("capacity " + std::to_string(cap));
    gort::run([&] {
      auto c = gort::make_chan<int>(cap);
      for (std::size_t i = 0; i < cap; ++i) c.send(-1 - static_cast<int>(i));
      latch done(n);
      for (int i = 0; i < n; ++i) {
        ASSERT_TRUE(spawn_parked(wait_reason::chan_send, [&, i] {
          c.send(i);
          done.count_down();
        }));
      }
      for (std::size_t i = 0; i < cap; ++i) {
        EXPECT_EQ(c.recv(), -1 - static_cast<int>(i));
        EXPECT_EQ(c.size(), cap) << "a waiting sender did not refill the slot";
      }
      for (int i = 0; i < n; ++i) {
        EXPECT_EQ(c.recv(), i);
        const std::size_t left = static_cast<std::size_t>(n - 1 - i);
        EXPECT_EQ(c.size(), std::min(cap, left));
      }
      done.wait();
      // The ring is still consistent after the refills.
      for (std::size_t i = 0; i < cap; ++i) c.send(n + static_cast<int>(i));
      for (std::size_t i = 0; i < cap; ++i)
        EXPECT_EQ(c.recv(), n + static_cast<int>(i));
    });
  }
}

// ---- views ---------------------------------------------------------------

TEST_P(chan_semantics_test, views_refer_to_the_same_channel) {
  auto c = gort::make_chan<int>(2);
  auto other = gort::make_chan<int>(2);
  gort::chan<int> copy = c;
  gort::send_chan<int> s = c;
  gort::recv_chan<int> r = copy;
  gort::send_chan<int> s2 = s;
  gort::recv_chan<int> r2 = r;
  EXPECT_TRUE(copy == c);
  EXPECT_FALSE(c == other);
  EXPECT_TRUE(s == gort::send_chan<int>(c));
  EXPECT_TRUE(s2 == s);
  EXPECT_TRUE(r == gort::recv_chan<int>(c));
  EXPECT_TRUE(r2 == r);
  EXPECT_FALSE(s == gort::send_chan<int>(other));
  EXPECT_FALSE(r == gort::recv_chan<int>(other));
  EXPECT_FALSE(s == gort::send_chan<int>()) << "a view of c is not nil";
  EXPECT_EQ(s.capacity(), 2u);
  EXPECT_EQ(r.capacity(), 2u);
  s2.send(5);
  EXPECT_EQ(r.size(), 1u);
  EXPECT_EQ(c.size(), 1u);
  EXPECT_EQ(other.size(), 0u);
  gort::run([&] {
    EXPECT_EQ(gort::select(gort::case_send(s, 6), gort::case_default()), 0u);
    std::optional<int> v;
    gort::select(gort::case_recv(r2, [&](std::optional<int> x) { v = x; }));
    EXPECT_EQ(v, 5);
  });
  EXPECT_EQ(r.recv(), 6);
  s.close();
  EXPECT_EQ(r2.recv(), std::nullopt);
  EXPECT_TRUE(
      throws_usage_error([&] { c.close(); }, "close of closed channel"));
}

}  // namespace
