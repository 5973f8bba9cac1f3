// Parking
//
// park() and ready() are Go's gopark and goready; the contract and the
// protocol are in sched/internal/park.hpp. The pieces here:
//   1. park stores the wait reason and the commit callback in the G, then
//      switches to the scheduler context with switch_reason::park.
//   2. On the scheduler context (after_switch in scheduler.cpp) the G's
//      status becomes waiting, *then* commit runs. A waker can find the G
//      only after commit released the lock, so it always finds it waiting.
//   3. ready CASes waiting -> runnable and queues the G. With commit ==
//      nullptr a waker may arrive while the G is still switching out; ready
//      then waits for the status to leave running, which takes nanoseconds.
// Plain threads have no scheduler context: block() releases the lock and
// sleeps on the waiter's own futex word, and wake() stores and wakes it.

#include <mutex>

#include "runtime/internal/check.hpp"
#include "runtime/internal/context.hpp"
#include "runtime/internal/futex.hpp"
#include "runtime/internal/trace.hpp"
#include "sched/internal/latch.hpp"
#include "sched/internal/park.hpp"
#include "sched/internal/sched.hpp"
#include "sched/internal/wait_queue.hpp"

namespace gort::internal {
namespace {

bool unlock_commit(g*, void* lock) noexcept {
  static_cast<rt_mutex*>(lock)->unlock();
  return true;
}

}  // namespace

std::atomic<int> g_plain_asleep{0};

void plain_wait_nudge() noexcept {
  if (!started()) return;
  sched_t& s = sched();
  if (s.npidle.load(std::memory_order_acquire) ==
      s.gomaxprocs.load(std::memory_order_acquire))
    sysmon_wake();
}

g* current_g() noexcept {
  worker* w = current_worker();
  return w != nullptr ? w->curg : nullptr;
}

std::uint64_t goroutine_id_of(const g* gp) noexcept { return gp->id; }

void park(wait_reason reason, bool (*commit)(g*, void*), void* arg) noexcept {
  g* gp = current_g();
  GORT_CHECK(gp != nullptr);  // goroutine only
  gp->reason.store(reason, std::memory_order_relaxed);
  gp->wait_since.store(coarse_ns(), std::memory_order_relaxed);
  gp->commit = commit;
  gp->commit_arg = arg;
  suspend(gp, switch_reason::park);
  gp->reason.store(wait_reason::none, std::memory_order_relaxed);
}

void park_unlock(wait_reason reason, rt_mutex& lock) noexcept {
  park(reason, &unlock_commit, &lock);
}

void set_runnable(g* gp) noexcept {
  for (;;) {
    gstatus st = gp->status.load(std::memory_order_acquire);
    if (st == gstatus::waiting) {
      if (gp->status.compare_exchange_weak(st, gstatus::runnable,
                                           std::memory_order_acq_rel))
        break;
      continue;
    }
    // Still switching out (park with no commit), or a dump is reading its
    // stack: wait for either.
    GORT_CHECK(st == gstatus::running || st == gstatus::scanning);
    __builtin_ia32_pause();
  }
  if (trace::on()) {
    const g* by = current_g();
    trace::emit(ev::go_unpark, gp->id, by != nullptr ? by->id : 0);
  }
}

void ready(g* gp, bool next) noexcept {
  set_runnable(gp);
  p* pp = current_p();
  if (pp != nullptr) {
    runq_put(pp, gp, next);
  } else {
    globrunq_put(gp);
  }
  wakep();
}

void block(waiter& w, rt_mutex& lock, wait_reason reason) noexcept {
  g* gp = current_g();
  w.gp = gp;
  if (gp != nullptr) {
    park_unlock(reason, lock);
    return;
  }
  w.state.store(0, std::memory_order_relaxed);
  plain_asleep_in();
  lock.unlock();
  plain_wait_nudge();
  while (w.state.load(std::memory_order_acquire) == 0) futex_wait(&w.state, 0);
}

void wake(waiter& w) noexcept {
  g* gp = w.gp;  // read before w may disappear
  if (gp != nullptr) {
    ready(gp, true);
    return;
  }
  auto* word = &w.state;
  plain_asleep_out();
  word->store(1, std::memory_order_release);
  // w may be gone now; a wake on its address is at worst spurious.
  futex_wake(word, 1);
}

void waiter_list::push_back(waiter* w) noexcept {
  w->next = nullptr;
  w->prev = tail;
  if (tail != nullptr)
    tail->next = w;
  else
    head = w;
  tail = w;
}

waiter* waiter_list::pop_front() noexcept {
  waiter* w = head;
  if (w != nullptr) remove(w);
  return w;
}

void waiter_list::remove(waiter* w) noexcept {
  if (w->prev != nullptr)
    w->prev->next = w->next;
  else
    head = w->next;
  if (w->next != nullptr)
    w->next->prev = w->prev;
  else
    tail = w->prev;
  w->next = w->prev = nullptr;
}

// latch: see latch.hpp. The last count_down drains the waiters under the
// lock, then sets released_, and touches the latch no more: a waiter that
// sees released_ (or is woken) may destroy the latch at once.
void latch::add(std::int64_t n) noexcept {
  std::int64_t v = count_.fetch_add(n, std::memory_order_acq_rel) + n;
  GORT_CHECK(v >= 0);
  if (n > 0 && v == n) released_.store(false, std::memory_order_relaxed);
  if (v == 0 && n < 0) release();
}

void latch::count_down(std::int64_t n) noexcept {
  std::int64_t v = count_.fetch_sub(n, std::memory_order_acq_rel) - n;
  GORT_CHECK(v >= 0);
  if (v == 0) release();
}

void latch::release() noexcept {
  waiter* list;
  {
    std::lock_guard<rt_mutex> lk(waiters_.lock);
    list = waiters_.head;
    waiters_.head = waiters_.tail = nullptr;
  }
  released_.store(true, std::memory_order_release);
  while (list != nullptr) {
    waiter* next = list->next;  // read before wake: list may vanish
    wake(*list);
    list = next;
  }
}

void latch::wait() noexcept {
  if (released_.load(std::memory_order_acquire)) return;
  waiters_.lock.lock();
  if (count_.load(std::memory_order_acquire) == 0) {
    waiters_.lock.unlock();
    // The last count_down is between its decrement and released_.
    while (!released_.load(std::memory_order_acquire)) __builtin_ia32_pause();
    return;
  }
  waiter w;
  waiters_.push_back(&w);
  block(w, waiters_.lock, wait_reason::internal_wait);
}

}  // namespace gort::internal
