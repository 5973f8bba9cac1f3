// gort::internal::latch, the join primitive of these tests: goroutines and
// plain threads waiting together, reuse of the count, and destruction right
// after wait() returns.
#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "gort/sched.hpp"
#include "sched/internal/latch.hpp"
#include "support/procs_fixture.hpp"
#include "support/sanitizer.hpp"

namespace {

using gort::internal::latch;

class latch_test : public gort_test::procs_fixture {};
GORT_INSTANTIATE_PROCS(latch_test);

TEST_P(latch_test, example_from_the_header_compiles_and_runs) {
  gort::internal::latch done(2);
  gort::go([&] { done.count_down(); });
  gort::go([&] { done.count_down(); });
  done.wait();
}

TEST_P(latch_test, many_goroutines_and_threads_wait_on_one_latch) {
  constexpr int goroutines = 1'000;
  constexpr int threads = 8;
  latch gate(1);
  latch passed(goroutines + threads);
  std::atomic<int> early{0};
  std::atomic<bool> opened{false};
  auto waiter_body = [&] {
    gate.wait();
    if (!opened.load()) early.fetch_add(1);
    passed.count_down();
  };
  for (int i = 0; i < goroutines; ++i) gort::go(waiter_body);
  std::vector<std::thread> ts;
  for (int i = 0; i < threads; ++i) ts.emplace_back(waiter_body);
  EXPECT_TRUE(gort_test::eventually([] {
    return gort_test::parked_for(
               gort::stats(), gort::wait_reason::internal_wait) >= goroutines;
  })) << gort_test::describe(gort::stats());
  EXPECT_FALSE(gate.try_wait());
  opened = true;
  gate.count_down();
  passed.wait();
  for (auto& t : ts) t.join();
  EXPECT_EQ(early.load(), 0);
  EXPECT_TRUE(gate.try_wait());
}

TEST_P(latch_test, wait_on_zero_count_returns_at_once) {
  latch zero(0);
  EXPECT_TRUE(zero.try_wait());
  zero.wait();
  gort::run([&] { zero.wait(); });
}

TEST_P(latch_test, count_down_by_more_than_one) {
  latch l(10);
  gort::run([&] {
    latch done(2);
    gort::go([&] {
      l.count_down(4);
      done.count_down();
    });
    gort::go([&] {
      l.count_down(6);
      done.count_down();
    });
    l.wait();
    EXPECT_TRUE(l.try_wait());
    done.wait();
  });
}

// The count may be raised again after it reached zero, and the latch waited
// on once more (what the tests' spawn trees do with add()).
TEST_P(latch_test, count_can_be_reused_after_reaching_zero) {
  latch l(0);
  std::atomic<int> total{0};
  gort::run([&] {
    for (int round = 1; round <= 100; ++round) {
      l.add(round % 7 + 1);
      EXPECT_FALSE(l.try_wait());
      for (int i = 0; i < round % 7 + 1; ++i) {
        gort::go([&] {
          total.fetch_add(1);
          l.count_down();
        });
      }
      l.wait();
      EXPECT_TRUE(l.try_wait());
    }
  });
  int expected = 0;
  for (int round = 1; round <= 100; ++round) expected += round % 7 + 1;
  EXPECT_EQ(total.load(), expected);
}

// Regression-style test for "waker touches the latch after the hand-off".
// The interleaving it guards against:
//   waker:  count_down() -> count 1->0 -> lock, pop the waiter, unlock
//   waker:  wake(w)  ... waiter runs: wait() returns, latch destroyed
//   waker:  still inside count_down(): must touch neither the latch nor w
// Each round heap-allocates the latch so ASan catches a late touch; the
// waiter frees it the moment wait() returns. All four pairings of
// goroutine and plain thread.
enum class party { goroutine, thread };

int destroy_after_wait(party waiter_kind, party waker_kind, int rounds) {
  std::vector<std::atomic<latch*>> slots(static_cast<std::size_t>(rounds));
  for (auto& s : slots) s.store(nullptr);
  std::atomic<int> completed{0};
  latch done(2);
  auto waiter_body = [&] {
    for (int r = 0; r < rounds; ++r) {
      auto l = std::make_unique<latch>(1);
      slots[r].store(l.get(), std::memory_order_release);
      l->wait();
      l.reset();  // at once: the waker may still be inside count_down()
      completed.fetch_add(1, std::memory_order_relaxed);
    }
    done.count_down();
  };
  auto waker_body = [&] {
    for (int r = 0; r < rounds; ++r) {
      latch* l = nullptr;
      while ((l = slots[r].load(std::memory_order_acquire)) == nullptr) {
        gort::yield();  // lets a one-processor waiter run
      }
      l->count_down();
    }
    done.count_down();
  };
  std::vector<std::thread> ts;
  if (waiter_kind == party::goroutine) {
    gort::go(waiter_body);
  } else {
    ts.emplace_back(waiter_body);
  }
  if (waker_kind == party::goroutine) {
    gort::go(waker_body);
  } else {
    ts.emplace_back(waker_body);
  }
  done.wait();
  for (auto& t : ts) t.join();
  return completed.load();
}

TEST_P(latch_test, latch_destroyed_right_after_wait_returns) {
  const int rounds = static_cast<int>(gort_test::scaled(10'000, 1'000));
  EXPECT_EQ(destroy_after_wait(party::goroutine, party::goroutine, rounds),
            rounds);
  EXPECT_EQ(destroy_after_wait(party::goroutine, party::thread, rounds),
            rounds);
  EXPECT_EQ(destroy_after_wait(party::thread, party::goroutine, rounds),
            rounds);
  EXPECT_EQ(destroy_after_wait(party::thread, party::thread, rounds), rounds);
}

// Many wakers racing on one latch whose waiter destroys it at once.
TEST_P(latch_test, latch_destroyed_while_many_count_down) {
  const int rounds = static_cast<int>(gort_test::scaled(2'000, 200));
  constexpr int wakers = 4;
  gort::run([&] {
    for (int r = 0; r < rounds; ++r) {
      auto l = std::make_unique<latch>(wakers);
      for (int i = 0; i < wakers; ++i)
        gort::go([p = l.get()] { p->count_down(); });
      l->wait();
    }
  });
}

}  // namespace
