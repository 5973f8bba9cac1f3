// close and what it does to the channel's values and waiters, range-for
// (which ends at close), and the lifetime of values that travel through a
// channel (API.md, "Channels").
//
// Closed row of Go's table: recv returns the buffered values, then nullopt
// at once; send and close throw usage_error naming the operation. close
// wakes every waiter: receivers get nullopt, senders throw and their value
// is not delivered. Waiters are observed parked in stats() before the close
// (the park protocol queues them first), so the test proves that close
// woke them, not that they arrived late.
//
// Values are moved, never copied (move-only T works, including range-for),
// and a value still buffered when the last handle to the channel goes is
// destroyed with it: a counting type checks that, and ASan checks that
// nothing leaks.
#include <atomic>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>

#include "gort/chan.hpp"
#include "gort/errors.hpp"
#include "gort/sched.hpp"
#include "sched/internal/latch.hpp"
#include "support/procs_fixture.hpp"
#include "support/sanitizer.hpp"
#include "support/usage_error.hpp"

namespace {

using gort_test::throws_usage_error;

using gort::wait_reason;
using gort::internal::latch;

class chan_close_test : public gort_test::procs_fixture {};
GORT_INSTANTIATE_PROCS(chan_close_test);

static_assert(std::is_base_of_v<std::logic_error, gort::usage_error>);

std::size_t parked(wait_reason r) {
  return gort_test::parked_for(gort::stats(), r);
}

::testing::AssertionResult all_parked(wait_reason r, std::size_t n) {
  if (gort_test::eventually([&] { return parked(r) >= n; }))
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << parked(r) << " of " << n << " goroutines parked with reason "
         << gort::to_string(r) << "\n"
         << gort_test::describe(gort::stats());
}

// ---- the closed row of the table -----------------------------------------

TEST_P(chan_close_test, closed_channel_drains_then_reports_closed) {
  auto check = [] {
    auto c = gort::make_chan<int>(4);
    c.send(1);
    c.send(2);
    c.close();
    EXPECT_EQ(c.size(), 2u);
    EXPECT_EQ(c.capacity(), 4u);
    EXPECT_TRUE(
        throws_usage_error([&] { c.send(3); }, "send on closed channel"));
    EXPECT_EQ(c.size(), 2u) << "a failed send changed the buffer";
    EXPECT_TRUE(
        throws_usage_error([&] { c.close(); }, "close of closed channel"));
    EXPECT_EQ(c.recv(), 1);
    EXPECT_EQ(c.recv(), 2);
    EXPECT_EQ(c.size(), 0u);
    EXPECT_EQ(c.capacity(), 4u);
    for (int i = 0; i < 3; ++i) EXPECT_EQ(c.recv(), std::nullopt);
    EXPECT_TRUE(throws_usage_error([&] { gort::send_chan<int>(c).send(4); },
                                   "send on closed channel"));
    EXPECT_TRUE(throws_usage_error([&] { gort::send_chan<int>(c).close(); },
                                   "close of closed channel"));
    auto u = gort::make_chan<int>();
    u.close();
    EXPECT_EQ(u.recv(), std::nullopt);
    EXPECT_EQ(gort::recv_chan<int>(u).recv(), std::nullopt);
    EXPECT_TRUE(
        throws_usage_error([&] { u.send(1); }, "send on closed channel"));
  };
  check();  // plain thread
  gort::run(check);
}

TEST_P(chan_close_test, range_for_receives_until_closed_and_drained) {
  constexpr int n = 200;
  for (std::size_t cap : {0u, 1u, 16u}) {
    gort::run([&] {
      auto c = gort::make_chan<int>(cap);
      gort::go([c] {
        for (int i = 0; i < n; ++i) c.send(i);
        c.close();
      });
      std::vector<int> got;
      for (int v : c) got.push_back(v);
      ASSERT_EQ(got.size(), static_cast<std::size_t>(n)) << "capacity " << cap;
      for (int i = 0; i < n; ++i) EXPECT_EQ(got[i], i);
    });
  }
  // Already closed: the buffered values, then the loop ends; through a view.
  auto c = gort::make_chan<int>(3);
  c.send(1);
  c.send(2);
  c.close();
  std::vector<int> got;
  for (int v : gort::recv_chan<int>(c)) got.push_back(v);
  EXPECT_EQ(got, (std::vector<int>{1, 2}));
  for (int v : c) ADD_FAILURE() << "received " << v << " from a drained chan";
}

// ---- close wakes every waiter --------------------------------------------

TEST_P(chan_close_test, close_wakes_every_blocked_receiver_with_nullopt) {
  const std::size_t n = gort_test::scaled(100, 100, 50);
  for (std::size_t cap : {0u, 8u}) {
    SCOPED_TRACE("capacity " + std::to_string(cap));
    gort::run([&] {
      auto c = gort::make_chan<int>(cap);
      std::atomic<int> got_nullopt{0};
      std::atomic<int> got_value{0};
      latch done(static_cast<std::int64_t>(n));
      const std::size_t before = parked(wait_reason::chan_receive);
      for (std::size_t i = 0; i < n; ++i) {
        gort::go([&] {
          (c.recv() ? got_value : got_nullopt).fetch_add(1);
          done.count_down();
        });
      }
      ASSERT_TRUE(all_parked(wait_reason::chan_receive, before + n));
      EXPECT_EQ(got_nullopt.load() + got_value.load(), 0);
      c.close();
      done.wait();
      EXPECT_EQ(got_nullopt.load(), static_cast<int>(n));
      EXPECT_EQ(got_value.load(), 0);
    });
  }
}

// Values sent before the close reach receivers first; only receivers
// beyond them see nullopt.
TEST_P(chan_close_test, receivers_get_buffered_values_before_nullopt) {
  const std::size_t n = gort_test::scaled(100, 100, 50);
  constexpr int k = 10;
  gort::run([&] {
    auto c = gort::make_chan<int>(k);
    for (int i = 0; i < k; ++i) c.send(1000 + i);
    c.close();
    std::atomic<int> got_nullopt{0};
    std::atomic<int> got_value{0};
    std::atomic<int> sum{0};
    latch done(static_cast<std::int64_t>(n));
    for (std::size_t i = 0; i < n; ++i) {
      gort::go([&] {
        if (auto v = c.recv()) {
          got_value.fetch_add(1);
          sum.fetch_add(*v);
        } else {
          got_nullopt.fetch_add(1);
        }
        done.count_down();
      });
    }
    done.wait();
    EXPECT_EQ(got_value.load(), k);
    EXPECT_EQ(sum.load(), k * 1000 + k * (k - 1) / 2);
    EXPECT_EQ(got_nullopt.load(), static_cast<int>(n) - k);
  });
}

// Blocked senders all throw, and their values are not delivered: after the
// close a receiver sees only what was buffered before it.
TEST_P(chan_close_test, close_makes_every_blocked_sender_throw) {
  const std::size_t n = gort_test::scaled(100, 100, 50);
  for (std::size_t cap : {0u, 2u}) {
    SCOPED_TRACE("capacity " + std::to_string(cap));
    gort::run([&] {
      auto c = gort::make_chan<int>(cap);
      for (std::size_t i = 0; i < cap; ++i) c.send(-1);
      std::atomic<int> threw{0};
      std::atomic<int> returned{0};
      std::atomic<int> wrong_message{0};
      latch done(static_cast<std::int64_t>(n));
      const std::size_t before = parked(wait_reason::chan_send);
      for (std::size_t i = 0; i < n; ++i) {
        gort::go([&, i] {
          try {
            c.send(static_cast<int>(i));
            returned.fetch_add(1);
          } catch (const gort::usage_error& e) {
            threw.fetch_add(1);
            if (std::string_view(e.what()).find("send on closed channel") ==
                std::string_view::npos)
              wrong_message.fetch_add(1);
          }
          done.count_down();
        });
      }
      ASSERT_TRUE(all_parked(wait_reason::chan_send, before + n));
      c.close();
      done.wait();
      EXPECT_EQ(threw.load(), static_cast<int>(n));
      EXPECT_EQ(returned.load(), 0);
      EXPECT_EQ(wrong_message.load(), 0);
      for (std::size_t i = 0; i < cap; ++i) EXPECT_EQ(c.recv(), -1);
      EXPECT_EQ(c.recv(), std::nullopt);
    });
  }
}

// Plain threads blocked in recv and send are woken by a close from a
// goroutine too (whether they blocked before it or arrive after it).
TEST_P(chan_close_test, close_wakes_blocked_plain_threads) {
  auto c = gort::make_chan<int>();
  std::atomic<int> nullopts{0};
  std::atomic<int> threw{0};
  std::vector<std::thread> ts;
  for (int i = 0; i < 3; ++i) {
    ts.emplace_back([&] {
      if (!c.recv()) nullopts.fetch_add(1);
    });
    ts.emplace_back([&] {
      try {
        c.send(1);
      } catch (const gort::usage_error&) {
        threw.fetch_add(1);
      }
    });
  }
  gort::run([&] { c.close(); });
  for (auto& t : ts) t.join();
  // A sender and a receiver may have met before the close; then both
  // completed normally.
  EXPECT_EQ(nullopts.load(), threw.load());
  EXPECT_EQ(c.recv(), std::nullopt);
}

// The close happens before a receive that returns nullopt because of it.
TEST_P(chan_close_test, close_happens_before_the_nullopt_receive) {
  gort::run([&] {
    auto c = gort::make_chan<int>();
    int data = 0;  // plain: TSan checks the ordering
    latch done(2);
    for (int i = 0; i < 2; ++i) {
      gort::go([&] {
        EXPECT_EQ(c.recv(), std::nullopt);
        EXPECT_EQ(data, 1);
        done.count_down();
      });
    }
    gort::go([&] {
      data = 1;
      c.close();
    });
    done.wait();
  });
}

// ---- value lifetime ------------------------------------------------------

// counted tracks its live instances; it is move-only and owns heap memory,
// so a value the channel forgets shows up both here and under ASan.
struct counted {
  static inline std::atomic<int> live{0};
  std::unique_ptr<int> p;
  explicit counted(int v) : p(std::make_unique<int>(v)) { live.fetch_add(1); }
  counted(counted&& o) noexcept : p(std::move(o.p)) { live.fetch_add(1); }
  counted& operator=(counted&&) = delete;
  ~counted() { live.fetch_sub(1); }
};

TEST_P(chan_close_test, buffered_values_die_with_the_last_handle) {
  counted::live = 0;
  {
    auto c = gort::make_chan<counted>(8);
    for (int i = 0; i < 5; ++i) c.send(counted(i));
    EXPECT_EQ(counted::live.load(), 5);
    gort::recv_chan<counted> r = c;
    c = gort::chan<counted>();  // a view keeps the channel alive
    EXPECT_EQ(counted::live.load(), 5);
    {
      auto v = r.recv();
      ASSERT_TRUE(v.has_value());
      EXPECT_EQ(*v->p, 0);
    }
    EXPECT_EQ(counted::live.load(), 4);
  }
  EXPECT_EQ(counted::live.load(), 0) << "buffered values leaked";

  // Closed with values left; and a send that throws destroys its value.
  {
    auto c = gort::make_chan<counted>(3);
    c.send(counted(1));
    c.send(counted(2));
    c.close();
    EXPECT_THROW(c.send(counted(3)), gort::usage_error);
    EXPECT_EQ(counted::live.load(), 2);
  }
  EXPECT_EQ(counted::live.load(), 0);

  // Values handed between goroutines, some left behind at the end.
  gort::run([] {
    auto c = gort::make_chan<counted>(4);
    latch done(1);
    // By reference: no handle may outlive run() in the goroutine.
    gort::go([&c, &done] {
      for (int i = 0; i < 20; ++i) c.send(counted(i));
      done.count_down();
    });
    for (int i = 0; i < 16; ++i) EXPECT_EQ(*c.recv()->p, i);
    done.wait();
    EXPECT_EQ(counted::live.load(), 4);
  });
  EXPECT_EQ(counted::live.load(), 0);
}

// Move-only payloads travel by move: the receiver gets the very object the
// sender made, unbuffered or buffered, and range-for moves them out.
TEST_P(chan_close_test, move_only_values_are_moved_not_copied) {
  gort::run([] {
    for (std::size_t cap : {0u, 4u}) {
      auto c = gort::make_chan<std::unique_ptr<int>>(cap);
      constexpr int n = 50;
      std::vector<const int*> addrs(n);
      gort::go([c, &addrs] {
        for (int i = 0; i < n; ++i) {
          auto p = std::make_unique<int>(i);
          addrs[i] = p.get();
          c.send(std::move(p));
        }
        c.close();
      });
      int i = 0;
      for (std::unique_ptr<int> p : c) {
        ASSERT_NE(p, nullptr);
        EXPECT_EQ(*p, i);
        EXPECT_EQ(p.get(), addrs[i]) << "value " << i << " was not moved";
        ++i;
      }
      EXPECT_EQ(i, n) << "capacity " << cap;
    }
  });
}

}  // namespace
