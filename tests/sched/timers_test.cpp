// The timer heap (sched/internal/timers.hpp) driven directly from plain
// threads, as the owner P and thieves drive it: several run_expired loops on
// one heap, with remove_sync racing them.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "sched/internal/timers.hpp"
#include "support/plain_threads.hpp"

namespace {

using gort::internal::timer;
using gort::internal::timer_heap;

std::int64_t now_ns() noexcept {
  return gort::internal::to_ns(std::chrono::steady_clock::now());
}

// A firing that stays inside its function for a while and counts how many
// firings are inside at once.
struct slow_fire {
  std::atomic<int> inside{0};
  std::atomic<int> most_inside{0};
  std::atomic<std::uint64_t> fired{0};

  static void fn(void* arg, std::uint64_t) noexcept {
    auto* s = static_cast<slow_fire*>(arg);
    const int now_inside = s->inside.fetch_add(1) + 1;
    int m = s->most_inside.load();
    while (now_inside > m &&
           !s->most_inside.compare_exchange_weak(m, now_inside)) {
    }
    const auto until =
        std::chrono::steady_clock::now() + std::chrono::microseconds(200);
    while (std::chrono::steady_clock::now() < until) {
    }
    s->fired.fetch_add(1);
    s->inside.fetch_sub(1);
  }
};

// Regression: a periodic timer stays in its heap while its function runs,
// so a thief's run_expired could fire it again before the first call
// returned. `running` was a flag: the first call to return cleared it, and
// remove_sync returned, and its caller freed the channel, under the second
// call (ASan: heap-use-after-free in time_fire on a tick(2ms) channel).
// After remove_sync returns no call of the timer's function may be under
// way.
TEST(timers_test, remove_sync_waits_for_every_overlapping_firing) {
  timer_heap heap;
  slow_fire s;
  std::atomic<bool> stop{false};
  std::vector<std::thread> runners;
  for (int i = 0; i < 2; ++i)
    runners.emplace_back([&] {
      while (!stop.load()) heap.run_expired(now_ns());
    });
  int caught_inside = 0;
  for (int round = 0; round < 200; ++round) {
    timer t;
    t.fn = &slow_fire::fn;
    t.arg = &s;
    t.period = 1;  // due again at once: every runner fires it
    heap.add(&t, now_ns());
    while (s.inside.load() == 0) std::this_thread::yield();
    timer_heap::remove_sync(&t);
    if (s.inside.load() != 0) ++caught_inside;
    // t dies here, so a late firing would also touch a dead timer.
  }
  stop = true;
  gort_test::join_all(runners);
  EXPECT_EQ(caught_inside, 0) << "remove_sync returned under a firing";
  EXPECT_GE(s.fired.load(), 200u);
  // The race needs two firings at once; with two runners spinning on a
  // timer that is always due, that happens in every round.
  EXPECT_GE(s.most_inside.load(), 2) << "the firings never overlapped";
}

// A periodic timer is never lost by concurrent runners: it stays in the
// heap and keeps firing until it is removed.
TEST(timers_test, concurrent_runners_keep_a_periodic_timer_in_its_heap) {
  timer_heap heap;
  slow_fire s;
  timer t;
  t.fn = &slow_fire::fn;
  t.arg = &s;
  t.period = 1;
  heap.add(&t, now_ns());
  std::atomic<bool> stop{false};
  std::vector<std::thread> runners;
  for (int i = 0; i < 2; ++i)
    runners.emplace_back([&] {
      while (!stop.load()) heap.run_expired(now_ns());
    });
  while (s.fired.load() < 100) std::this_thread::yield();
  EXPECT_TRUE(timer_heap::remove_sync(&t)) << "the timer left its heap";
  stop = true;
  gort_test::join_all(runners);
  EXPECT_EQ(s.inside.load(), 0);
  EXPECT_EQ(heap.size.load(), 0u);
}

}  // namespace
