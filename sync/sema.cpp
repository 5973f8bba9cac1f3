// The runtime semaphore
//
// Go's sema.go, which is Mullender and Cox's "Semaphores in Plan 9": a
// semaphore is a counter in user memory, and sleeping is a runtime matter.
// The fast paths touch only the counter: acquire decrements it with a CAS
// while it is positive, release increments it and returns if nobody waits.
// Only when a party must sleep does the runtime get involved, and then it
// keys the sleeper by the counter's address in a fixed table of 251 roots
// (a prime, so addresses spread), each with its own lock and an atomic count
// of waiters that lets release skip the lock when the count is zero.
//
// Each root keeps one FIFO queue per distinct address (a short list of
// queues: Go uses a treap for roots with many distinct addresses; a list is
// enough until a profile says otherwise). A waiter is a `waiter` on the
// sleeping party's own stack (sched/internal/wait_queue.hpp); its `data` is
// the address and its `ticket` says whether the count was handed to it.
//
// Lost wakeups. An acquirer that fails the fast path takes the root lock,
// increments nwait, and only then retries the counter before queueing. A
// releaser increments the counter first and reads nwait after. Either the
// acquirer's retry sees the increment, or the releaser sees nwait > 0 and
// takes the lock, behind which the acquirer is already queued (both use
// sequentially consistent operations on the two words: Dekker).
//
// Invariants (root lock held):
//   M1. nwait is the number of waiters in the root's queues plus acquirers
//       between their nwait increment and their queueing or retry success.
//   M2. Every queue in a root's list is non-empty and holds waiters of one
//       address; a waiter is in at most one queue.
//   M3. A waiter with ticket == 1 was handed the count: the releaser
//       incremented and then decremented the counter on its behalf.
//   M4. w->queued iff w is in its address's queue. A cancelled waiter
//       (sema_acquire_ctx) leaves only while queued: its hook takes it out
//       and wakes it; one already dequeued by a release completes.
//
// Lock order: a root's lock has rank wait_queue; ready() runs after it is
// released (HACKING.md, "Readying").
#include "sync/internal/sema.hpp"

#include <cstddef>
#include <mutex>

#include "runtime/internal/rt_mutex.hpp"
#include "sched/internal/wait_queue.hpp"
#include "sync/internal/cancel.hpp"

namespace gort::internal {
namespace {

constexpr std::size_t table_size = 251;

// addr_queue is one address's FIFO; it lives in the first waiter's frame
// for as long as that waiter is queued, then moves to the next one's.
struct addr_queue {
  const void* addr = nullptr;
  waiter_list waiters;
  addr_queue* next = nullptr;  // the root's list of queues
};

// The per-waiter record: the waiter, the queue it may head, and the hook
// that takes it out of the queue if its context is cancelled.
struct sema_waiter : waiter {
  addr_queue own;  // used while this waiter heads its address's queue
  cancel_hook hook;
  bool queued = false;     // M4
  bool cancelled = false;  // set by the hook under the root lock
};

struct alignas(64) root {
  rt_mutex lock{lock_rank::wait_queue};
  std::atomic<std::uint32_t> nwait{0};
  addr_queue* queues = nullptr;  // protected by lock

