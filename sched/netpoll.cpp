// Network poller
//
// The problem. A goroutine that reads a socket must not hold its worker
// thread while nothing arrives, and ten thousand of them must not cost ten
// thousand threads. So a waiting goroutine parks, and one place in the
// runtime learns from the kernel which descriptors became ready and readies
// their goroutines. That place must not add latency (a readiness edge is
// acted on at once), must not lose an edge that arrives while the goroutine
// is between its EAGAIN and its park, and must let close and deadlines wake
// a waiter as surely as data does. (Go's runtime/netpoll.go.)
//
// The approach is Go's:
//   - Every descriptor is registered once, edge-triggered, both directions
//     (the backend, sched/netpoll_epoll.cpp). A poll descriptor (poll_desc)
//     is the runtime's half: two wait words, rg and wg, a lock, and the
//     deadlines. Descriptors come from a slab that is never freed, so an
//     event for a closed descriptor points at valid memory of the same
//     type; the backend's key is {slot, generation}, and an event whose
//     generation is stale is dropped (golang/go#59545).
//   - A wait word is a binary semaphore with a parked party in it:
//       nil    no notification, nobody waits;
//       ready  a readiness edge arrived that nobody has consumed;
//       wait   a party is about to park;
//       W      the party parked: a g*, or a plain thread's waiter | 1.
//     An operation tries its system call first and waits only after
//     EAGAIN (poll_prepare, then poll_wait). poll_wait CASes ready -> nil
//     (done) or nil -> wait, re-checks the errors (closing, its deadline,
//     its interrupt), then parks with a commit that CASes wait -> g on the
//     scheduler context. An edge that arrives meanwhile turns wait into
//     ready, the commit fails, the park is called off: no edge is lost.
//   - unblock(mode, ioready) takes the party out of a word: readiness
//     leaves ready behind, close, deadlines and interrupts leave nil, so
//     their waiter re-checks the errors, which the waker published before
//     unblocking (N2).
//   - Deadlines are timers on the processors' heaps, one per direction, or
//     one for both when the two are equal, each carrying the sequence
//     number it was armed with; every change bumps the number, so a timer
//     that fires late finds a newer number and does nothing.
//   - The scheduler polls (sched/scheduler.cpp, "Idle workers and timers"):
//     an M about to idle while parties wait, or while a timer is pending,
//     becomes the one M blocked in the poller (lastpoll == 0) until the
//     earliest timer; other Ms that run out of work poll without blocking;
//     sysmon polls when nobody has for 10 ms. A timer that becomes earlier
//     than the blocked poller's deadline breaks the poll (netpoll_break_for).
//
// Invariants:
//   N1. At most one party waits per direction (the net module's fd lock
//       serialises readers and writers); a second is a fatal "double wait".
//   N2. Whoever sets closing or expires a deadline does so under pd->lock,
//       publishes `info`, and only then unblocks; the waiter stores wait
//       and then loads info (both seq_cst): one of them sees the other.
//   N3. A party is readied or woken only after it was taken out of its
//       word with a CAS, so it is woken at most once per park; never while
//       holding pd->lock (HACKING.md, "Readying").
//   N4. rseq and wseq only grow, across reuses of the descriptor too, so a
//       timer armed for an earlier owner can never match.
//   N5. waiters counts the parties parked in words (incremented by a
//       successful commit, decremented when taken out): while it is
//       non-zero, someone will poll, and no deadlock is reported.
//
// Lock order: pd->lock ranks with the wait queues; it is taken with no
// other lock held and is held while arming timers (timers rank above).
#include <mutex>

#include <gort/sched.hpp>
#include "runtime/internal/check.hpp"
#include "runtime/internal/futex.hpp"
#include "runtime/internal/trace.hpp"
#include "sched/internal/netpoll.hpp"
#include "sched/internal/netpoll_backend.hpp"
#include "sched/internal/park.hpp"
#include "sched/internal/sched.hpp"

