// Per-processor timer heaps (sched/internal/timers.hpp).
//
// Deletion is eager (remove() takes the timer out of its heap at once under
// the heap's lock) rather than Go's lazy zombies: gort's heaps are guarded
// by a lock anyway, and eager deletion lets stop() say exactly whether it
// stopped a pending timer.
#include "sched/internal/timers.hpp"

#include <mutex>

#include "runtime/internal/check.hpp"
#include "sched/internal/sched.hpp"

namespace gort::internal {
namespace {
constexpr std::size_t arity = 4;
}  // namespace

void timer_heap::publish() noexcept {
  next_when.store(heap_.empty() ? never : heap_[0]->when,
                  std::memory_order_release);
  size.store(static_cast<std::uint32_t>(heap_.size()),
             std::memory_order_relaxed);
}

void timer_heap::up(std::size_t i) noexcept {
  timer* t = heap_[i];
  while (i > 0) {
    std::size_t parent = (i - 1) / arity;
    if (heap_[parent]->when <= t->when) break;
    heap_[i] = heap_[parent];
    heap_[i]->index = static_cast<std::int32_t>(i);
    i = parent;
  }
  heap_[i] = t;
  t->index = static_cast<std::int32_t>(i);
}

void timer_heap::down(std::size_t i) noexcept {
  const std::size_t n = heap_.size();
  timer* t = heap_[i];
  for (;;) {
    std::size_t first = i * arity + 1;
    if (first >= n) break;
    std::size_t best = first;
    for (std::size_t c = first + 1; c < first + arity && c < n; ++c)
      if (heap_[c]->when < heap_[best]->when) best = c;
    if (heap_[best]->when >= t->when) break;
    heap_[i] = heap_[best];
    heap_[i]->index = static_cast<std::int32_t>(i);
    i = best;
  }
  heap_[i] = t;
  t->index = static_cast<std::int32_t>(i);
}

void timer_heap::erase_at(std::size_t i) noexcept {
  timer* t = heap_[i];
  timer* last = heap_.back();
  heap_.pop_back();
  if (last != t) {
    heap_[i] = last;
    last->index = static_cast<std::int32_t>(i);
    up(i);
    down(static_cast<std::size_t>(last->index));
  }
  t->index = -1;
  t->heap.store(nullptr, std::memory_order_release);  // see run_expired
}

bool timer_heap::add(timer* t, std::int64_t when) noexcept {
  std::lock_guard<rt_mutex> lk(lock);
  GORT_CHECK(t->index < 0);  // T1: not in a heap
  t->when = when;
  heap_.push_back(t);
  t->heap.store(this, std::memory_order_relaxed);
  up(heap_.size() - 1);
  publish();
  return heap_[0] == t;
}

bool timer_heap::remove(timer* t) noexcept {
  for (;;) {
    timer_heap* h = t->heap.load(std::memory_order_acquire);
    if (h == nullptr) return false;
    std::lock_guard<rt_mutex> lk(h->lock);
    if (t->heap.load(std::memory_order_relaxed) != h) continue;  // moved
    h->erase_at(static_cast<std::size_t>(t->index));
    h->publish();
    return true;
  }
}

bool timer_heap::remove_sync(timer* t) noexcept {
  const bool pending = remove(t);
  // Out of every heap now, so nothing counts itself into running again. A
  // call already under way counted itself in before it let go of the
  // heap's lock: remove either took that lock after it, or saw heap ==
  // nullptr through the release store in erase_at. Either way it sees that
  // call's count here, and waits for every call to count itself out.
  while (t->running.load(std::memory_order_acquire) != 0)
    __builtin_ia32_pause();
  return pending;
}

bool timer_add(timer* t, std::int64_t when) noexcept {
  p* pp = current_p();
  if (pp == nullptr) pp = sched().allp[0];
  return pp->timers.add(t, when);
}

int timer_heap::run_expired(std::int64_t now) noexcept {
  int ran = 0;
  std::unique_lock<rt_mutex> lk(lock);
  while (!heap_.empty() && heap_[0]->when <= now) {
    timer* t = heap_[0];
    void (*fn)(void*, std::uint64_t) = t->fn;
    void* arg = t->arg;
    std::uint64_t seq = t->seq;
    // Before erase_at publishes heap == nullptr (release): a remove_sync
    // that sees the timer gone must also see this call running. A count:
    // another runner may be inside a periodic t's fn already.
    t->running.fetch_add(1, std::memory_order_relaxed);
    if (t->period > 0) {
      // Skip missed periods (Go: when + period * (1 + delay/period)).
      std::int64_t delay = now - t->when;
      t->when += t->period * (1 + delay / t->period);
      down(0);
    } else {
      erase_at(0);
    }
    publish();
    lk.unlock();
    fn(arg, seq);
    // t may be re-armed, or (once running is zero) freed, from here on.
    t->running.fetch_sub(1, std::memory_order_release);
    ++ran;
    lk.lock();
  }
  return ran;
}

void timer_heap::move_all(timer_heap& to) noexcept {
  if (&to == this) return;
  // Same rank: take the two locks in address order (rt_mutex.hpp).
  timer_heap* first = this < &to ? this : &to;
  timer_heap* second = this < &to ? &to : this;
  std::lock_guard<rt_mutex> l1(first->lock);
  std::lock_guard<rt_mutex> l2(second->lock);
  for (timer* t : heap_) {
    t->index = -1;
    to.heap_.push_back(t);
    t->heap.store(&to, std::memory_order_relaxed);
    to.up(to.heap_.size() - 1);
  }
  heap_.clear();
  publish();
  to.publish();
}

}  // namespace gort::internal
