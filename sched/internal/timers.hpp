// sched/internal/timers.hpp: per-processor timer heaps.
//
// Each P has a 4-ary min-heap of timers (Go since 1.14; time.go). The P's
// worker runs its expired timers every time it looks for work, and a
// spinning worker runs an idle P's expired timers while stealing. A worker
// with nothing to do sleeps until the earliest timer of any P (see "Idle
// workers and timers" in sched/scheduler.cpp).
//
// Invariants:
//   T1. t->heap == h and t->index == i (0 <= i < size) iff h->heap_[i] == t;
//       both change only under h's lock.
//   T2. h->next_when is the when of h->heap_[0], or `never` when empty; it
//       is stored under the lock and read without it (a stale read only
//       delays or hastens a look under the lock).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>
#include <vector>

#include "runtime/internal/g.hpp"
#include "runtime/internal/rt_mutex.hpp"

namespace gort::internal {

inline constexpr std::int64_t never = std::numeric_limits<std::int64_t>::max();

// to_ns converts a steady_clock time point to the timers' clock:
// steady_clock is CLOCK_MONOTONIC in libstdc++, the runtime's clock.
inline std::int64_t to_ns(std::chrono::steady_clock::time_point t) noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             t.time_since_epoch())
      .count();
}

struct timer_heap {
  rt_mutex lock{lock_rank::timers};
  std::vector<timer*> heap_;                   // protected by lock
  std::atomic<std::int64_t> next_when{never};  // T2
  std::atomic<std::uint32_t> size{0};  // heap_.size(), readable unlocked

  // add inserts t (not in any heap) to fire at `when`. Any thread.
  // Returns true if t became the earliest timer.
  bool add(timer* t, std::int64_t when) noexcept;
  // remove takes t out of whichever heap holds it. Returns true if it was
  // pending (so it will not fire), false if it had fired or was never
  // added. Any thread.
  static bool remove(timer* t) noexcept;
  // remove_sync is remove(), and then waits until no run_expired is still
  // calling t's function, so the caller may free what fn uses. Must not be
  // called from t's own function. Any thread.
  static bool remove_sync(timer* t) noexcept;
  // run_expired pops every timer due at `now`, re-adds periodic ones, and
  // calls their functions with the lock released. Returns how many ran.
  int run_expired(std::int64_t now) noexcept;
  // move_all moves every timer from this heap into `to` (P retirement).
  void move_all(timer_heap& to) noexcept;

 private:
  void up(std::size_t i) noexcept;
  void down(std::size_t i) noexcept;
  void erase_at(std::size_t i) noexcept;
  void publish() noexcept;
};

// timer_add adds t (in no heap, fn and arg set) to fire at `when`: to the
// calling goroutine's processor's heap, or from a plain thread to processor
// 0's (set_maxprocs never removes it). The runtime must be started. Returns
// true if t became its heap's earliest timer: the caller must then call
// note_timer_added(when) after releasing its own locks (it may take the
// scheduler's lock to wake a worker). Any thread.
bool timer_add(timer* t, std::int64_t when) noexcept;

}  // namespace gort::internal
