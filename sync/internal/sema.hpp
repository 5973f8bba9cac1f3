// sync/internal/sema.hpp: the runtime semaphore every sync type parks on
// (Go's sema.go: semacquire1 / semrelease1).
//
// A semaphore is any 32-bit counter in user memory; the runtime keeps the
// waiters, keyed by the counter's address, in a fixed table of roots. The
// design essay and the invariants are at the top of sync/sema.cpp.
#pragma once

#include <atomic>
#include <cstdint>

#include <gort/wait_reason.hpp>

namespace gort {
class context;
}

namespace gort::internal {

// sema_acquire waits until *addr > 0, then decrements it. Waiters on one
// address are served in FIFO order; `lifo` queues this one at the front
// instead (Go: a mutex waiter that already waited once). `reason` is what
// dumps show while it waits. Goroutines park; plain threads block. Any
// thread.
void sema_acquire(std::atomic<std::uint32_t>* addr, bool lifo,
                  wait_reason reason) noexcept;

// sema_acquire_ctx is sema_acquire that gives up when ctx is cancelled
// first (or already is): then it returns false, having decremented
// nothing, and is no longer queued. True: it decremented *addr.
bool sema_acquire_ctx(std::atomic<std::uint32_t>* addr, bool lifo,
                      wait_reason reason, const context& ctx) noexcept;

// sema_try_acquire decrements *addr if it is > 0, without waiting.
bool sema_try_acquire(std::atomic<std::uint32_t>* addr) noexcept;

// sema_release increments *addr and wakes the first waiter on addr, if any.
// With `handoff`, the count goes straight to that waiter (it returns from
// sema_acquire without competing for it), as Go's starving mutex does.
// Any thread; never blocks.
void sema_release(std::atomic<std::uint32_t>* addr, bool handoff) noexcept;

// sema_waiters returns how many parties are queued on roots that share
// addr's root (an upper bound for addr itself). For tests and stats.
std::uint32_t sema_waiters(const std::atomic<std::uint32_t>* addr) noexcept;

}  // namespace gort::internal
