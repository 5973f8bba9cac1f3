// blocking(): a goroutine inside a blocking call gives up its processor, so
// others keep running; and sysmon, which notices such calls and goroutines
// that run too long.
#include <atomic>
#include <chrono>
#include <memory>
#include <semaphore>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

#include "gort/sched.hpp"
#include "sched/internal/latch.hpp"
#include "support/procs_fixture.hpp"
#include "support/sanitizer.hpp"

namespace {

using namespace std::chrono_literals;
using gort::internal::latch;

class blocking_test : public gort_test::procs_fixture {};
GORT_INSTANTIATE_PROCS(blocking_test);

// The blocked call waits, in the kernel, for a semaphore that only the
// other goroutines release, after all of them have finished. So the others
// finish before the blocking call returns by construction, and on one
// processor they can run at all only if the blocked goroutine's processor
// is handed off (at once or by sysmon's retake). The semaphore's timeout is
// the watchdog.
TEST_P(blocking_test, goroutine_in_blocking_call_does_not_stop_others) {
  constexpr int others = 100;
  const auto before = gort::stats();
  std::binary_semaphore others_finished{0};
  std::atomic<bool> in_call{false};
  std::atomic<bool> call_returned{false};
  std::atomic<int> finished_while_blocked{0};
  bool timed_out = false;
  gort::run([&] {
    latch done(others + 1);
    gort::go([&] {
      timed_out = !gort::blocking([&] {
        in_call = true;
        return others_finished.try_acquire_for(gort_test::watchdog);
      });
      call_returned = true;
      done.count_down();
    });
    while (!in_call.load()) gort::yield();
    latch others_done(others);
    for (int i = 0; i < others; ++i) {
      gort::go([&] {
        gort_test::spin_for(20us);
        gort::yield();
        if (!call_returned.load()) finished_while_blocked.fetch_add(1);
        others_done.count_down();
        done.count_down();
      });
    }
    others_done.wait();
    others_finished.release();
    done.wait();
  });
  const auto after = gort::stats();
  EXPECT_FALSE(timed_out) << "others never ran while one goroutine blocked\n"
                          << gort_test::describe(after);
  EXPECT_EQ(finished_while_blocked.load(), others);
  // With more processors the others may simply run elsewhere, and nothing
  // needs handing off; on one processor the P must have changed hands.
  if (procs() == 1) {
    EXPECT_GT(after.retakes + after.handoffs, before.retakes + before.handoffs)
        << gort_test::describe(after);
  }
}

// The version: a blocking call that just sleeps 300 ms in the
// kernel. Others complete their work while it sleeps.
TEST_P(blocking_test,
       goroutine_sleeping_in_blocking_call_does_not_stop_others) {
  if (procs() != 1) GTEST_SKIP() << "the interesting case is one processor";
  constexpr int others = 50;
  std::atomic<bool> in_call{false};
  std::atomic<bool> call_returned{false};
  std::atomic<int> finished_before_return{0};
  gort::run([&] {
    latch done(others + 1);
    gort::go([&] {
      gort::blocking([&] {
        in_call = true;
        std::this_thread::sleep_for(300ms);
      });
      call_returned = true;
      done.count_down();
    });
    while (!in_call.load()) gort::yield();
    for (int i = 0; i < others; ++i) {
      gort::go([&] {
        if (!call_returned.load()) finished_before_return.fetch_add(1);
        done.count_down();
      });
    }
    done.wait();
  });
  // Time-dependent by nature (the wording): 50 trivial goroutines
  // need far less than 300 ms once the processor is handed off.
  EXPECT_EQ(finished_before_return.load(), others);
}

TEST_P(blocking_test, returns_value_and_propagates_exceptions) {
  auto check = [] {
    EXPECT_EQ(gort::blocking([] { return 5; }), 5);
    auto p = gort::blocking([] { return std::make_unique<int>(6); });
    EXPECT_EQ(*p, 6);
    EXPECT_THROW(
        gort::blocking([]() -> int { throw std::runtime_error("io"); }),
        std::runtime_error);
    int side = 0;
    gort::blocking([&] { side = 1; });
    EXPECT_EQ(side, 1);
  };
  gort::run([&] { check(); });  // on a goroutine
  check();                      // on a plain thread
}

TEST_P(blocking_test, goroutine_continues_normally_after_blocking_throws) {
  gort::run([] {
    for (int i = 0; i < 100; ++i) {
      try {
        gort::blocking([] { throw std::runtime_error("x"); });
      } catch (const std::runtime_error&) {
      }
      gort::yield();
    }
    latch done(1);
    gort::go([&] { done.count_down(); });
    done.wait();
  });
}

TEST_P(blocking_test, blocking_call_may_spawn_goroutines) {
  std::atomic<int> ran{0};
  gort::run([&] {
    latch done(10);
    gort::blocking([&] {
      for (int i = 0; i < 10; ++i) {
        gort::go([&] {
          ran.fetch_add(1);
          done.count_down();
        });
      }
    });
    done.wait();
  });
  EXPECT_EQ(ran.load(), 10);
}

TEST_P(blocking_test, many_goroutines_block_at_once) {
  constexpr int blockers = 16;
  constexpr int others = 200;
  std::atomic<int> ran{0};
  gort::run([&] {
    latch done(blockers + others);
    for (int i = 0; i < blockers; ++i) {
      gort::go([&] {
        gort::blocking([] { std::this_thread::sleep_for(20ms); });
        ran.fetch_add(1);
        done.count_down();
      });
    }
    for (int i = 0; i < others; ++i) {
      gort::go([&] {
        gort::yield();
        ran.fetch_add(1);
        done.count_down();
      });
    }
    done.wait();
  });
  EXPECT_EQ(ran.load(), blockers + others);
}

// stats() shows a goroutine inside blocking() while it is there.
TEST_P(blocking_test, stats_show_goroutine_in_blocking_call) {
  std::binary_semaphore leave{0};
  std::atomic<bool> in_call{false};
  bool seen = false;
  gort::run([&] {
    latch done(1);
    gort::go([&] {
      gort::blocking([&] {
        in_call = true;
        (void)leave.try_acquire_for(gort_test::watchdog);
      });
      done.count_down();
    });
    seen = gort_test::eventually([] {
      const auto s = gort::stats();
      return s.in_blocking >= 1 && s.blocking_threads >= 1;
    });
    leave.release();
    done.wait();
  });
  EXPECT_TRUE(seen) << gort_test::describe(gort::stats());
}

// sysmon counts a goroutine slice over 10 ms. The busy loop runs at least
// 50 ms and then until the counter moves, bounded by the watchdog.
TEST_P(blocking_test, sysmon_counts_goroutine_running_without_yielding) {
  const auto before = gort::stats().long_running;
  std::uint64_t after = before;
  gort::run([&] {
    latch done(1);
    gort::go([&] {
      gort_test::spin_for(50ms);
      const auto deadline =
          std::chrono::steady_clock::now() + gort_test::watchdog;
      while (gort::stats().long_running == before &&
             std::chrono::steady_clock::now() < deadline) {
        gort_test::spin_for(1ms);
      }
      done.count_down();
    });
    done.wait();
    after = gort::stats().long_running;
  });
  EXPECT_GT(after, before) << gort_test::describe(gort::stats());
}

// A goroutine that never yields does not stop the others when there are
// other processors; on one processor they run after it.
TEST_P(blocking_test, busy_goroutine_does_not_stop_others_on_other_procs) {
  if (procs() < 2) GTEST_SKIP() << "needs a second processor";
  std::atomic<bool> others_done{false};
  std::atomic<bool> gave_up{false};
  gort::run([&] {
    latch done(2);
    gort::go([&] {
      const auto deadline =
          std::chrono::steady_clock::now() + gort_test::watchdog;
      while (!others_done.load()) {  // no yield
        if (std::chrono::steady_clock::now() > deadline) {
          gave_up = true;
          break;
        }
      }
      done.count_down();
    });
    gort::go([&] {
      others_done = true;
      done.count_down();
    });
    done.wait();
  });
  EXPECT_FALSE(gave_up.load()) << gort_test::describe(gort::stats());
}

}  // namespace
