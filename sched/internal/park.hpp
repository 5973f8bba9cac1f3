// sched/internal/park.hpp: park() and ready(), the primitive that channels,
// select, the semaphore and every sync type are built on.
//
// The protocol (Go's gopark/goready; see "Parking" in sched/scheduler.cpp):
//
//   1. A goroutine that must wait puts a record of itself (a waiter) in a
//      wait queue while holding that queue's lock.
//   2. It calls park(reason, commit, arg). park switches to the worker's
//      scheduler context. Only there, once the goroutine's registers are
//      saved and nothing runs on its stack, the goroutine's status becomes
//      waiting and commit(g, arg) runs; commit releases the lock.
//   3. A waker takes the lock, finds the waiter, removes it, releases the
//      lock, and only then calls ready(g) (HACKING.md, "Readying": never
//      ready while holding a channel or semaphore lock).
//
// Because the lock is released only on the far side of the switch, a waker
// can never see a goroutine that is still running on its stack, and no
// wakeup is lost: there is no window between "decided to sleep" and "asleep"
// that a waker could fall into. Plain threads wait the same way, on their
// own futex (wait_queue.hpp).
#pragma once

#include <atomic>
#include <cstdint>

#include <gort/wait_reason.hpp>

namespace gort::internal {

struct g;
class rt_mutex;

// current_g returns the goroutine running on this thread, or nullptr on a
// plain thread (and on a worker's scheduler context). Any thread. Reads the
// thread's state through an out-of-line accessor, so it is safe to call
// after a switch that moved the goroutine to another thread (platform.md 6).
g* current_g() noexcept;

// park parks the calling goroutine with `reason`, as described above.
// commit(g, arg) runs on the scheduler context after the switch; it must not
// touch the goroutine's stack except through pointers the protocol allows
// (the waiter record stays valid until the goroutine is readied). If commit
// returns false the park is called off and the goroutine resumes at once.
// commit may be nullptr (then someone must already be able to find g; its
// first ready() wins). Goroutine only (GORT_CHECK). Returns when readied.
void park(wait_reason reason, bool (*commit)(g*, void*), void* arg) noexcept;

// park_unlock parks the calling goroutine and releases `lock` on the far
// side of the switch (step 2 above). Goroutine only.
void park_unlock(wait_reason reason, rt_mutex& lock) noexcept;

// ready makes a parked goroutine runnable. Any thread, any context, and it
// never blocks. The caller must have found g through a structure whose lock
// g's park released (step 3), so g is certainly parked or committing.
// From a goroutine on a processor, g goes into that processor's runnext
// slot when `next` is true (the waker's cache is warm with what it just
// handed over), else to the tail of its run queue; from a plain thread, to
// the global run queue. Then an idle worker is woken if one is needed.
void ready(g* g, bool next = true) noexcept;

// Plain threads asleep in a gort wait, counted for the deadlock detector
// (sched/deadlock.cpp, D2). A plain thread counts itself in while it is
// still findable only by a waker (before it releases the wait queue's
// lock), and the waker counts it out before it wakes it, so the count is
// never low while the thread can act.
extern std::atomic<int> g_plain_asleep;
inline void plain_asleep_in() noexcept {
  g_plain_asleep.fetch_add(1, std::memory_order_seq_cst);
}
inline void plain_asleep_out() noexcept {
  g_plain_asleep.fetch_sub(1, std::memory_order_seq_cst);
}
// plain_wait_nudge tells sysmon that a plain thread went to sleep in a gort
// wait, so that a deadlock with every processor idle is checked for.
void plain_wait_nudge() noexcept;

// goroutine_of returns g's id (for tests and reports).
std::uint64_t goroutine_id_of(const g* g) noexcept;

}  // namespace gort::internal
