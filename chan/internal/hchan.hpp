// chan/internal/hchan.hpp: the channel structure, its waiters (sudogs) and
// the operations chan.cpp, select.cpp and time.cpp share. The design essay
// and the invariants are at the top of chan/chan.cpp.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include <gort/chan_core.hpp>
#include "runtime/internal/g.hpp"
#include "runtime/internal/rt_mutex.hpp"
#include "sched/internal/wait_queue.hpp"

namespace gort::detail {

using internal::waiter;
using internal::waiter_list;

// select_wait is the state one blocked select shares among its sudogs.
struct select_wait {
  // 0 until a waker claims the select for one of its sudogs (C5).
  std::atomic<std::uint32_t> done{0};
  // A plain thread's futex word: 0 blocked, 1 woken (for goroutines the
  // scheduler's status is the word).
  std::atomic<std::uint32_t> woken{0};
  // The sudog that completed, written by the winning waker before it wakes
  // the selecting party.
  struct sudog* winner = nullptr;
};

// sudog is one party waiting on one channel (Go's sudog): a send of
// *data, or a receive into the raw storage data. A plain send or receive
// has one, on its own stack; a blocked select has one per case.
struct sudog : waiter {
  select_wait* sel = nullptr;  // non-null: part of a select
  int index = 0;               // the case it stands for, in a select
};

// time_state is what a time channel adds (time.cpp).
struct time_state {
  internal::timer t;
  // The arming the timer's firings must match to deliver (its seq);
  // stop and reset advance it, so a firing already under way is dropped.
  // Protected by the channel's lock.
  std::uint64_t gen = 0;
};

struct hchan {
  internal::rt_mutex lock{internal::lock_rank::wait_queue};
  std::size_t cap = 0;  // immutable
  // Read without the lock by size() (relaxed) and written under it.
  std::atomic<std::size_t> qcount{0};
  std::size_t sendx = 0;  // next slot to fill
  std::size_t recvx = 0;  // next slot to empty
  bool closed = false;
  waiter_list recvq;  // sudogs of blocked receivers
  waiter_list sendq;  // sudogs of blocked senders
  const elem_ops* ops = nullptr;
  std::atomic<std::size_t> refs{1};
  time_state* time = nullptr;    // non-null: a time channel (time.cpp)
  unsigned char* buf = nullptr;  // cap slots of ops->size bytes

  void* slot(std::size_t i) const noexcept { return buf + i * ops->size; }
};

// Element moves; see elem_ops. Used under the channel's lock, so the
// common sizes get a copy the compiler inlines rather than a memcpy call.
inline void elem_copy(const elem_ops* o, void* dst, const void* src) noexcept {
  switch (o->size) {
    case 4:
      std::memcpy(dst, src, 4);
      return;
    case 8:
      std::memcpy(dst, src, 8);
      return;
    default:
      std::memcpy(dst, src, o->size);
  }
}
inline void elem_move(const elem_ops* o, void* dst, void* src) noexcept {
  if (o->trivial)
    elem_copy(o, dst, src);
  else
    o->move_new(dst, src);
}
// elem_take moves the value at src to dst and ends src's life.
inline void elem_take(const elem_ops* o, void* dst, void* src) noexcept {
  if (o->trivial) {
    elem_copy(o, dst, src);
  } else {
    o->move_new(dst, src);
    o->destroy(src);
  }
}

// dequeue pops the first sudog of q that may complete: a plain one, or one
// whose select this call wins (C5). Losers are dropped from q. Lock held.
sudog* dequeue_slow(waiter_list& q) noexcept;
inline sudog* dequeue(waiter_list& q) noexcept {
  return q.empty() ? nullptr : dequeue_slow(q);
}

// wake_sudog wakes the party of a sudog that dequeue returned, after the
// channel's lock is released (W2). The sudog must not be touched after.
void wake_sudog(sudog* sg) noexcept;

// The steps of a send and of a receive once the channel's lock is held and
// the operation is known to proceed; they unlock c and wake the partner.
// send_to: to the waiting receiver sg. recv_from: from the waiting sender
// sg (unbuffered: its value; buffered and full: the head, and sg's value
// takes the tail). buf_put/buf_take: through the buffer.
void send_to(hchan* c, sudog* sg, void* v) noexcept;
void recv_from(hchan* c, sudog* sg, void* dst) noexcept;

inline void buf_put(hchan* c, void* v) noexcept {
  elem_move(c->ops, c->slot(c->sendx), v);
  c->sendx = c->sendx + 1 == c->cap ? 0 : c->sendx + 1;
  c->qcount.store(c->qcount.load(std::memory_order_relaxed) + 1,
                  std::memory_order_relaxed);
}

inline void buf_take(hchan* c, void* dst) noexcept {
  elem_take(c->ops, dst, c->slot(c->recvx));
  c->recvx = c->recvx + 1 == c->cap ? 0 : c->recvx + 1;
  c->qcount.store(c->qcount.load(std::memory_order_relaxed) - 1,
                  std::memory_order_relaxed);
}

// block_forever parks (or sleeps a plain thread) for good: nil channels and
// select with nothing to wait on.
[[noreturn]] void block_forever(wait_reason reason);

[[noreturn]] void throw_closed_send();

}  // namespace gort::detail
