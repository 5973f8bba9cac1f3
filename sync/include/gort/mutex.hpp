// gort/mutex.hpp: Go's sync.Mutex for goroutines and plain threads.
//
// lock() parks a goroutine (blocks a plain thread) while another party
// holds the mutex. It works with std::lock_guard, std::unique_lock and
// std::scoped_lock. It is not owned: any goroutine or thread may unlock a
// mutex another one locked, as in Go.
//
// Fairness is Go's: normally a woken waiter competes with newcomers (which
// usually win, being on a CPU), but a waiter that has waited more than 1 ms
// switches the mutex to starvation mode, in which unlock hands it straight
// to the first waiter and newcomers queue behind. The algorithm is in
// sync/mutex.cpp.
#pragma once

#include <atomic>
#include <cstdint>
#include <system_error>

namespace gort {

class context;

class mutex {
 public:
  mutex() noexcept = default;
  mutex(const mutex&) = delete;
  mutex& operator=(const mutex&) = delete;

  // lock acquires the mutex, waiting while it is held.
  void lock() noexcept {
    std::int32_t zero = 0;
    if (state_.compare_exchange_strong(zero, locked, std::memory_order_acquire,
                                       std::memory_order_relaxed))
      return;
    lock_slow(nullptr);
  }
  // lock(ctx) is lock() that gives up if ctx ends first: it returns empty
  // with the mutex locked, or ctx.err() without it (also at once if ctx is
  // already done), leaving no trace in the mutex: no waiter stays counted
  // or queued.
  std::error_code lock(const context& ctx);
  // try_lock acquires the mutex if it is free and not being handed to a
  // starving waiter; it never waits.
  bool try_lock() noexcept;
  // unlock releases the mutex. Throws usage_error("sync: unlock of unlocked
  // mutex") if it is not locked, leaving it unchanged.
  void unlock();

 private:
  static constexpr std::int32_t locked = 1;
  static constexpr std::int32_t woken = 2;
  static constexpr std::int32_t starving = 4;
  static constexpr int waiter_shift = 3;

  // lock_slow waits for the mutex; with a ctx it may give up (false).
  bool lock_slow(const context* ctx) noexcept;
  // abandon unregisters a waiter whose context ended; true if it ended up
  // with the mutex after all.
  bool abandon() noexcept;
  bool try_take_handoff() noexcept;
  void unlock_slow(std::int32_t state) noexcept;

  // locked | woken | starving | waiters << waiter_shift (Go's layout).
  std::atomic<std::int32_t> state_{0};
  std::atomic<std::uint32_t> sema_{0};  // the runtime semaphore waiters use
};

}  // namespace gort
