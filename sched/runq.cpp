// Run queues
//
// Each P has a bounded ring of 256 goroutines plus a one-goroutine `runnext`
// slot, and there is one global queue under sched.lock (Go's runq, runnext
// and globrunq; go-runtime.md 3).
//
// Why this shape:
//   - A local ring needs no lock: its owner pushes at the tail (one
//     producer) and everyone pops at the head with a CAS (owner and
//     thieves). Chase-Lev deques make the owner LIFO, which hurts fairness;
//     Go's ring keeps the owner FIFO, and so does this one.
//   - runnext holds the goroutine the running one just readied or spawned.
//     Running it next keeps a producer/consumer pair or a fork-join tree on
//     one core with a warm cache. It inherits the time slice, so a pair that
//     keeps handing off cannot starve the queue: sysmon flags a slice older
//     than 10 ms and the next pick skips runnext once.
//   - The ring is bounded so a thief can copy a consistent batch; when it
//     is full, half of it moves to the global queue in one lock round trip.
//
// The protocol (memory orders as Go places them):
//   1. Push (owner): load head (acquire); if tail - head < 256, store the
//      slot, then store tail + 1 (release). Else move half to the global
//      queue (CAS head by 128, release) and retry.
//   2. Pop (owner): take runnext by exchange, else load head (acquire), read
//      the slot, CAS head + 1 (release).
//   3. Steal (thief): load head and tail (acquire), take n = ceil(half),
//      copy the n slots, CAS head + n (release). The copy is validated by
//      the CAS: if it fails, someone else took them and the copy is thrown
//      away. On the last round a thief may also take runnext, after giving
//      a running victim 3 us to take it itself.
// Slots are atomics only so that the racy read a failed CAS throws away is
// not a data race in C++'s (and TSan's) eyes; relaxed order suffices.
//
// Invariants:
//   Q1. 0 <= tail - head <= 256 (unsigned, free-running counters).
//   Q2. Only the owner stores tail and stores a non-null runnext.
#include <chrono>
#include <thread>

#include "runtime/internal/check.hpp"
#include "runtime/internal/trace.hpp"
#include "sched/internal/sched.hpp"

