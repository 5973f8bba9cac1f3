// runtime/internal/rt_mutex.hpp: the runtime's own lock, and the lock order.
//
// rt_mutex guards the runtime's short critical sections (the global run
// queue, a timer heap, a channel, a semaphore's wait queue). It never parks a
// goroutine: a contended acquire spins briefly, then blocks the thread on a
// futex (Drepper's three-state mutex, "Futexes Are Tricky" 2011, mutex2).
// Critical sections are a few hundred nanoseconds at most, so a goroutine
// that blocks its worker here blocks it only briefly.
//
// Lock order. Every rt_mutex has a rank; a thread may take a lock only if
// its rank is greater than the rank of every lock it holds. Debug builds
// check this on every acquire. The ranks, lowest (taken first) to highest:
//
//   sched_lock < chan / sema / wait-queue locks < timers_lock
//     < stack_pool_lock < allgs_lock < trace_writer < trace_sink < leaf
//
// Exceptions, each with its reason:
//   - select takes several channel locks of the same rank at once, in
//     address order (chan/select.cpp); same-rank locks taken in address
//     order cannot deadlock with each other.
//   - park() releases the lock it is given on the far side of the switch,
//     on the same thread's scheduler context, so the rank bookkeeping (kept
//     per thread) stays right across the switch.
// Rule (HACKING.md, "Readying"): never ready() a goroutine while holding a
// channel or semaphore lock: collect the waiters, unlock, then ready them.
#pragma once

#include <atomic>
#include <cstdint>

namespace gort::internal {

enum class lock_rank : std::uint8_t {
  sched = 10,         // sched_t::lock
  wait_queue = 20,    // channel, semaphore, latch wait queues, poll descs
  timers = 30,        // a P's timer heap
  stack_pool = 40,    // the global free-G and stack pool
  allgs = 50,         // the registry of all goroutines
  trace_writer = 55,  // the trace buffer shared by sysmon and plain threads
  trace_sink = 57,    // the trace's chunks, file and flight recorder
  leaf = 60,          // takes no other lock while held
};

// rt_mutex: see the top of this file. Any thread; lock() may block the
// thread. Not recursive. Satisfies Lockable (std::lock_guard works).
class rt_mutex {
 public:
  explicit constexpr rt_mutex(lock_rank rank) noexcept : rank_(rank) {}
  rt_mutex(const rt_mutex&) = delete;
  rt_mutex& operator=(const rt_mutex&) = delete;

  void lock() noexcept {
    std::uint32_t c = 0;
    if (!state_.compare_exchange_strong(c, 1, std::memory_order_acquire,
                                        std::memory_order_relaxed))
      lock_slow(c);
    note_acquired();
  }
  bool try_lock() noexcept {
    std::uint32_t c = 0;
    if (!state_.compare_exchange_strong(c, 1, std::memory_order_acquire,
                                        std::memory_order_relaxed))
      return false;
    note_acquired();
    return true;
  }
  void unlock() noexcept {
    note_released();
    if (state_.exchange(0, std::memory_order_release) == 2) unlock_slow();
  }
  lock_rank rank() const noexcept { return rank_; }

 private:
  void lock_slow(std::uint32_t c) noexcept;
  void unlock_slow() noexcept;
#ifdef NDEBUG
  void note_acquired() noexcept {}
  void note_released() noexcept {}
#else
  void note_acquired() noexcept;
  void note_released() noexcept;
#endif

  // 0: unlocked; 1: locked, no waiters; 2: locked, maybe waiters.
  std::atomic<std::uint32_t> state_{0};
  lock_rank rank_;
};

}  // namespace gort::internal
