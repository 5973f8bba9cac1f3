// yield(): a yielding goroutine goes to the tail of its run queue, so it
// never starves the others, even on one processor.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "gort/sched.hpp"
#include "sched/internal/latch.hpp"
#include "support/procs_fixture.hpp"
#include "support/sanitizer.hpp"

namespace {

using gort::internal::latch;
using clock_type = std::chrono::steady_clock;

class yield_test : public gort_test::procs_fixture {};
GORT_INSTANTIATE_PROCS(yield_test);

// A spinner yields until a flag that another goroutine sets; with one
// processor the setter runs only if yield really lets it. The deadline is
// a watchdog: a starving scheduler makes the spinner give up.
TEST_P(yield_test, yield_loop_does_not_starve_others) {
  std::atomic<bool> flag{false};
  std::atomic<bool> gave_up{false};
  gort::run([&] {
    latch done(2);
    gort::go([&] {
      const auto deadline = clock_type::now() + gort_test::watchdog;
      while (!flag.load()) {
        if (clock_type::now() > deadline) {
          gave_up = true;
          break;
        }
        gort::yield();
      }
      done.count_down();
    });
    gort::go([&] {
      flag = true;
      done.count_down();
    });
    done.wait();
  });
  EXPECT_TRUE(flag.load());
  EXPECT_FALSE(gave_up.load()) << "the spinner starved the setter";
}

// Many spinners, each waiting for a goroutine spawned after all of them.
TEST_P(yield_test, many_yield_loops_do_not_starve_a_late_goroutine) {
  constexpr int spinners = 64;
  std::atomic<bool> flag{false};
  std::atomic<int> gave_up{0};
  gort::run([&] {
    latch done(spinners + 1);
    for (int i = 0; i < spinners; ++i) {
      gort::go([&] {
        const auto deadline = clock_type::now() + gort_test::watchdog;
        while (!flag.load()) {
          if (clock_type::now() > deadline) {
            gave_up.fetch_add(1);
            break;
          }
          gort::yield();
        }
        done.count_down();
      });
    }
    gort::go([&] {
      flag = true;
      done.count_down();
    });
    done.wait();
  });
  EXPECT_EQ(gave_up.load(), 0);
}

// yield puts the caller at the tail of its processor's run queue: on one
// processor, goroutines that only yield take turns, so no goroutine gets
// more than one round ahead of another.
TEST_P(yield_test, yielding_goroutines_take_turns_on_one_processor) {
  if (procs() != 1) GTEST_SKIP() << "round-robin is only defined on one P";
  constexpr int goroutines = 8;
  constexpr int rounds = 200;
  std::vector<int> done_rounds(goroutines, 0);  // one processor: no race
  int max_spread = 0;
  gort::run([&] {
    latch all_started(goroutines);
    latch done(goroutines);
    for (int i = 0; i < goroutines; ++i) {
      gort::go([&, i] {
        all_started.count_down();
        all_started.wait();
        for (int r = 0; r < rounds; ++r) {
          ++done_rounds[i];
          const auto [lo, hi] =
              std::minmax_element(done_rounds.begin(), done_rounds.end());
          max_spread = std::max(max_spread, *hi - *lo);
          gort::yield();
        }
        done.count_down();
      });
    }
    done.wait();
  });
  // Until every goroutine has started its first round the spread can be
  // 1; after that, strict turns keep it at most 1.
  EXPECT_LE(max_spread, 1);
}

TEST_P(yield_test, yield_on_plain_thread_returns) {
  gort::yield();
  std::thread([] { gort::yield(); }).join();
}

TEST_P(yield_test, yield_with_nothing_else_to_run_returns_promptly) {
  gort::run([] {
    for (int i = 0; i < 10'000; ++i) gort::yield();
  });
}

// Yielders on every processor and a goroutine that needs all of them to
// make progress: a counter each increments once per yield reaches its goal.
TEST_P(yield_test, concurrent_yielders_all_make_progress) {
  constexpr int goroutines = 32;
  constexpr int yields = static_cast<int>(gort_test::scaled(2'000, 300));
  std::atomic<long> total{0};
  gort::run([&] {
    latch done(goroutines);
    for (int i = 0; i < goroutines; ++i) {
      gort::go([&] {
        for (int y = 0; y < yields; ++y) {
          total.fetch_add(1, std::memory_order_relaxed);
          gort::yield();
        }
        done.count_down();
      });
    }
    done.wait();
  });
  EXPECT_EQ(total.load(), long{goroutines} * yields);
}

}  // namespace