  addr_queue* find(const void* addr) noexcept {
    for (addr_queue* q = queues; q != nullptr; q = q->next)
      if (q->addr == addr) return q;
    return nullptr;
  }
  void unlink(addr_queue* q) noexcept {
    for (addr_queue** link = &queues; *link != nullptr; link = &(*link)->next)
      if (*link == q) {
        *link = q->next;
        return;
      }
  }
};

root g_table[table_size];

root& root_of(const void* addr) noexcept {
  return g_table[(reinterpret_cast<std::uintptr_t>(addr) >> 3) % table_size];
}

bool can_acquire(std::atomic<std::uint32_t>* addr) noexcept {
  std::uint32_t v = addr->load(std::memory_order_relaxed);
  while (v > 0) {
    if (addr->compare_exchange_weak(v, v - 1, std::memory_order_acq_rel,
                                    std::memory_order_relaxed))
      return true;
  }
  return false;
}

// enqueue puts w on addr's queue (creating it in w's own record if addr has
// none). Root lock held.
void enqueue(root& r, sema_waiter* w, const void* addr, bool lifo) noexcept {
  addr_queue* q = r.find(addr);
  if (q == nullptr) {
    q = &w->own;
    q->addr = addr;
    q->waiters = {};
    q->next = r.queues;
    r.queues = q;
  }
  if (lifo && !q->waiters.empty()) {
    // Front of the queue: splice w before the head.
    waiter* head = q->waiters.head;
    w->prev = nullptr;
    w->next = head;
    head->prev = w;
    q->waiters.head = w;
  } else {
    q->waiters.push_back(w);
  }
  w->queued = true;
}

// detach takes w out of q, its address's queue. If the queue lived in w's
// record, it moves to the new head's. Root lock held.
void detach(root& r, addr_queue* q, sema_waiter* w) noexcept {
  q->waiters.remove(w);
  w->queued = false;
  if (q->waiters.empty()) {
    r.unlink(q);
  } else if (q == &w->own) {
    // The queue's storage leaves with w: move it to the new head.
    auto* heir = static_cast<sema_waiter*>(q->waiters.head);
    heir->own.addr = q->addr;
    heir->own.waiters = q->waiters;
    r.unlink(q);
    heir->own.next = r.queues;
    r.queues = &heir->own;
  }
}

// dequeue removes and returns addr's first waiter, or nullptr. Root lock
// held.
sema_waiter* dequeue(root& r, const void* addr) noexcept {
  addr_queue* q = r.find(addr);
  if (q == nullptr) return nullptr;
  auto* w = static_cast<sema_waiter*>(q->waiters.head);
  detach(r, q, w);
  return w;
}

// on_cancel is a waiter's hook: if the waiter is still queued, take it out
// and wake it. Runs on the cancelling thread, no lock held.
void on_cancel(cancel_hook* h) noexcept {
  auto* w = static_cast<sema_waiter*>(h->owner);
  bool wake_it = false;
  {
    root& r = root_of(w->data);  // data is the address (acquire)
    std::lock_guard<rt_mutex> lk(r.lock);
    w->cancelled = true;
    if (w->queued) {
      detach(r, r.find(w->data), w);
      r.nwait.fetch_sub(1, std::memory_order_relaxed);  // M1
      wake_it = true;
    }
  }
  if (wake_it) wake(*w);
}

// acquire is sema_acquire, cancellable if ctx != nullptr.
bool acquire(std::atomic<std::uint32_t>* addr, bool lifo, wait_reason reason,
             const context* ctx) noexcept {
  if (can_acquire(addr)) return true;
  root& r = root_of(addr);
  sema_waiter w;
  w.data = addr;
  w.hook.fn = &on_cancel;
  w.hook.owner = &w;
  if (ctx != nullptr && !arm(*ctx, w.hook)) return false;
  bool got = false;
  for (;;) {
    r.lock.lock();
    r.nwait.fetch_add(1, std::memory_order_seq_cst);  // M1, then retry
    got = can_acquire(addr);
    if (got || w.cancelled) {
      r.nwait.fetch_sub(1, std::memory_order_relaxed);
      r.lock.unlock();
      break;
    }
    w.ticket = 0;
    enqueue(r, &w, addr, lifo);
    block(w, r.lock, reason);                  // releases the lock
    if (w.ticket == 1 || can_acquire(addr)) {  // M3: handed the count
      got = true;
      break;
    }
    // Woken to compete, or cancelled: the next round, under the lock,
    // tells which.
    lifo = true;  // waited once already: do not go to the back again
  }
  if (ctx != nullptr) disarm(w.hook);
  return got;
}

}  // namespace

bool sema_try_acquire(std::atomic<std::uint32_t>* addr) noexcept {
  return can_acquire(addr);
}

void sema_acquire(std::atomic<std::uint32_t>* addr, bool lifo,
                  wait_reason reason) noexcept {
  acquire(addr, lifo, reason, nullptr);
}

bool sema_acquire_ctx(std::atomic<std::uint32_t>* addr, bool lifo,
                      wait_reason reason, const context& ctx) noexcept {
  return acquire(addr, lifo, reason, &ctx);
}

void sema_release(std::atomic<std::uint32_t>* addr, bool handoff) noexcept {
  root& r = root_of(addr);
  addr->fetch_add(1, std::memory_order_seq_cst);
  if (r.nwait.load(std::memory_order_seq_cst) == 0) return;
  sema_waiter* w;
  {
    std::lock_guard<rt_mutex> lk(r.lock);
    if (r.nwait.load(std::memory_order_relaxed) == 0) return;
    w = dequeue(r, addr);
    if (w == nullptr) return;  // waiters of another address in this root
    r.nwait.fetch_sub(1, std::memory_order_relaxed);
    if (handoff && can_acquire(addr)) w->ticket = 1;  // M3
  }
  wake(*w);
}

std::uint32_t sema_waiters(const std::atomic<std::uint32_t>* addr) noexcept {
  return root_of(addr).nwait.load(std::memory_order_relaxed);
}

}  // namespace gort::internal