namespace gort::internal {
namespace {

constexpr std::uint32_t half = runq_size / 2;

// put_slow moves half of pp's full ring plus gp to the global queue.
bool put_slow(p* pp, g* gp, std::uint32_t h, std::uint32_t t) noexcept {
  GORT_DCHECK(t - h == runq_size);  // Q1
  g* batch[half + 1];
  for (std::uint32_t i = 0; i < half; ++i)
    batch[i] = pp->ring[(h + i) % runq_size].load(std::memory_order_relaxed);
  if (!pp->head.compare_exchange_strong(h, h + half, std::memory_order_release))
    return false;
  batch[half] = gp;
  for (std::uint32_t i = 0; i < half; ++i) batch[i]->schedlink = batch[i + 1];
  batch[half]->schedlink = nullptr;
  globrunq_put_batch(batch[0], batch[half], half + 1);
  return true;
}

// grab copies up to half of victim's ring into out; returns the count.
std::uint32_t grab(p* victim, g** out, bool steal_runnext) noexcept {
  for (;;) {
    std::uint32_t h = victim->head.load(std::memory_order_acquire);
    std::uint32_t t = victim->tail.load(std::memory_order_acquire);
    std::uint32_t n = t - h;
    n -= n / 2;
    if (n == 0) {
      if (!steal_runnext) return 0;
      g* next = victim->runnext.load(std::memory_order_acquire);
      if (next == nullptr) return 0;
      if (victim->status.load(std::memory_order_relaxed) == pstatus::running) {
        // The victim is about to run it: a sync hand-off takes ~100 ns,
        // so 3 us is plenty and avoids stealing it back and forth.
        auto until =
            std::chrono::steady_clock::now() + std::chrono::microseconds(3);
        while (std::chrono::steady_clock::now() < until) {
          if (victim->runnext.load(std::memory_order_relaxed) != next) break;
          __builtin_ia32_pause();
        }
      }
      if (!victim->runnext.compare_exchange_strong(next, nullptr,
                                                   std::memory_order_acq_rel))
        continue;
      out[0] = next;
      return 1;
    }
    if (n > half) continue;  // inconsistent head/tail: retry
    for (std::uint32_t i = 0; i < n; ++i)
      out[i] =
          victim->ring[(h + i) % runq_size].load(std::memory_order_relaxed);
    if (victim->head.compare_exchange_strong(h, h + n,
                                             std::memory_order_release))
      return n;
  }
}

}  // namespace

void runq_put(p* pp, g* gp, bool next) noexcept {
  if (next) {
    gp = pp->runnext.exchange(gp, std::memory_order_acq_rel);
    if (gp == nullptr) return;
    // The old runnext goes to the tail.
  }
  for (;;) {
    std::uint32_t h = pp->head.load(std::memory_order_acquire);
    std::uint32_t t = pp->tail.load(std::memory_order_relaxed);
    if (t - h < runq_size) {
      pp->ring[t % runq_size].store(gp, std::memory_order_relaxed);
      pp->tail.store(t + 1, std::memory_order_release);
      return;
    }
    if (put_slow(pp, gp, h, t)) return;
  }
}

g* runq_get(p* pp, bool* inherit) noexcept {
  if (pp->preempt.load(std::memory_order_relaxed)) {
    // The slice is over (sysmon): run the queue's head, not runnext.
    pp->preempt.store(false, std::memory_order_relaxed);
    g* next = pp->runnext.exchange(nullptr, std::memory_order_acq_rel);
    if (next != nullptr) runq_put(pp, next, false);
  }
  g* next = pp->runnext.load(std::memory_order_relaxed);
  if (next != nullptr && pp->runnext.compare_exchange_strong(
                             next, nullptr, std::memory_order_acq_rel)) {
    *inherit = true;
    return next;
  }
  *inherit = false;
  for (;;) {
    std::uint32_t h = pp->head.load(std::memory_order_acquire);
    std::uint32_t t = pp->tail.load(std::memory_order_relaxed);
    if (t == h) return nullptr;
    g* gp = pp->ring[h % runq_size].load(std::memory_order_relaxed);
    if (pp->head.compare_exchange_strong(h, h + 1, std::memory_order_release))
      return gp;
  }
}

g* runq_steal(p* pp, p* victim, bool steal_runnext) noexcept {
  g* batch[half];
  std::uint32_t n = grab(victim, batch, steal_runnext);
  if (n == 0) return nullptr;
  g* gp = batch[n - 1];
  if (n > 1) {
    // The thief's ring is empty enough: it steals only when it found no
    // local work, and only its owner (this thread) pushes to it.
    std::uint32_t t = pp->tail.load(std::memory_order_relaxed);
    std::uint32_t h = pp->head.load(std::memory_order_acquire);
    GORT_CHECK(t - h + (n - 1) <= runq_size);  // Q1
    for (std::uint32_t i = 0; i + 1 < n; ++i)
      pp->ring[(t + i) % runq_size].store(batch[i], std::memory_order_relaxed);
    pp->tail.store(t + n - 1, std::memory_order_release);
  }
  bump(pp->counters.steals);
  trace::emit(ev::steal, pp->id, victim->id, n);
  bump(pp->counters.stolen, n);
  victim->counters.stolen_from.fetch_add(n, std::memory_order_relaxed);
  return gp;
}

bool runq_empty(const p* pp) noexcept {
  // Read head, tail, runnext, then tail again, so a goroutine moving from
  // runnext to the ring is not missed (go-runtime.md 3.1).
  for (;;) {
    std::uint32_t h = pp->head.load(std::memory_order_acquire);
    std::uint32_t t = pp->tail.load(std::memory_order_acquire);
    g* next = pp->runnext.load(std::memory_order_acquire);
    if (t == pp->tail.load(std::memory_order_acquire))
      return h == t && next == nullptr;
  }
}

std::uint32_t runq_len(const p* pp) noexcept {
  std::uint32_t h = pp->head.load(std::memory_order_acquire);
  std::uint32_t t = pp->tail.load(std::memory_order_acquire);
  std::uint32_t n = t - h;
  if (n > runq_size) n = 0;  // a torn read
  return n + (pp->runnext.load(std::memory_order_relaxed) != nullptr ? 1 : 0);
}

void runq_drain_to_global(p* pp) noexcept {
  bool inherit = false;
  g* head = nullptr;
  g* tail = nullptr;
  std::size_t n = 0;
  pp->preempt.store(false, std::memory_order_relaxed);
  while (g* gp = runq_get(pp, &inherit)) {
    gp->schedlink = nullptr;
    if (tail != nullptr)
      tail->schedlink = gp;
    else
      head = gp;
    tail = gp;
    ++n;
  }
  if (n > 0) globrunq_put_batch(head, tail, n);
}

void globrunq_put(g* gp) noexcept {
  gp->schedlink = nullptr;
  globrunq_put_batch(gp, gp, 1);
}

void globrunq_put_batch(g* head, g* tail, std::size_t n) noexcept {
  sched_t& s = sched();
  tail->schedlink = nullptr;
  std::lock_guard<rt_mutex> lk(s.lock);
  if (s.runq_tail != nullptr)
    s.runq_tail->schedlink = head;
  else
    s.runq_head = head;
  s.runq_tail = tail;
  s.runq_size.fetch_add(n, std::memory_order_release);
}

g* globrunq_get(p* pp, int max) noexcept {
  sched_t& s = sched();
  if (s.runq_size.load(std::memory_order_acquire) == 0) return nullptr;
  g* first;
  {
    std::lock_guard<rt_mutex> lk(s.lock);
    std::size_t size = s.runq_size.load(std::memory_order_relaxed);
    if (size == 0) return nullptr;
    // Go: min(size, size / gomaxprocs + 1, half a ring).
    int procs = s.gomaxprocs.load(std::memory_order_relaxed);
    std::size_t n = size / static_cast<std::size_t>(procs > 0 ? procs : 1) + 1;
    if (n > size) n = size;
    if (max > 0 && n > static_cast<std::size_t>(max))
      n = static_cast<std::size_t>(max);
    if (n > half) n = half;
    s.runq_size.fetch_sub(n, std::memory_order_relaxed);
    first = s.runq_head;
    g* last = first;
    for (std::size_t i = 1; i < n; ++i) last = last->schedlink;
    s.runq_head = last->schedlink;
    if (s.runq_head == nullptr) s.runq_tail = nullptr;
    last->schedlink = nullptr;
  }
  // Outside the lock: runq_put may overflow into the global queue.
  for (g* gp = first->schedlink; gp != nullptr;) {
    g* next = gp->schedlink;
    runq_put(pp, gp, false);
    gp = next;
  }
  first->schedlink = nullptr;
  return first;
}

}  // namespace gort::internal
