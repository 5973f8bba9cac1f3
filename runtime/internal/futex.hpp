// runtime/internal/futex.hpp: the kernel's futex, and a one-shot parker for
// threads. Private futexes only (FUTEX_*_PRIVATE): every word lives in this
// process. platform.md section 5 measured why: a waker that skips FUTEX_WAKE
// when nobody sleeps saves about 3 us per unpark.
#pragma once

#include <atomic>
#include <cstdint>

namespace gort::internal {

// futex_wait blocks while *word == expected, until futex_wake, a signal, or
// the absolute CLOCK_MONOTONIC deadline (ns; 0 = none) passes. Spurious
// returns happen: callers re-check their condition. Any thread.
void futex_wait(std::atomic<std::uint32_t>* word, std::uint32_t expected,
                std::int64_t deadline_ns = 0) noexcept;

// futex_wake wakes up to n threads blocked on word. Any thread.
void futex_wake(std::atomic<std::uint32_t>* word, int n = 1) noexcept;

// monotonic_ns returns CLOCK_MONOTONIC in nanoseconds, the clock of every
// deadline in the runtime (the same clock as std::chrono::steady_clock).
std::int64_t monotonic_ns() noexcept;

// coarse_ns is CLOCK_MONOTONIC_COARSE in nanoseconds: ~6 ns rather than
// ~30 (platform.md 7), a few milliseconds behind; for "waiting since".
std::int64_t coarse_ns() noexcept;

// thread_parker lets one thread sleep until another wakes it: a futex word
// with a "sleeping" state, so that unpark() makes a syscall only when the
// parked thread is really asleep (platform.md 5, recommendation 3).
//
// States: 0 idle, 1 notified, 2 sleeping.
class thread_parker {
 public:
  // park blocks until unpark() (an unpark that came first is not lost), or
  // until deadline_ns (CLOCK_MONOTONIC; 0 = none). Returns true if it was
  // unparked, false on timeout. Only the owning thread calls park.
  bool park(std::int64_t deadline_ns = 0) noexcept;
  // unpark wakes the parked thread, or makes its next park return at once.
  // Any thread.
  void unpark() noexcept;

 private:
  std::atomic<std::uint32_t> state_{0};
};

}  // namespace gort::internal