namespace gort::internal {

namespace {

constexpr std::uintptr_t pd_nil = 0;
constexpr std::uintptr_t pd_ready = 1;
constexpr std::uintptr_t pd_wait = 2;
constexpr std::uintptr_t thread_tag = 1;  // low bit of a thread waiter

// info bits, the summary a waiter reads without the lock (N2).
constexpr std::uint32_t info_closing = 1;
constexpr std::uint32_t info_expired_r = 2;
constexpr std::uint32_t info_expired_w = 4;

constexpr int io_budget = 128;  // Tokio's coop budget
constexpr std::int64_t sysmon_poll_ns = 10'000'000;

struct thread_waiter {
  std::atomic<std::uint32_t> state{0};  // 1: woken
};

}  // namespace

struct alignas(64) poll_desc {
  std::atomic<std::uintptr_t> rg{pd_nil};
  std::atomic<std::uintptr_t> wg{pd_nil};
  std::atomic<std::uint32_t> info{0};
  std::atomic<std::uint32_t> gen{1};  // bumped when freed
  std::uint32_t slot = 0;
  std::atomic<int> fd{-1};
  rt_mutex lock{lock_rank::wait_queue};
  // Protected by lock:
  bool closing = false;
  std::int64_t rd = 0, wd = 0;       // 0 none, -1 expired, else when (ns)
  std::uint64_t rseq = 0, wseq = 0;  // N4
  timer rt, wt;
  bool rt_armed = false, wt_armed = false;
  poll_desc* free_next = nullptr;  // protected by the slab's lock
};

namespace {

// --- The slab: blocks of descriptors, never freed. ---

constexpr std::uint32_t block_shift = 8;
constexpr std::uint32_t block_size = 1u << block_shift;
constexpr std::uint32_t max_blocks = 1u << 16;  // 16M descriptors

struct slab_t {
  std::atomic<poll_desc*> blocks[max_blocks] = {};
  rt_mutex lock{lock_rank::leaf};
  poll_desc* free = nullptr;  // protected by lock
  std::uint32_t nblocks = 0;  // protected by lock
};
slab_t slab;

poll_desc* slab_get() noexcept {
  std::lock_guard<rt_mutex> lk(slab.lock);
  if (slab.free == nullptr) {
    GORT_CHECK(slab.nblocks < max_blocks);
    auto* b = new poll_desc[block_size];
    for (std::uint32_t i = block_size; i-- > 0;) {
      b[i].slot = (slab.nblocks << block_shift) | i;
      b[i].free_next = slab.free;
      slab.free = &b[i];
    }
    slab.blocks[slab.nblocks++].store(b, std::memory_order_release);
  }
  poll_desc* pd = slab.free;
  slab.free = pd->free_next;
  return pd;
}

void slab_put(poll_desc* pd) noexcept {
  pd->gen.fetch_add(1, std::memory_order_release);
  std::lock_guard<rt_mutex> lk(slab.lock);
  pd->free_next = slab.free;
  slab.free = pd;
}

std::uint64_t key_of(const poll_desc* pd) noexcept {
  return std::uint64_t{pd->slot} << 32 |
         pd->gen.load(std::memory_order_relaxed);
}

// lookup returns the live descriptor a key names, or nullptr if stale.
poll_desc* lookup(std::uint64_t key) noexcept {
  const auto slot = static_cast<std::uint32_t>(key >> 32);
  poll_desc* b =
      slab.blocks[slot >> block_shift].load(std::memory_order_acquire);
  if (b == nullptr) return nullptr;
  poll_desc* pd = &b[slot & (block_size - 1)];
  if (pd->gen.load(std::memory_order_acquire) !=
      static_cast<std::uint32_t>(key))
    return nullptr;
  return pd;
}

// --- Poller state. ---

struct poller_t {
  std::once_flag once;
  int init_err = 0;
  std::atomic<bool> active{false};
  std::atomic<std::int32_t> waiters{0};     // N5
  std::atomic<std::int64_t> lastpoll{1};    // 0: an M is blocked in poll
  std::atomic<std::int64_t> poll_until{0};  // that M's deadline, 0 none
  std::atomic<std::uint64_t> calls{0}, events{0}, breaks{0};
};
poller_t poller;

std::atomic<std::uintptr_t>& word(poll_desc* pd, poll_mode mode) noexcept {
  return mode == poll_mode::read ? pd->rg : pd->wg;
}

void publish(poll_desc* pd) noexcept {  // pd->lock held
  std::uint32_t i = 0;
  if (pd->closing) i |= info_closing;
  if (pd->rd < 0) i |= info_expired_r;
  if (pd->wd < 0) i |= info_expired_w;
  pd->info.store(i, std::memory_order_seq_cst);
}

poll_result check_err(const poll_desc* pd, poll_mode mode,
                      const std::atomic<std::uint32_t>* interrupt) noexcept {
  const std::uint32_t i = pd->info.load(std::memory_order_seq_cst);
  if (i & info_closing) return poll_result::closing;
  if (i & (mode == poll_mode::read ? info_expired_r : info_expired_w))
    return poll_result::timeout;
  if (interrupt != nullptr && interrupt->load(std::memory_order_seq_cst))
    return poll_result::interrupted;
  return poll_result::ok;
}

// unblock takes the party out of pd's `mode` word (Go's netpollunblock).
// Returns it (a g* or a tagged thread waiter), or pd_nil.
std::uintptr_t unblock(poll_desc* pd, poll_mode mode, bool ioready) noexcept {
  auto& w = word(pd, mode);
  std::uintptr_t old = w.load(std::memory_order_acquire);
  for (;;) {
    if (old == pd_ready) return pd_nil;
    if (old == pd_nil && !ioready) return pd_nil;  // only I/O sets ready
    if (w.compare_exchange_weak(old, ioready ? pd_ready : pd_nil,
                                std::memory_order_acq_rel))
      break;
  }
  if (old == pd_nil || old == pd_wait) return pd_nil;  // its commit fails
  poller.waiters.fetch_sub(1, std::memory_order_seq_cst);
  return old;
}

// wake_party wakes what unblock returned, lock not held (N3). Goroutines
// go on `list` (through schedlink, made runnable) if given, else ready().
void wake_party(std::uintptr_t party, g** list = nullptr) noexcept {
  if (party == pd_nil) return;
  if (party & thread_tag) {
    auto* tw = reinterpret_cast<thread_waiter*>(party & ~thread_tag);
    tw->state.store(1, std::memory_order_release);
    futex_wake(&tw->state, 1);  // tw may be gone: a spurious wake at worst
    return;
  }
  g* gp = reinterpret_cast<g*>(party);
  if (list == nullptr) {
    ready(gp, true);
    return;
  }
  set_runnable(gp);
  gp->schedlink = *list;
  *list = gp;
}

bool commit_wait(g* gp, void* arg) noexcept {
  auto* w = static_cast<std::atomic<std::uintptr_t>*>(arg);
  std::uintptr_t expect = pd_wait;
  if (!w->compare_exchange_strong(expect, reinterpret_cast<std::uintptr_t>(gp),
                                  std::memory_order_acq_rel))
    return false;  // readiness (or an unblock) came first: call it off
  poller.waiters.fetch_add(1, std::memory_order_seq_cst);
  return true;
}

// block waits in pd's `mode` word (Go's netpollblock). True: a readiness
// notification ended it.
bool block(poll_desc* pd, poll_mode mode,
           const std::atomic<std::uint32_t>* interrupt) noexcept {
  auto& w = word(pd, mode);
  std::uintptr_t old = w.load(std::memory_order_acquire);
  for (;;) {
    if (old == pd_ready) {
      if (w.compare_exchange_weak(old, pd_nil, std::memory_order_acq_rel))
        return true;
      continue;
    }
    GORT_CHECK(old == pd_nil);  // N1: "double wait"
    if (w.compare_exchange_weak(old, pd_wait, std::memory_order_seq_cst)) break;
  }
  if (check_err(pd, mode, interrupt) == poll_result::ok) {  // N2
    if (g* gp = current_g()) {
      const int fd = pd->fd.load(std::memory_order_relaxed);
      gp->wait_fd.store(fd, std::memory_order_relaxed);
      trace::emit(ev::io_wait, gp->id, static_cast<unsigned>(fd),
                  static_cast<unsigned>(mode));
      park(wait_reason::io_wait, &commit_wait, &w);
    } else {
      thread_waiter tw;
      std::uintptr_t expect = pd_wait;
      if (w.compare_exchange_strong(
              expect, reinterpret_cast<std::uintptr_t>(&tw) | thread_tag,
              std::memory_order_acq_rel)) {
        poller.waiters.fetch_add(1, std::memory_order_seq_cst);
        netpoll_need_poller();
        while (tw.state.load(std::memory_order_acquire) == 0)
          futex_wait(&tw.state, 0);
      }
    }
  }
  old = w.exchange(pd_nil, std::memory_order_acq_rel);
  GORT_CHECK(old <= pd_wait);  // "corrupted polldesc"
  return old == pd_ready;
}

// --- Deadlines. ---

void deadline_fired(poll_desc* pd, std::uint64_t seq, bool r, bool w) noexcept {
  std::uintptr_t rp = pd_nil, wp = pd_nil;
  {
    std::lock_guard<rt_mutex> lk(pd->lock);
    // A stale timer (N4): the deadline moved, or the fd was closed.
    if (seq != (r ? pd->rseq : pd->wseq) || pd->closing) return;
    if (r) {
      pd->rd = -1;
      pd->rt_armed = false;
    }
    if (w) {
      pd->wd = -1;
      if (!r) pd->wt_armed = false;
    }
    publish(pd);
    if (r) rp = unblock(pd, poll_mode::read, false);
    if (w) wp = unblock(pd, poll_mode::write, false);
  }
  wake_party(rp);
  wake_party(wp);
}

void read_deadline(void* arg, std::uint64_t seq) noexcept {
  deadline_fired(static_cast<poll_desc*>(arg), seq, true, false);
}
void write_deadline(void* arg, std::uint64_t seq) noexcept {
  deadline_fired(static_cast<poll_desc*>(arg), seq, false, true);
}
void both_deadline(void* arg, std::uint64_t seq) noexcept {
  deadline_fired(static_cast<poll_desc*>(arg), seq, true, true);
}

// arm (re)arms t for `when` with `seq`, or stops it (when <= 0). pd->lock
// held. Returns the `when` to pass to note_timer_added, or 0.
std::int64_t arm(poll_desc* pd, timer& t, bool& armed, std::int64_t when,
                 std::uint64_t seq,
                 void (*fn)(void*, std::uint64_t) noexcept) noexcept {
  if (armed) timer_heap::remove(&t);  // a firing under way sees seq moved
  armed = when > 0;
  if (!armed) return 0;
  t.fn = fn;
  t.arg = pd;
  t.seq = seq;
  t.period = 0;
  return timer_add(&t, when) ? when : 0;
}

}  // namespace

// --- The net module's calls (netpoll.hpp). ---

poll_desc* poll_open(int fd, int* err) noexcept {
  ensure_started();
  std::call_once(poller.once, [] {
    poller.init_err = backend::init();
    if (poller.init_err == 0) {
      poller.lastpoll.store(monotonic_ns(), std::memory_order_relaxed);
      poller.active.store(true, std::memory_order_seq_cst);
    }
  });
  if (poller.init_err != 0) {
    *err = poller.init_err;
    return nullptr;
  }
  poll_desc* pd = slab_get();
  {
    std::lock_guard<rt_mutex> lk(pd->lock);
    GORT_CHECK(pd->rg.load() <= pd_wait && pd->wg.load() <= pd_wait);
    pd->fd.store(fd, std::memory_order_relaxed);
    pd->closing = false;
    pd->rd = pd->wd = 0;
    ++pd->rseq;
    ++pd->wseq;
    pd->rg.store(pd_nil, std::memory_order_relaxed);
    pd->wg.store(pd_nil, std::memory_order_relaxed);
    publish(pd);
  }
  if (int e = backend::add(fd, key_of(pd)); e != 0) {
    pd->fd.store(-1, std::memory_order_relaxed);
    slab_put(pd);
    *err = e;
    return nullptr;
  }
  return pd;
}

void poll_evict(poll_desc* pd) noexcept {
  std::uintptr_t rp, wp;
  {
    std::lock_guard<rt_mutex> lk(pd->lock);
    if (pd->closing) return;
    pd->closing = true;
    ++pd->rseq;
    ++pd->wseq;
    publish(pd);
    rp = unblock(pd, poll_mode::read, false);
    wp = unblock(pd, poll_mode::write, false);
    if (pd->rt_armed) timer_heap::remove(&pd->rt);
    if (pd->wt_armed) timer_heap::remove(&pd->wt);
    pd->rt_armed = pd->wt_armed = false;
  }
  wake_party(rp);
  wake_party(wp);
}

void poll_close(poll_desc* pd) noexcept {
  GORT_CHECK(pd->closing);
  GORT_CHECK(pd->rg.load() <= pd_wait && pd->wg.load() <= pd_wait);
  backend::remove(pd->fd.load(std::memory_order_relaxed));
  pd->fd.store(-1, std::memory_order_relaxed);
  slab_put(pd);
}

poll_result poll_prepare(poll_desc* pd, poll_mode mode) noexcept {
  if (poll_result r = check_err(pd, mode, nullptr); r != poll_result::ok)
    return r;
  word(pd, mode).store(pd_nil, std::memory_order_relaxed);
  return poll_result::ok;
}

poll_result poll_wait(poll_desc* pd, poll_mode mode,
                      const std::atomic<std::uint32_t>* interrupt) noexcept {
  GORT_CHECK(mode != poll_mode::both);
  while (!block(pd, mode, interrupt)) {
    // Go's pollWait: a wake with no readiness is an error, or spurious (a
    // deadline moved before the woken party ran): then wait again.
    if (poll_result r = check_err(pd, mode, interrupt); r != poll_result::ok)
      return r;
  }
  return poll_result::ok;
}

void poll_wake(poll_desc* pd, poll_mode mode) noexcept {
  std::uintptr_t rp = pd_nil, wp = pd_nil;
  if (mode != poll_mode::write) rp = unblock(pd, poll_mode::read, false);
  if (mode != poll_mode::read) wp = unblock(pd, poll_mode::write, false);
  wake_party(rp);
  wake_party(wp);
}

void poll_set_deadline(poll_desc* pd, std::int64_t when,
                       poll_mode mode) noexcept {
  std::uintptr_t rp = pd_nil, wp = pd_nil;
  std::int64_t note = 0;
  {
    std::lock_guard<rt_mutex> lk(pd->lock);
    if (pd->closing) return;
    if (when > 0 && when <= monotonic_ns()) when = -1;  // passed: expired
    const std::int64_t rd0 = pd->rd, wd0 = pd->wd;
    const bool combo0 = rd0 > 0 && rd0 == wd0;
    if (mode != poll_mode::write) pd->rd = when;
    if (mode != poll_mode::read) pd->wd = when;
    const bool combo = pd->rd > 0 && pd->rd == pd->wd;
    if (pd->rd != rd0 || combo != combo0) {
      ++pd->rseq;
      note = arm(pd, pd->rt, pd->rt_armed, pd->rd, pd->rseq,
                 combo ? &both_deadline : &read_deadline);
    }
    if (pd->wd != wd0 || combo != combo0) {
      ++pd->wseq;
      const std::int64_t n = arm(pd, pd->wt, pd->wt_armed, combo ? 0 : pd->wd,
                                 pd->wseq, &write_deadline);
      if (n != 0 && (note == 0 || n < note)) note = n;
    }
    publish(pd);
    if (pd->rd < 0) rp = unblock(pd, poll_mode::read, false);
    if (pd->wd < 0) wp = unblock(pd, poll_mode::write, false);
  }
  wake_party(rp);
  wake_party(wp);
  if (note != 0) note_timer_added(note);
}

int poll_fd_of(const poll_desc* pd) noexcept {
  return pd->fd.load(std::memory_order_relaxed);
}

void io_budget_spend() noexcept {
  m* mp = current_m();
  if (mp == nullptr || mp->w.curg == nullptr || mp->pp == nullptr) return;
  p* pp = mp->pp;
  if (++pp->io_budget < io_budget &&
      !pp->preempt.load(std::memory_order_relaxed))
    return;
  pp->io_budget = 0;
  gort::yield();
}

// --- The scheduler's calls. ---

bool netpoll_active() noexcept {
  return poller.active.load(std::memory_order_acquire);
}

std::int32_t netpoll_waiters() noexcept {
  return poller.waiters.load(std::memory_order_seq_cst);
}

bool netpoll_worth_polling() noexcept {
  return netpoll_active() && netpoll_waiters() > 0 &&
         poller.lastpoll.load(std::memory_order_relaxed) != 0;
}

bool netpoll_blocked() noexcept {
  return poller.lastpoll.load(std::memory_order_acquire) == 0;
}

g* netpoll(std::int64_t timeout_ns, int* n) noexcept {
  backend::event evs[backend::max_events];
  bool woken = false;
  const int k = backend::poll(timeout_ns, evs, &woken);
  poller.calls.fetch_add(1, std::memory_order_relaxed);
  g* list = nullptr;
  int count = 0;
  for (int i = 0; i < k; ++i) {
    poll_desc* pd = lookup(evs[i].key);
    if (pd == nullptr) continue;  // closed since: a stale event
    if (evs[i].readable) {
      std::uintptr_t party = unblock(pd, poll_mode::read, true);
      count += party != pd_nil && !(party & thread_tag);
      wake_party(party, &list);
    }
    if (evs[i].writable) {
      std::uintptr_t party = unblock(pd, poll_mode::write, true);
      count += party != pd_nil && !(party & thread_tag);
      wake_party(party, &list);
    }
  }
  poller.events.fetch_add(static_cast<std::uint64_t>(k),
                          std::memory_order_relaxed);
  if (k > 0 || woken)
    trace::emit(ev::netpoll, static_cast<unsigned>(timeout_ns != 0),
                static_cast<unsigned>(k), static_cast<unsigned>(count));
  *n = count;
  return list;
}

bool netpoll_claim() noexcept {
  return netpoll_active() &&
         poller.lastpoll.exchange(0, std::memory_order_seq_cst) != 0;
}

g* netpoll_blocking(std::int64_t until, int* n) noexcept {
  poller.poll_until.store(until == never ? 0 : until,
                          std::memory_order_seq_cst);
  std::int64_t timeout = -1;
  if (until != never) {
    timeout = until - monotonic_ns();
    if (timeout < 0) timeout = 0;
  }
  g* list = netpoll(timeout, n);
  poller.poll_until.store(0, std::memory_order_relaxed);
  poller.lastpoll.store(monotonic_ns(), std::memory_order_seq_cst);
  return list;
}

bool netpoll_break_for(std::int64_t when) noexcept {
  if (!netpoll_blocked()) return false;
  const std::int64_t until = poller.poll_until.load(std::memory_order_seq_cst);
  if ((until == 0 || until > when) && backend::wake())
    poller.breaks.fetch_add(1, std::memory_order_relaxed);
  return true;
}

void netpoll_need_poller() noexcept {
  if (!netpoll_blocked()) wakep();
}

g* netpoll_sysmon(std::int64_t now, int* n) noexcept {
  *n = 0;
  if (!netpoll_active()) return nullptr;
  std::int64_t last = poller.lastpoll.load(std::memory_order_relaxed);
  if (last == 0 || now - last < sysmon_poll_ns ||
      !poller.lastpoll.compare_exchange_strong(last, now,
                                               std::memory_order_seq_cst))
    return nullptr;
  return netpoll(0, n);
}

netpoll_counters netpoll_stats() noexcept {
  netpoll_counters c;
  c.calls = poller.calls.load(std::memory_order_relaxed);
  c.events = poller.events.load(std::memory_order_relaxed);
  c.breaks = poller.breaks.load(std::memory_order_relaxed);
  c.waiters = netpoll_waiters();
  return c;
}

}  // namespace gort::internal
