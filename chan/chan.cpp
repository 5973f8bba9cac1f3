// Channels
//
// A channel (hchan, chan/internal/hchan.hpp) is Go's: a lock, a ring buffer
// of `cap` slots, and two FIFO queues of waiting parties, receivers (recvq)
// and senders (sendq). Each waiting party is a sudog on its own stack that
// says where its value is (a sender's) or where it wants one (a receiver's
// raw storage). Whoever completes an operation with a waiting party does
// the whole exchange itself, under the lock, then wakes the party with the
// result already in place (`success`): the woken party never re-examines
// the channel. That makes a send to a waiting receiver one move, straight
// from the sender's frame into the receiver's storage, bypassing the
// buffer; and a receive from a full buffer with a waiting sender takes the
// head and puts the sender's value in the freed tail slot, so FIFO order
// holds across buffer and queue.
//
// Blocking uses the runtime's park protocol (sched/internal/park.hpp): the
// party enqueues its sudog under the channel's lock and parks; the lock is
// released only on the far side of the switch, so no wakeup can be lost. A
// plain thread does the same on a futex word (wait_queue.hpp, block()).
// Wakers ready the party only after releasing the lock (HACKING.md,
// "Readying"), which is why every operation below collects its partner
// under the lock and wakes it after.
//
// select (chan/select.cpp) enqueues one sudog per case, on all its channels
// at once; the first waker to claim the select (C5) completes that case,
// later wakers skip its other sudogs, and the selecting party removes the
// leftovers when it wakes.
//
// Invariants (c's lock held to read or write anything but refs/qcount):
//   C1. At most one of recvq and sendq holds sudogs that can complete,
//       except when one select waits in both directions on c.
//   C2. qcount > 0 implies recvq holds no sudog that can complete;
//       qcount < cap implies the same of sendq.
//   C3. Once closed, nothing is added to either queue, and close emptied
//       both: every waiter it found was woken with success == false.
//   C4. A sudog is in a queue only while its party is blocked. The waker
//       that takes it out writes its result and wakes it after unlocking,
//       and touches it no more (the party may return and free it at once).
//   C5. A select's sudogs share a select_wait. A waker may complete a
//       select's sudog only after winning the CAS of sel->done from 0 to 1;
//       exactly one waker wins, so exactly one case of a select completes.
//   C6. Values move only under the lock, and each value moves once per hop
//       (sender -> receiver, sender -> slot, slot -> receiver).
//   C7. Each handle holds one reference (refs); the last release frees the
//       channel and the values still buffered. A blocked party holds a
//       handle, so a channel with waiters is never freed.
//
// Lock order: channel locks (rank wait_queue) in address order (select),
// then a time channel's timer heap (rank timers). See rt_mutex.hpp.
#include <algorithm>
#include <mutex>
#include <new>

#include <gort/errors.hpp>
#include "chan/internal/hchan.hpp"
#include "runtime/internal/futex.hpp"
#include "sched/internal/park.hpp"
#include "sched/internal/timers.hpp"

