// gort::wait_group and gort::once: counting, many waiters at once, reuse,
// negative counters, plain threads; once's examples from "Concurrency in
// Go" (count 1, and 1 again with increment then decrement), callers that
// wait for a call in progress, and retry after an exception.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "gort/once.hpp"
#include "gort/sched.hpp"
#include "gort/wait_group.hpp"
#include "sched/internal/latch.hpp"
#include "support/procs_fixture.hpp"
#include "support/sanitizer.hpp"
#include "support/seed.hpp"
#include "support/usage_error.hpp"
#include "support/watchdog.hpp"

namespace {

using gort::internal::latch;
using namespace std::chrono_literals;

class wait_group_test : public gort_test::procs_fixture {};
GORT_INSTANTIATE_PROCS(wait_group_test);
class once_test : public gort_test::procs_fixture {};
GORT_INSTANTIATE_PROCS(once_test);

TEST_P(wait_group_test, wait_returns_after_every_done) {
  constexpr int n = 100;
  std::atomic<int> finished{0};
  gort::run([&] {
    gort::wait_group wg;
    for (int i = 0; i < n; ++i) {
      wg.add(1);
      gort::go([&] {
        gort::yield();
        ++finished;
        wg.done();
      });
    }
    wg.wait();
    EXPECT_EQ(finished.load(), n);
  });
}

// Many goroutines and plain threads wait on one group at once; all are
// released by the last done, and the group is then reused.
TEST_P(wait_group_test, many_waiters_and_reuse) {
  gort::run([&] {
    gort::wait_group wg;
    for (int round = 0; round < 5; ++round) {
      wg.add(1);
      constexpr int waiters = 30;
      std::atomic<int> released{0};
      latch done(waiters);
      for (int i = 0; i < waiters; ++i)
        gort::go([&] {
          wg.wait();
          ++released;
          done.count_down();
        });
      std::thread t([&] {
        wg.wait();
        ++released;
      });
      ASSERT_TRUE(gort_test::eventually([] {
        return gort_test::parked_for(gort::stats(),
                                     gort::wait_reason::sync_wait_group_wait) >=
               30;
      }));
      EXPECT_EQ(released.load(), 0) << "released before done";
      wg.done();
      done.wait();
      t.join();
      EXPECT_EQ(released.load(), waiters + 1) << "round " << round;
    }
  });
}

TEST_P(wait_group_test, wait_on_zero_returns_at_once) {
  gort::wait_group wg;
  wg.wait();
  wg.add(2);
  wg.add(-2);
  wg.wait();
}

TEST_P(wait_group_test, negative_counter_throws_and_changes_nothing) {
  gort::wait_group wg;
  EXPECT_TRUE(gort_test::throws_usage_error(
      [&] { wg.done(); }, "sync: negative WaitGroup counter"));
  wg.add(1);
  EXPECT_TRUE(gort_test::throws_usage_error(
      [&] { wg.add(-2); }, "sync: negative WaitGroup counter"));
  // Still one outstanding: a waiter must not be released yet.
  std::atomic<bool> out{false};
  std::thread t([&] {
    wg.wait();
    out = true;
  });
  std::this_thread::sleep_for(20ms);
  EXPECT_FALSE(out.load());
  wg.done();
  t.join();
  EXPECT_TRUE(out.load());
}

// Seeded stress: goroutines and threads add and done in random batches
// while waiters come and go; every wait returns and the count is exact.
TEST_P(wait_group_test, seeded_stress) {
  const std::uint64_t seed = gort_test::test_seed();
  const int rounds = static_cast<int>(gort_test::scaled(300, 100, 50));
  gort::run([&] {
    std::mt19937_64 rng(seed);
    for (int r = 0; r < rounds; ++r) {
      gort::wait_group wg;
      const int workers = 1 + static_cast<int>(rng() % 20);
      std::atomic<int> ran{0};
      wg.add(workers);
      for (int i = 0; i < workers; ++i)
        gort::go([&] {
          ++ran;
          wg.done();
        });
      const int waiters = static_cast<int>(rng() % 4);
      latch left(waiters);
      for (int i = 0; i < waiters; ++i)
        gort::go([&] {
          wg.wait();
          EXPECT_EQ(ran.load(), workers);
          left.count_down();
        });
      wg.wait();
      EXPECT_EQ(ran.load(), workers) << "seed " << seed;
      left.wait();
    }
  });
}

// "Concurrency in Go": once.Do(increment) from 100 goroutines counts 1;
// once.Do(increment); once.Do(decrement) leaves 1.
TEST_P(once_test, the_books_examples) {
  gort::run([&] {
    int count = 0;
    gort::once once;
    gort::wait_group wg;
    wg.add(100);
    for (int i = 0; i < 100; ++i)
      gort::go([&] {
        once.call([&] { ++count; });
        wg.done();
      });
    wg.wait();
    EXPECT_EQ(count, 1);

    int count2 = 0;
    gort::once once2;
    once2.call([&] { ++count2; });
    once2.call([&] { --count2; });
    EXPECT_EQ(count2, 1);
  });
}

// Callers that arrive while the call runs wait until it has finished.
TEST_P(once_test, callers_wait_for_the_call_in_progress) {
  gort::run([&] {
    gort::once once;
    std::atomic<bool> finished{false};
    std::atomic<int> saw_unfinished{0};
    latch started(1), done(10);
    gort::go([&] {
      once.call([&] {
        started.count_down();
        gort::sleep(30ms);
        finished = true;
      });
    });
    started.wait();
    for (int i = 0; i < 10; ++i)
      gort::go([&] {
        once.call([] { ADD_FAILURE() << "ran twice"; });
        if (!finished.load()) ++saw_unfinished;
        done.count_down();
      });
    done.wait();
    EXPECT_EQ(saw_unfinished.load(), 0);
    EXPECT_TRUE(once.done());
  });
}

// If f throws, the exception reaches the caller and a later call retries.
TEST_P(once_test, a_throwing_call_is_retried) {
  gort::once once;
  int attempts = 0;
  EXPECT_THROW(once.call([&] {
    ++attempts;
    throw std::runtime_error("first try fails");
  }),
               std::runtime_error);
  EXPECT_FALSE(once.done());
  once.call([&] { ++attempts; });
  once.call([&] { ++attempts; });
  EXPECT_EQ(attempts, 2);
  EXPECT_TRUE(once.done());
}

}  // namespace
