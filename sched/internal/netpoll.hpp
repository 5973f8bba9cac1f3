// sched/internal/netpoll.hpp: the network poller, as the net module sees it
// (Go's runtime/netpoll.go: poll_runtime_pollOpen, pollReset, pollWait,
// pollSetDeadline, pollUnblock, pollClose).
//
// A poll descriptor (poll_desc) is the runtime's half of one registered
// file descriptor: two wait words (read, write), the deadlines and their
// timers. The protocol is the essay "Network poller" at the top of
// sched/netpoll.cpp; the epoll backend is sched/netpoll_epoll.cpp.
//
// Use, per operation (net/fd.cpp does this):
//   1. r = poll_prepare(pd, mode); r != ok: fail with it, no syscall.
//   2. try the syscall; if it does not return EAGAIN, done.
//   3. r = poll_wait(pd, mode, interrupt); r != ok: fail with it; else 2.
// An edge that arrives between the EAGAIN of step 2 and the park of step 3
// is kept in the wait word and ends the wait at once: nothing is lost.
// At most one party waits per direction at a time (the caller's fd lock
// guarantees it). Waiters may be goroutines (parked on the poller) or plain
// threads (blocked on a futex), and are woken the same way.
#pragma once

#include <atomic>
#include <cstdint>

namespace gort::internal {

struct poll_desc;  // sched/netpoll.cpp; type-stable, never freed

enum class poll_mode : int { read = 'r', write = 'w', both = 'r' + 'w' };

enum class poll_result : int {
  ok = 0,
  closing = 1,  // poll_evict was called: "use of closed network connection"
  timeout = 2,  // the deadline of this direction has passed
  not_pollable = 3,  // the fd cannot be registered (a regular file)
  interrupted = 4,   // *interrupt became non-zero (a context ended)
};

// poll_open registers fd (already non-blocking) with the poller, edge-
// triggered, both directions. Returns the descriptor, or nullptr with
// *err set to the errno of the registration (EPERM: a regular file or a
// directory, which epoll does not poll). Starts the poller on first use.
// Any thread.
poll_desc* poll_open(int fd, int* err) noexcept;

// poll_evict starts closing pd: later and pending waits end with
// poll_result::closing, and its deadline timers are stopped. Idempotent.
// Any thread.
void poll_evict(poll_desc* pd) noexcept;

// poll_close unregisters pd's fd and frees pd, which must be evicted and
// have no waiter. The caller closes the fd after this, never before (an
// fd number is never reused while it is still registered). Any thread.
void poll_close(poll_desc* pd) noexcept;

// poll_prepare is step 1 above: it drops a stale readiness notification of
// `mode` and returns closing or timeout if the descriptor is closing or
// the deadline of `mode` has passed, else ok. Any thread.
poll_result poll_prepare(poll_desc* pd, poll_mode mode) noexcept;

// poll_wait is step 3: it waits until fd may be ready for `mode` (read or
// write, not both). Returns ok (retry the syscall; a wake may be spurious),
// closing, timeout, or interrupted once `interrupt` (may be nullptr) holds
// a non-zero value; the caller that sets it then calls poll_wake. Parks a
// goroutine with wait_reason::io_wait; blocks a plain thread. Any thread.
poll_result poll_wait(poll_desc* pd, poll_mode mode,
                      const std::atomic<std::uint32_t>* interrupt) noexcept;

// poll_wake wakes whoever waits on pd in `mode` without a readiness
// notification: the waiter re-checks closing, its deadline and its
// interrupt word (a context's cancel hook calls it). Any thread.
void poll_wake(poll_desc* pd, poll_mode mode) noexcept;

// poll_set_deadline sets the deadline of `mode` (read, write or both):
// `when` is CLOCK_MONOTONIC ns; 0 clears it; a time not after now expires
// it at once, waking a pending waiter with timeout. Sticky: it holds for
// every later operation until set again. Any thread.
void poll_set_deadline(poll_desc* pd, std::int64_t when,
                       poll_mode mode) noexcept;

// poll_fd_of returns pd's fd (for dumps and tests).
int poll_fd_of(const poll_desc* pd) noexcept;

// io_budget_spend is called after an I/O operation that completed without
// parking. Every 128 such operations, or when sysmon has asked the
// processor to give up its slice, it yields, so a goroutine that always
// finds data ready cannot starve the others on its processor (gort has no
// preemption; Tokio's coop budget). Goroutines only; a no-op elsewhere.
void io_budget_spend() noexcept;

// --- For the scheduler (sched/scheduler.cpp, sysmon.cpp, deadlock.cpp). ---

struct g;

// netpoll_active is true once the poller is started (the first poll_open).
bool netpoll_active() noexcept;
// netpoll_waiters counts the parties (goroutines and plain threads) that
// are waiting on the poller now (N5 of sched/netpoll.cpp).
std::int32_t netpoll_waiters() noexcept;
// netpoll_worth_polling: someone waits and no M is blocked in the poller,
// so a non-blocking poll may find work (find_runnable).
bool netpoll_worth_polling() noexcept;
// netpoll_blocked: an M is blocked in the poller now.
bool netpoll_blocked() noexcept;

// netpoll polls once (timeout_ns: < 0 block, 0 not, > 0 at most that long)
// and returns the goroutines it made runnable, linked through schedlink,
// *n of them; plain-thread waiters are woken directly. Any thread.
g* netpoll(std::int64_t timeout_ns, int* n) noexcept;
// netpoll_claim makes the caller the one M that may block in the poller
// (lastpoll := 0); false if another M is in it.
bool netpoll_claim() noexcept;
// netpoll_blocking is the claimed, blocking poll until `until` (ns; never:
// no timeout), which it publishes for netpoll_break_for. Releases the claim.
g* netpoll_blocking(std::int64_t until, int* n) noexcept;
// netpoll_break_for: a timer now fires at `when`. If an M is blocked in the
// poller, breaks its poll if it would sleep past `when` and returns true;
// false if no M is in the poller (the caller wakes one: Go's wakeNetPoller).
bool netpoll_break_for(std::int64_t when) noexcept;
// netpoll_need_poller: a plain thread now waits; make sure an M polls.
void netpoll_need_poller() noexcept;
// netpoll_sysmon: sysmon's poll, if nobody polled for 10 ms.
g* netpoll_sysmon(std::int64_t now, int* n) noexcept;

struct netpoll_counters {
  std::uint64_t calls = 0, events = 0, breaks = 0;
  std::int32_t waiters = 0;
};
netpoll_counters netpoll_stats() noexcept;

}  // namespace gort::internal