namespace gort::detail {
namespace {

// Channels larger than this are a mistake (Go: "makechan: size out of
// range"); it also keeps the allocation size from overflowing.
constexpr std::size_t max_buffer_bytes = std::size_t{1} << 40;

std::size_t buffer_offset(std::size_t align) noexcept {
  return (sizeof(hchan) + align - 1) / align * align;
}

}  // namespace

hchan* chan_make(std::size_t capacity, const elem_ops* ops) {
  if (capacity != 0 && ops->size > max_buffer_bytes / capacity)
    throw usage_error("make_chan: capacity out of range");
  const std::size_t align = std::max(alignof(hchan), ops->align);
  const std::size_t off = buffer_offset(align);
  void* mem =
      ::operator new (off + capacity * ops->size, std::align_val_t{align});
  auto* c = ::new (mem) hchan;
  c->cap = capacity;
  c->ops = ops;
  c->buf = static_cast<unsigned char*>(mem) + off;
  return c;
}

void chan_ref(hchan* c) noexcept {
  c->refs.fetch_add(1, std::memory_order_relaxed);
}

void chan_unref(hchan* c) noexcept {
  if (c->refs.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  // C7: no handle is left, so no party waits and none can arrive.
  if (c->time != nullptr) {
    internal::timer_heap::remove_sync(&c->time->t);
    delete c->time;
  }
  if (!c->ops->trivial) {
    std::size_t n = c->qcount.load(std::memory_order_relaxed);
    for (std::size_t i = c->recvx; n > 0; --n, i = (i + 1) % c->cap)
      c->ops->destroy(c->slot(i));
  }
  const std::size_t align = std::max(alignof(hchan), c->ops->align);
  c->~hchan();
  ::operator delete (c, std::align_val_t{align});
}

sudog* dequeue_slow(waiter_list& q) noexcept {
  while (waiter* w = q.pop_front()) {
    auto* sg = static_cast<sudog*>(w);
    if (sg->sel == nullptr) return sg;
    std::uint32_t zero = 0;
    if (sg->sel->done.compare_exchange_strong(zero, 1,
                                              std::memory_order_acq_rel)) {
      sg->sel->winner = sg;
      return sg;
    }
    // Another waker already completed this select (C5): drop the sudog.
  }
  return nullptr;
}

void wake_sudog(sudog* sg) noexcept {
  select_wait* sel = sg->sel;
  if (sel == nullptr) {
    internal::wake(*sg);
    return;
  }
  if (sg->gp != nullptr) {
    internal::ready(sg->gp, true);
    return;
  }
  internal::plain_asleep_out();
  sel->woken.store(1, std::memory_order_release);
  internal::futex_wake(&sel->woken, 1);
}

void send_to(hchan* c, sudog* sg, void* v) noexcept {
  elem_move(c->ops, sg->data, v);
  sg->success = true;
}

void recv_from(hchan* c, sudog* sg, void* dst) noexcept {
  if (c->cap == 0) {
    elem_move(c->ops, dst, sg->data);
  } else {
    // Full buffer (C2): the head goes to dst, the sender's value to the
    // slot it freed, which is now the tail.
    void* head = c->slot(c->recvx);
    elem_take(c->ops, dst, head);
    elem_move(c->ops, head, sg->data);
    c->recvx = c->recvx + 1 == c->cap ? 0 : c->recvx + 1;
    c->sendx = c->recvx;
  }
  sg->success = true;
}

void block_forever(wait_reason reason) {
  if (internal::current_g() != nullptr) {
    // No commit: nothing can find this goroutine, so nothing readies it.
    internal::park(reason, nullptr, nullptr);
  }
  std::atomic<std::uint32_t> never{0};
  internal::plain_asleep_in();  // for good: nothing counts it out
  internal::plain_wait_nudge();
  for (;;) internal::futex_wait(&never, 0);
}

void throw_closed_send() { throw usage_error("send on closed channel"); }

void chan_send(hchan* c, void* v) {
  if (c == nullptr) block_forever(wait_reason::chan_send_nil);
  c->lock.lock();
  if (c->closed) {
    c->lock.unlock();
    throw_closed_send();
  }
  if (sudog* sg = dequeue(c->recvq)) {
    send_to(c, sg, v);
    c->lock.unlock();
    wake_sudog(sg);
    return;
  }
  if (c->qcount.load(std::memory_order_relaxed) < c->cap) {
    buf_put(c, v);
    c->lock.unlock();
    return;
  }
  sudog me;
  me.data = v;
  c->sendq.push_back(&me);
  internal::block(me, c->lock, wait_reason::chan_send);
  if (!me.success) throw_closed_send();  // woken by close
}

bool chan_recv(hchan* c, void* dst) {
  if (c == nullptr) block_forever(wait_reason::chan_receive_nil);
  c->lock.lock();
  if (sudog* sg = dequeue(c->sendq)) {
    recv_from(c, sg, dst);
    c->lock.unlock();
    wake_sudog(sg);
    return true;
  }
  if (c->qcount.load(std::memory_order_relaxed) > 0) {
    buf_take(c, dst);
    c->lock.unlock();
    return true;
  }
  if (c->closed) {
    c->lock.unlock();
    return false;
  }
  sudog me;
  me.data = dst;
  c->recvq.push_back(&me);
  internal::block(me, c->lock, wait_reason::chan_receive);
  return me.success;
}

void chan_close(hchan* c) {
  if (c == nullptr) throw usage_error("close of nil channel");
  waiter_list woken;
  {
    std::lock_guard<internal::rt_mutex> lk(c->lock);
    if (c->closed) throw usage_error("close of closed channel");
    c->closed = true;
    // C3: take every waiter that can still complete; success stays false.
    for (waiter_list* q : {&c->recvq, &c->sendq}) {
      while (sudog* sg = dequeue(*q)) {
        sg->success = false;
        woken.push_back(sg);
      }
    }
  }
  while (waiter* w = woken.head) {
    // Unlink before waking: the sudog may vanish as soon as it is woken.
    woken.head = w->next;
    wake_sudog(static_cast<sudog*>(w));
  }
}

std::size_t chan_len(const hchan* c) noexcept {
  if (c == nullptr || c->time != nullptr) return 0;
  return c->qcount.load(std::memory_order_relaxed);
}

std::size_t chan_cap(const hchan* c) noexcept {
  if (c == nullptr || c->time != nullptr) return 0;
  return c->cap;
}

}  // namespace gort::detail
