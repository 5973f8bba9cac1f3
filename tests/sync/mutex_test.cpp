// gort::mutex: mutual exclusion from goroutines and plain threads, the
// standard lock adaptors, try_lock, unlock by another goroutine, misuse,
// fairness under a greedy re-locker (starvation mode), and a seeded stress
// test mixing lock and try_lock.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "gort/mutex.hpp"
#include "gort/sched.hpp"
#include "sched/internal/latch.hpp"
#include "support/hammer.hpp"
#include "support/procs_fixture.hpp"
#include "support/sanitizer.hpp"
#include "support/seed.hpp"
#include "support/usage_error.hpp"
#include "support/watchdog.hpp"

namespace {

using gort::internal::latch;
using namespace std::chrono_literals;

class mutex_test : public gort_test::procs_fixture {};
GORT_INSTANTIATE_PROCS(mutex_test);

// The figure: 8 goroutines x 100,000 increments of a plain long.
TEST_P(mutex_test, eight_goroutines_increment_under_the_lock) {
  const int per = static_cast<int>(gort_test::scaled(100'000, 20'000, 5'000));
  gort::mutex mu;
  long counter = 0;
  gort_test::hammer(8, 0, per, [&](int, int k) {
    std::lock_guard<gort::mutex> lk(mu);
    ++counter;
    if (k % 1024 == 0) gort::yield();  // hold it across a switch
  });
  EXPECT_EQ(counter, 8L * per);
}

TEST_P(mutex_test, plain_threads_and_goroutines_exclude_each_other) {
  const int per = static_cast<int>(gort_test::scaled(20'000, 5'000, 1'000));
  gort::mutex mu;
  long counter = 0;
  gort_test::hammer(4, 2, per, [&](int, int) {
    std::unique_lock<gort::mutex> lk(mu);
    ++counter;
  });
  EXPECT_EQ(counter, 6L * per);
}

// std::scoped_lock of two mutexes in opposite orders does not deadlock (it
// relies on try_lock).
TEST_P(mutex_test, scoped_lock_of_two_in_either_order) {
  const int per = static_cast<int>(gort_test::scaled(5'000, 2'000, 500));
  gort::mutex a, b;
  long counter = 0;
  gort_test::hammer(4, 0, per, [&](int w, int) {
    if (w % 2 == 0) {
      std::scoped_lock lk(a, b);
      ++counter;
    } else {
      std::scoped_lock lk(b, a);
      ++counter;
    }
  });
  EXPECT_EQ(counter, 4L * per);
}

TEST_P(mutex_test, try_lock_fails_while_held_and_another_may_unlock) {
  gort::mutex mu;
  gort::run([&] {
    ASSERT_TRUE(mu.try_lock());
    EXPECT_FALSE(mu.try_lock());
    latch done(1);
    gort::go([&] {  // not owned: another goroutine unlocks it, as in Go
      mu.unlock();
      done.count_down();
    });
    done.wait();
    EXPECT_TRUE(mu.try_lock());
    mu.unlock();
  });
}

TEST_P(mutex_test, unlock_of_unlocked_throws_and_changes_nothing) {
  gort::mutex mu;
  EXPECT_TRUE(gort_test::throws_usage_error([&] { mu.unlock(); },
                                            "sync: unlock of unlocked mutex"));
  EXPECT_TRUE(mu.try_lock()) << "the failed unlock corrupted the state";
  mu.unlock();
  EXPECT_TRUE(gort_test::throws_usage_error([&] { mu.unlock(); },
                                            "unlock of unlocked mutex"));
}

// A goroutine that keeps re-locking cannot keep another out for long: after
// 1 ms of waiting the waiter switches the mutex to starvation mode and gets
// it by hand-off (Go's TestMutexFairness).
TEST_P(mutex_test, greedy_relocker_cannot_starve_a_waiter) {
  gort::mutex mu;
  std::atomic<bool> stop{false};
  std::atomic<long> greedy_rounds{0};
  std::chrono::steady_clock::duration worst{};
  gort::run([&] {
    latch done(2);
    gort::go([&] {
      // Re-lock at once, for at most 3 s: without starvation mode the
      // woken waiter finds it locked again every time.
      const auto give_up = std::chrono::steady_clock::now() + 3s;
      while (!stop.load(std::memory_order_relaxed) &&
             std::chrono::steady_clock::now() < give_up) {
        mu.lock();
        ++greedy_rounds;
        gort::sleep(100us);  // Go's TestMutexFairness: sleep holding it
        mu.unlock();
      }
      done.count_down();
    });
    gort::go([&] {
      while (greedy_rounds.load() == 0) gort::yield();
      for (int i = 0; i < 20; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        mu.lock();
        const auto waited = std::chrono::steady_clock::now() - t0;
        if (waited > worst) worst = waited;
        mu.unlock();
        gort::sleep(1ms);
      }
      stop = true;
      done.count_down();
    });
    done.wait();
  });
  // 1 ms to turn starving, then a hand-off: allow generous slack.
  EXPECT_LT(worst, gort_test::under_sanitizer ? 2s : 200ms)
      << "the waiter was kept out";
  EXPECT_GT(greedy_rounds.load(), 20);
}

// Seeded stress: lock, try_lock and cross-goroutine hand-over of a held
// mutex; a plain counter checks exclusion.
TEST_P(mutex_test, seeded_stress_keeps_exclusion) {
  const std::uint64_t seed = gort_test::test_seed();
  const int rounds = static_cast<int>(gort_test::scaled(20'000, 5'000, 1'000));
  gort::mutex mu;
  long counter = 0;
  std::atomic<long> expected{0};
  gort::run([&] {
    constexpr int n = 10;
    latch done(n);
    for (int i = 0; i < n; ++i) {
      gort::go([&, i] {
        std::mt19937_64 rng(seed * 31 + static_cast<std::uint64_t>(i));
        for (int r = 0; r < rounds; ++r) {
          if (rng() % 3 == 0) {
            if (!mu.try_lock()) continue;
          } else {
            mu.lock();
          }
          ++counter;
          ++expected;
          if (rng() % 8 == 0) gort::yield();
          mu.unlock();
        }
        done.count_down();
      });
    }
    done.wait();
  });
  EXPECT_EQ(counter, expected.load()) << "seed " << seed;
}

}  // namespace
