// sched/internal/latch.hpp: a countdown latch for gort's own tests and
// benchmarks, built on park()/ready() (sched/internal/park.hpp).
//
// It is what the runtime-core tests and benchmark ports join with until the
// sync package (gort::wait_group) exists; it parks goroutines and blocks
// plain threads exactly as the sync primitives will.
#pragma once

#include <atomic>
#include <cstdint>

#include "sched/internal/wait_queue.hpp"

namespace gort::internal {

// latch counts down from n; wait() returns once the count reaches zero.
// Any thread may call any member. wait() parks a goroutine (reason
// internal_wait) or blocks a plain thread. The latch may be destroyed as
// soon as wait() has returned, even while the count_down() that released it
// is still returning (the waker touches nothing after the hand-off).
//
// Example:
//   gort::internal::latch done(2);
//   gort::go([&] { done.count_down(); });
//   gort::go([&] { done.count_down(); });
//   done.wait();
class latch {
 public:
  explicit latch(std::int64_t n) noexcept : count_(n), released_(n == 0) {}
  latch(const latch&) = delete;
  latch& operator=(const latch&) = delete;

  // add adds n (n may be negative) to the count; the count must not go
  // below zero (GORT_CHECK).
  void add(std::int64_t n) noexcept;
  // count_down subtracts n; reaching zero wakes every waiter.
  void count_down(std::int64_t n = 1) noexcept;
  // wait blocks until the count is zero.
  void wait() noexcept;
  // try_wait reports whether the count is zero, without blocking.
  bool try_wait() const noexcept {
    return released_.load(std::memory_order_acquire);
  }

 private:
  void release() noexcept;

  std::atomic<std::int64_t> count_;
  std::atomic<bool> released_;  // set by the last count_down, last of all
  wait_queue waiters_;
};

}  // namespace gort::internal
