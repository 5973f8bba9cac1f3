// sched/internal/wait_queue.hpp: waiters and FIFO wait queues for goroutines
// and plain threads alike (Go's sudog, minus the channel fields).
#pragma once

#include <atomic>
#include <cstdint>

#include <gort/wait_reason.hpp>
#include "runtime/internal/rt_mutex.hpp"

namespace gort::internal {

struct g;

// waiter is one blocked party: a goroutine (g != nullptr) or a plain thread
// (g == nullptr, sleeping on `state`). It lives on the blocked party's own
// stack, so it is valid exactly until that party is woken.
//
// Invariants:
//   W1. A waiter is in at most one wait_queue at a time, and only while its
//       owner is blocked (or about to block under the queue's lock).
//   W2. wake() is called at most once per block(), and never with the
//       queue's lock held.
struct waiter {
  g* gp = nullptr;                      // set by block(); nullptr: a thread
  std::atomic<std::uint32_t> state{0};  // thread: 0 blocked, 1 woken
  waiter* next = nullptr;               // protected by the queue's lock
  waiter* prev = nullptr;               // protected by the queue's lock
  void* data = nullptr;      // hand-off payload (a channel's element slot)
  std::uint64_t ticket = 0;  // free for the queue's owner (FIFO tickets)
  bool success = false;      // set by the waker before wake()
};

// block enqueues nothing: w must already be in a queue guarded by `lock`,
// and `lock` must be held. block releases `lock` and waits until wake(w).
// A goroutine parks (the lock is released on the far side of the switch);
// a plain thread releases the lock and sleeps on w.state. Any thread.
void block(waiter& w, rt_mutex& lock, wait_reason reason) noexcept;

// wake wakes w's owner. Any thread, lock not held (W2). w must not be
// touched after wake returns: its owner may already have destroyed it.
void wake(waiter& w) noexcept;

// waiter_list is an intrusive FIFO of waiters. It is not thread-safe by
// itself: its owner guards it with an rt_mutex (wait_queue's own lock, or a
// channel's lock, which guards two lists).
struct waiter_list {
  waiter* head = nullptr;
  waiter* tail = nullptr;

  bool empty() const noexcept { return head == nullptr; }
  void push_back(waiter* w) noexcept;
  waiter* pop_front() noexcept;     // nullptr if empty
  void remove(waiter* w) noexcept;  // w must be in this list
  // contains reports whether w is in this list (w in no other list).
  bool contains(const waiter* w) const noexcept {
    return w->prev != nullptr || head == w;
  }
};

// wait_queue is a waiter_list with the lock that guards it.
struct wait_queue : waiter_list {
  rt_mutex lock{lock_rank::wait_queue};
};

}  // namespace gort::internal
