// Scheduler
//
// The problem. maxprocs() processors (P) must be kept busy running
// goroutines (G) on worker threads (M), while: (a) a worker with nothing to
// do uses no CPU, (b) work that appears anywhere is picked up promptly by an
// idle processor, (c) threads are not woken for nothing, and (d) nothing is
// lost when a worker goes to sleep at the same moment as work arrives. A
// central queue under one lock fails (a) to (c) at scale; waking a thread on
// every ready() thrashes threads; handing G and P to a fresh thread on every
// ready() loses locality. (Go's proc.go, "Worker thread parking/unparking".)
//
// The approach is Go's, with topology-aware stealing added:
//   - A worker looks for work in a fixed order, find_runnable(): its P's
//     expired timers; one goroutine from the global queue every 61st slice
//     (fairness); runnext, then the local ring; a batch from the global
//     queue; then it steals. Stealing tries victims nearest first by hwloc
//     topology (same core, same L3, same NUMA node, same package, the rest),
//     each tier from a random start, four rounds; on the last round it also
//     runs victims' expired timers and may take their runnext.
//   - If all of that fails, the worker releases its P to the idle list,
//     re-checks every queue (the re-check below), and parks its thread on a
//     private futex until handed a P, or until the earliest timer.
//
// Spinning workers
//
// A spinning M holds a P, has no local work, and is stealing. The rule that
// keeps both thread storms and idle-with-work away:
//   1. Whoever makes work runnable (go(), ready()) publishes it, then calls
//      wakep(): if a P is idle and no M is spinning, take the idle P and
//      start (or wake) an M for it, spinning. At most one M is woken at a
//      time (a CAS on nmspinning from 0 to 1).
//   2. A spinner that finds work stops spinning and calls wakep() in turn,
//      so that another spinner replaces it: this chain is what brings every
//      processor into use under a burst of work.
//   3. Spinners are capped as Go caps them: an M starts spinning only if
//      2 * nmspinning < maxprocs - npidle (half the busy Ps).
//   4. An M that gives up drops its P first, decrements nmspinning, then
//      (after a full fence: the StoreLoad that pairs with step 1) re-checks
//      the global queue and every P's run queue; if it finds work it takes
//      an idle P back and starts over. Either the submitter sees the
//      decremented nmspinning and wakes someone, or the spinner sees the
//      work. gort makes every idling M do the re-check, not only spinners,
//      which replaces Go's needspinning flag: it costs a scan of maxprocs
//      words before a futex sleep that costs microseconds anyway.
//
// Idle workers and timers
//
// A worker that parks computes the earliest timer over all processors. If
// it is earlier than the deadline of the M already sleeping for timers
// (sched.timed_sleeper), it becomes that M and parks with the deadline
// (FUTEX_WAIT_BITSET, absolute CLOCK_MONOTONIC, timer slack 1 ns: about
// 10 us late at worst, platform.md 7); any other idle M parks with no
// deadline. So one thread, not all, wakes for a timer. When it wakes it
// takes an idle P and runs the expired timers through the steal path.
// A P whose timers change while it sits on the idle list (sysmon's retake,
// set_maxprocs) calls note_timer_added(), which wakes a spinner if no M is
// sleeping for a time that early. A running P runs its own timers at each
// scheduling point, so a goroutine that computes for long without parking
// delays its own P's timers, as it delays that P's queue.
//
// Once the network poller runs (sched/netpoll.cpp, from the first socket),
// the one M that sleeps for timers sleeps in the poller instead, Go's way:
//   1. find_runnable, after the global queue and before stealing, polls
//      without blocking if someone waits on I/O and no M is in the poller
//      (1.1 us a call here: not done when it cannot find anything); it runs
//      the first goroutine found and injects the rest (inject_glist: one
//      per idle P to the global queue, with an M each; the rest locally).
//   2. An M that found nothing and dropped its P (idle_m) becomes the
//      poller if someone waits on I/O or a timer is pending and no other
//      M is in it (netpoll_claim): it blocks in epoll_pwait2 until the
//      earliest timer, with nanosecond precision. Woken, it takes an idle
//      P and runs what it found, or its timers through the steal path.
//   3. An M that cannot be the poller breaks the poller's sleep if its own
//      earliest timer is earlier, then parks with no deadline.
//   4. note_timer_added breaks the poller's sleep if the new timer is
//      earlier than its deadline; with no M in the poller it wakes one.
//   5. Sysmon polls when nobody has for 10 ms, so a ready socket is not
//      left unserved while every worker computes.
//
// Invariants:
//   S1. An idle P (on sched.pidle) has an empty run queue. (A P with id >=
//       maxprocs is never put there: pidle_put retires it instead.)
//   S2. nmspinning counts exactly the Ms with spinning == true, plus a
//       transient 1 held by wakep() between its CAS and start_m().
//   S3. An M on sched.midle holds no P; nextp is set only by start_m, for an
//       M it has just taken off the list.
#include <pthread.h>
#include <sched.h>
#include <sys/prctl.h>

#include <cstdio>
#include <mutex>
#include <thread>

#include "runtime/internal/check.hpp"
#include "runtime/internal/context.hpp"
#include "runtime/internal/trace.hpp"
#include "sched/internal/netpoll.hpp"
#include "sched/internal/park.hpp"
#include "sched/internal/sched.hpp"

namespace gort::internal {
namespace {

constexpr int steal_tries = 4;
constexpr int global_check_period = 61;

std::uint64_t next_rand(m* mp) noexcept {
  // xorshift64*
  std::uint64_t x = mp->rng;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  mp->rng = x;
  return x * 0x2545F4914F6CDD1DULL;
}

// run_timers runs heap_of's expired timers on runner (its owner or a
// thief); the count goes to runner, the P that did the work.
void run_timers(p* heap_of, p* runner, std::int64_t now) noexcept {
  int n = heap_of->timers.run_expired(now);
  if (n > 0) {
    bump(runner->counters.timers_fired, static_cast<std::uint64_t>(n));
    trace::emit(ev::timer_fire, runner->id, heap_of->id, n);
  }
}

// steal_work tries every other P, nearest first (see "Scheduler").
g* steal_work(m* mp, p* pp) noexcept {
  sched_t& s = sched();
  const auto* tiers = pp->victims.load(std::memory_order_acquire);
  if (tiers == nullptr) return nullptr;
  for (int round = 0; round < steal_tries; ++round) {
    const bool last = round == steal_tries - 1;
    const int procs = s.gomaxprocs.load(std::memory_order_acquire);
    std::int64_t now = last ? monotonic_ns() : 0;
    for (const std::vector<int>& tier : *tiers) {
      const std::size_t n = tier.size();
      if (n == 0) continue;
      const std::size_t start = next_rand(mp) % n;
      for (std::size_t k = 0; k < n; ++k) {
        const int v = tier[(start + k) % n];
        if (v >= procs) continue;
        p* victim = s.allp[v];
        if (victim == nullptr || victim == pp) continue;
        if (last &&
            victim->timers.next_when.load(std::memory_order_acquire) <= now) {
          run_timers(victim, pp, now);  // readies into pp's queue
          bool inherit = false;
          if (g* gp = runq_get(pp, &inherit)) return gp;
        }
        if (victim->status.load(std::memory_order_acquire) == pstatus::idle)
          continue;
        if (g* gp = runq_steal(pp, victim, last)) return gp;
      }
    }
  }
  return nullptr;
}

// work_anywhere is the re-check of "Spinning workers", step 4.
bool work_anywhere() noexcept {
  sched_t& s = sched();
  if (s.runq_size.load(std::memory_order_acquire) > 0) return true;
  const int procs = s.gomaxprocs.load(std::memory_order_acquire);
  for (int i = 0; i < procs; ++i) {
    p* pp = s.allp[i];
    if (pp != nullptr &&
        pp->status.load(std::memory_order_acquire) != pstatus::idle &&
        !runq_empty(pp))
      return true;
  }
  return false;
}

void release_p(m* mp) noexcept {
  p* pp = mp->pp;
  trace::emit(ev::proc_stop, pp->id);
  mp->pp = nullptr;
  pp->owner.store(nullptr, std::memory_order_relaxed);
  pidle_put(pp);
}

// become_timed_sleeper makes mp the M that sleeps for timers if `deadline`
// is earlier than the current one's. Returns the deadline to park with (0:
// none). See "Idle workers and timers".
std::int64_t become_timed_sleeper(std::int64_t deadline) noexcept {
  if (deadline == never) return 0;
  sched_t& s = sched();
  std::int64_t cur = s.timed_sleeper.load(std::memory_order_acquire);
  while (deadline < cur && !s.timed_sleeper.compare_exchange_weak(
                               cur, deadline, std::memory_order_acq_rel)) {
  }
  return deadline < cur ? deadline : 0;
}

void leave_timed_sleeper(std::int64_t mine) noexcept {
  if (mine == 0) return;
  std::int64_t expect = mine;
  sched().timed_sleeper.compare_exchange_strong(expect, never,
                                                std::memory_order_acq_rel);
}

void push_idle_m(m* mp) noexcept {  // sched.lock held
  sched_t& s = sched();
  mp->idle_link = s.midle;
  s.midle = mp;
  mp->on_idle_list = true;
  s.nmidle.fetch_add(1, std::memory_order_relaxed);
}

void remove_idle_m(m* mp) noexcept {  // sched.lock held, mp on the list
  sched_t& s = sched();
  m** link = &s.midle;
  while (*link != mp) link = &(*link)->idle_link;
  *link = mp->idle_link;
  mp->idle_link = nullptr;
  mp->on_idle_list = false;
  s.nmidle.fetch_sub(1, std::memory_order_relaxed);
}

// stop_m parks an M that holds no P until start_m hands it one, or until
// `deadline` (see "Idle workers and timers"). Returns with mp->pp set.
//
// A wake-up proves nothing by itself: an unpark from a start_m that raced
// with an earlier timeout can be left pending and end a later park early.
// So the M trusts only nextp and, under sched.lock, on_idle_list; it is
// pushed on the idle list exactly once per stay (S3), which is the
// regression guarded by sched_test's stress tests (a stale unpark once made
// an M push itself twice and turned the idle list into a cycle).
void stop_m(m* mp, std::int64_t deadline) noexcept {
  sched_t& s = sched();
  GORT_DCHECK(mp->pp == nullptr);  // S3
  std::int64_t mine = become_timed_sleeper(deadline);
  trace::emit(ev::m_park);
  {
    std::lock_guard<rt_mutex> lk(s.lock);
    push_idle_m(mp);
  }
  for (;;) {
    const bool woken = mp->parker.park(mine);
    if (mp->nextp.load(std::memory_order_acquire) != nullptr) break;
    std::unique_lock<rt_mutex> lk(s.lock);
    if (!mp->on_idle_list) {
      // start_m took us off the list; nextp and its unpark are on the way.
      lk.unlock();
      while (mp->nextp.load(std::memory_order_acquire) == nullptr)
        mp->parker.park();
      break;
    }
    if (woken || mine == 0 || monotonic_ns() < mine) continue;  // spurious
    // Our timer deadline passed: leave the list and look for a P ourselves.
    remove_idle_m(mp);
    p* pp = pidle_get();
    lk.unlock();
    leave_timed_sleeper(mine);
    if (pp != nullptr) {
      acquire_p(mp, pp);
      trace::emit(ev::m_wake, pp->id);
      return;
    }
    mine = become_timed_sleeper(earliest_timer());
    lk.lock();
    push_idle_m(mp);
  }
  leave_timed_sleeper(mine);
  p* pp = mp->nextp.exchange(nullptr, std::memory_order_acq_rel);
  if (mp->wake_spinning.exchange(false, std::memory_order_relaxed))
    mp->spinning = true;  // nmspinning was counted by the waker (S2)
  acquire_p(mp, pp);
  trace::emit(ev::m_wake, pp->id);
}

void reset_spinning(m* mp) noexcept {
  mp->spinning = false;
  sched().nmspinning.fetch_sub(1, std::memory_order_seq_cst);
  // Step 2 of "Spinning workers": replace ourselves.
  wakep();
}

// idle_m parks mp, which holds no P, with `next` the earliest timer (see
// "Idle workers and timers"). With the poller running, an M that may have
// to wake for I/O or a timer blocks in the poller instead, if no other M
// is there: until an event, a break, or `next`. Then it takes an idle P if
// it found goroutines or a timer is due, and returns the first goroutine
// (the rest are injected), or nullptr with mp->pp set to look again.
// Every other way ends in stop_m, which returns with mp->pp set.
g* idle_m(m* mp, std::int64_t next) noexcept {
  sched_t& s = sched();
  while (netpoll_active()) {
    if ((netpoll_waiters() <= 0 && next == never) || !netpoll_claim()) {
      if (next != never) netpoll_break_for(next);  // it sleeps past ours?
      break;
    }
    trace::emit(ev::m_park);
    int n = 0;
    g* list = netpoll_blocking(next, &n);
    if (list == nullptr && monotonic_ns() < next && !work_anywhere()) {
      next = earliest_timer();  // broken for an earlier timer: again
      continue;
    }
    p* pp;
    {
      std::lock_guard<rt_mutex> lk(s.lock);
      pp = pidle_get();
    }
    if (pp == nullptr) {  // every P is busy: they run it and the timers
      inject_glist(list, n, nullptr);
      break;
    }
    acquire_p(mp, pp);
    trace::emit(ev::m_wake, pp->id);
    if (list == nullptr) return nullptr;
    inject_glist(list->schedlink, n - 1, pp);
    return list;
  }
  stop_m(mp, netpoll_active() ? 0 : next);
  return nullptr;
}

// find_runnable blocks until it has a goroutine for mp to run. It returns
// with mp->pp set. *inherit says whether the goroutine inherits the slice.
g* find_runnable(m* mp, bool* inherit) noexcept {
  sched_t& s = sched();
  for (;;) {
    if (mp->pp == nullptr ||
        (mp->pp->id >= s.gomaxprocs.load(std::memory_order_acquire) &&
         retire_if_removed(mp))) {
      if (g* gp = idle_m(mp, earliest_timer())) {
        *inherit = false;
        return gp;
      }
      continue;
    }
    p* pp = mp->pp;
    if (pp->timers.next_when.load(std::memory_order_acquire) != never)
      run_timers(pp, pp, monotonic_ns());
    *inherit = false;
    if (pp->schedtick % global_check_period == 0 &&
        s.runq_size.load(std::memory_order_acquire) > 0) {
      if (g* gp = globrunq_get(pp, 1)) return gp;
    }
    if (g* gp = runq_get(pp, inherit)) return gp;
    if (g* gp = globrunq_get(pp, 0)) return gp;
    if (netpoll_worth_polling()) {  // "Idle workers and timers", the poller
      int n = 0;
      if (g* list = netpoll(0, &n)) {
        inject_glist(list->schedlink, n - 1, pp);
        return list;
      }
    }
    const int procs = s.gomaxprocs.load(std::memory_order_acquire);
    if (mp->spinning || 2 * s.nmspinning.load(std::memory_order_acquire) <
                            procs - s.npidle.load(std::memory_order_acquire)) {
      if (!mp->spinning) {
        mp->spinning = true;
        s.nmspinning.fetch_add(1, std::memory_order_seq_cst);
        trace::emit(ev::m_spin, pp->id);
      }
      if (g* gp = steal_work(mp, pp)) return gp;
    }
    // Nothing to do: give up the P (step 4 of "Spinning workers").
    {
      std::lock_guard<rt_mutex> lk(s.lock);
      if (s.runq_size.load(std::memory_order_relaxed) > 0) continue;
      release_p(mp);
    }
    const bool was_spinning = mp->spinning;
    if (mp->spinning) {
      mp->spinning = false;
      s.nmspinning.fetch_sub(1, std::memory_order_seq_cst);
    }
    store_load_barrier();
    std::int64_t next = earliest_timer();
    if (work_anywhere() || next <= monotonic_ns()) {
      p* np;
      {
        std::lock_guard<rt_mutex> lk(s.lock);
        np = pidle_get();
      }
      if (np != nullptr) {
        acquire_p(mp, np);
        if (was_spinning) {
          mp->spinning = true;
          s.nmspinning.fetch_add(1, std::memory_order_seq_cst);
        }
        continue;
      }
    }
    if (g* gp = idle_m(mp, next)) {
      *inherit = false;
      return gp;
    }
  }
}

// A goroutine's M, in the scheduler context: the part of the loop that acts
// on how the goroutine stopped. Returns a goroutine to run at once, or null.
g* after_switch(m* mp, g* gp, switch_reason why) noexcept;

}  // namespace

// execute runs gp, and whatever after_switch hands back, on mp.
void execute(m* mp, g* gp, bool inherit) {
  while (gp != nullptr) {
    p* pp = mp->pp;
    if (!inherit) ++pp->schedtick;
    pp->schedtick_pub.store(pp->schedtick, std::memory_order_relaxed);
    bump(pp->switches);
    bump(pp->counters.scheduled);
    if (gp->stack == nullptr) {
      stack_desc* st = pp->sfree;
      if (st != nullptr) {
        pp->sfree = st->next;
        --pp->sfree_count;
        st->next = nullptr;
      } else {
        st = stack_alloc();
      }
      stack_prepare(st);
      gp->stack = st;
    }
    gp->m = &mp->w;
    gp->status.store(gstatus::running, std::memory_order_relaxed);
    mp->w.curg = gp;
    pp->in_g.store(true, std::memory_order_relaxed);
    trace::emit(ev::go_start, gp->id, pp->id);
    switch_reason why = resume(&mp->w, gp);
    mp->w.curg = nullptr;
    if (mp->pp != nullptr) mp->pp->in_g.store(false, std::memory_order_relaxed);
    gp = after_switch(mp, gp, why);
    inherit = true;
  }
}

namespace {

void free_g(p* pp, g* gp) noexcept;

g* after_switch(m* mp, g* gp, switch_reason why) noexcept {
  sched_t& s = sched();
  switch (why) {
    case switch_reason::park: {
      bump(mp->pp->counters.parks);
      trace::emit(
          ev::go_park, gp->id,
          static_cast<unsigned>(gp->reason.load(std::memory_order_relaxed)));
      auto commit = gp->commit;
      void* arg = gp->commit_arg;
      gp->status.store(gstatus::waiting, std::memory_order_release);
      if (commit != nullptr && !commit(gp, arg)) {
        // Called off: resume it at once.
        gstatus w = gstatus::waiting;
        while (!gp->status.compare_exchange_weak(w, gstatus::runnable,
                                                 std::memory_order_acq_rel)) {
          if (w != gstatus::waiting && w != gstatus::scanning)
            return nullptr;      // a waker won: it queued gp
          w = gstatus::waiting;  // a dump is reading the stack: wait
          __builtin_ia32_pause();
        }
        return gp;
      }
      // From here gp may already run elsewhere: do not touch it.
      return nullptr;
    }
    case switch_reason::yield:
      trace::emit(ev::go_stop, gp->id);
      gp->status.store(gstatus::runnable, std::memory_order_release);
      runq_put(mp->pp, gp, false);
      return nullptr;
    case switch_reason::exit_blocking: {
      // gp left blocking() and found no P; this M has none either.
      gp->status.store(gstatus::runnable, std::memory_order_release);
      p* pp;
      {
        std::lock_guard<rt_mutex> lk(s.lock);
        pp = pidle_get();
      }
      if (pp != nullptr) {
        acquire_p(mp, pp);
        return gp;
      }
      globrunq_put(gp);
      wakep();
      return nullptr;  // find_runnable parks this M
    }
    case switch_reason::exit:
      trace::emit(ev::go_end, gp->id);
      free_g(mp->pp, gp);
      return nullptr;
  }
  return nullptr;
}

void free_g(p* pp, g* gp) noexcept {
  sched_t& s = sched();
  release_context(gp);
  stack_desc* st = gp->stack;
  gp->stack = nullptr;
  st->next = pp->sfree;
  pp->sfree = st;
  if (++pp->sfree_count > 32) {
    // Keep 16; the rest go to the global pool (which may DONTNEED them).
    stack_desc* keep_tail = pp->sfree;
    for (int i = 1; i < 16; ++i) keep_tail = keep_tail->next;
    stack_desc* rest = keep_tail->next;
    keep_tail->next = nullptr;
    stack_free_batch(rest, static_cast<std::size_t>(pp->sfree_count - 16));
    pp->sfree_count = 16;
  }
  const bool is_main = gp->is_main;
  auto* done = static_cast<thread_parker*>(gp->main_done);
  gp->is_main = false;
  gp->main_done = nullptr;
  gp->m = nullptr;
  gp->status.store(gstatus::dead, std::memory_order_release);
  gp->schedlink = pp->gfree;
  pp->gfree = gp;
  if (++pp->gfree_count > 64) {
    g* head = pp->gfree;
    g* tail = head;
    for (int i = 1; i < 32; ++i) tail = tail->schedlink;
    pp->gfree = tail->schedlink;
    pp->gfree_count -= 32;
    std::lock_guard<rt_mutex> lk(s.gfree_lock);
    tail->schedlink = s.gfree;
    s.gfree = head;
    s.gfree_count += 32;
  }
  s.ngoroutines.fetch_sub(1, std::memory_order_acq_rel);
  if (is_main) {
    plain_asleep_out();  // run()'s thread (D2)
    done->unpark();      // run() may return now
  }
}

}  // namespace

[[noreturn]] void m_main(m* mp) {
  set_current_worker(&mp->w);
  worker_switch_init(&mp->w);
  thread_overflow_setup(&mp->w.altstack);
  prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);  // platform.md 7
  char name[16];
  std::snprintf(name, sizeof name, "gort-m%d", mp->w.id);
  pthread_setname_np(pthread_self(), name);
  p* pp = mp->nextp.exchange(nullptr, std::memory_order_acq_rel);
  if (pp != nullptr) {
    if (mp->wake_spinning.exchange(false)) mp->spinning = true;
    acquire_p(mp, pp);
  }
  for (;;) {
    bool inherit = false;
    g* gp = find_runnable(mp, &inherit);
    if (mp->spinning) reset_spinning(mp);
    execute(mp, gp, inherit);
  }
}

void wakep() noexcept {
  sched_t& s = sched();
  if (s.npidle.load(std::memory_order_seq_cst) == 0) return;
  int zero = 0;
  if (s.nmspinning.load(std::memory_order_relaxed) != 0 ||
      !s.nmspinning.compare_exchange_strong(zero, 1, std::memory_order_seq_cst))
    return;
  p* pp;
  {
    std::lock_guard<rt_mutex> lk(s.lock);
    pp = pidle_get();
  }
  if (pp == nullptr) {
    s.nmspinning.fetch_sub(1, std::memory_order_seq_cst);
    return;
  }
  start_m(pp, true);
}

void start_m(p* pp, bool spinning) noexcept {
  sched_t& s = sched();
  m* mp = nullptr;
  {
    std::lock_guard<rt_mutex> lk(s.lock);
    // Prefer an M already bound to the P's CPU: rebinding is a syscall.
    const int want = pp->bind_pu.load(std::memory_order_relaxed);
    for (m* cand = s.midle; cand != nullptr; cand = cand->idle_link) {
      if (cand->bound_cpu == want) {
        mp = cand;
        break;
      }
    }
    if (mp == nullptr) mp = s.midle;
    if (mp != nullptr) remove_idle_m(mp);
  }
  if (mp != nullptr) {
    mp->wake_spinning.store(spinning, std::memory_order_relaxed);
    mp->nextp.store(pp, std::memory_order_release);
    mp->parker.unpark();
    return;
  }
  mp = new m;
  mp->w.id = s.mcount.fetch_add(1, std::memory_order_relaxed);
  mp->rng = 0x9E3779B97F4A7C15ULL * static_cast<std::uint64_t>(mp->w.id + 1);
  mp->wake_spinning.store(spinning, std::memory_order_relaxed);
  mp->nextp.store(pp, std::memory_order_release);
  {
    std::lock_guard<rt_mutex> lk(s.lock);
    s.allm.push_back(mp);
  }
  std::thread(m_main, mp).detach();
}

void handoff_p(p* pp) noexcept {
  sched_t& s = sched();
  if (!runq_empty(pp) || s.runq_size.load(std::memory_order_acquire) > 0) {
    s.handoffs.fetch_add(1, std::memory_order_relaxed);
    start_m(pp, false);
    return;
  }
  int zero = 0;
  if (s.nmspinning.load() + s.npidle.load() == 0 &&
      s.nmspinning.compare_exchange_strong(zero, 1)) {
    s.handoffs.fetch_add(1, std::memory_order_relaxed);
    start_m(pp, true);
    return;
  }
  std::int64_t when;
  {
    std::lock_guard<rt_mutex> lk(s.lock);
    pidle_put(pp);
    when = pp->timers.next_when.load(std::memory_order_acquire);
  }
  if (when != never) note_timer_added(when);
}

void pidle_put(p* pp) noexcept {
  sched_t& s = sched();
  if (pp->id >= s.gomaxprocs.load(std::memory_order_acquire)) {
    retire_p(pp);  // S1: a removed P never goes idle
    return;
  }
  pp->status.store(pstatus::idle, std::memory_order_release);
  pp->idle_link = s.pidle;
  s.pidle = pp;
  s.npidle.fetch_add(1, std::memory_order_seq_cst);
}

p* pidle_get() noexcept {
  sched_t& s = sched();
  p* pp = s.pidle;
  if (pp == nullptr) return nullptr;
  s.pidle = pp->idle_link;
  pp->idle_link = nullptr;
  // Claimed: no longer idle for thieves and for set_maxprocs.
  pp->status.store(pstatus::running, std::memory_order_release);
  s.npidle.fetch_sub(1, std::memory_order_seq_cst);
  return pp;
}

void acquire_p(m* mp, p* pp) noexcept {
  trace::emit(ev::proc_start, pp->id);
  mp->pp = pp;
  pp->owner.store(mp, std::memory_order_relaxed);
  pp->status.store(pstatus::running, std::memory_order_release);
  const int want = pp->bind_pu.load(std::memory_order_relaxed);
  if (want != mp->bound_cpu) bind_thread(mp, want);
  sysmon_wake();  // a P is busy: sysmon must not sleep through it
}

bool retire_if_removed(m* mp) noexcept {
  sched_t& s = sched();
  p* pp = mp->pp;
  if (pp->id < s.gomaxprocs.load(std::memory_order_acquire)) return false;
  mp->pp = nullptr;
  pp->owner.store(nullptr, std::memory_order_relaxed);
  if (mp->spinning) {
    mp->spinning = false;
    s.nmspinning.fetch_sub(1, std::memory_order_seq_cst);
  }
  retire_p(pp);
  wakep();
  return true;
}

std::int64_t earliest_timer() noexcept {
  sched_t& s = sched();
  std::int64_t next = never;
  const int procs = s.gomaxprocs.load(std::memory_order_acquire);
  for (int i = 0; i < procs; ++i) {
    p* pp = s.allp[i];
    if (pp == nullptr) continue;
    std::int64_t w = pp->timers.next_when.load(std::memory_order_acquire);
    if (w < next) next = w;
  }
  return next;
}

void note_timer_added(std::int64_t when) noexcept {
  // With the poller running, the M blocked in it sleeps for timers; with
  // nobody in it, a woken spinner will be (Go's wakeNetPoller).
  if (netpoll_active()) {
    if (!netpoll_break_for(when)) wakep();
    return;
  }
  if (when < sched().timed_sleeper.load(std::memory_order_acquire)) wakep();
}

void inject_glist(g* list, int n, p* pp) noexcept {
  if (list == nullptr) return;
  sched_t& s = sched();
  // One goroutine per idle P to the global queue, with an M for each.
  int idle = s.npidle.load(std::memory_order_acquire);
  if (pp == nullptr) idle = n;
  g* head = nullptr;
  g* tail = nullptr;
  int k = 0;
  while (list != nullptr && k < idle) {
    g* next = list->schedlink;
    list->schedlink = nullptr;
    if (tail != nullptr)
      tail->schedlink = list;
    else
      head = list;
    tail = list;
    list = next;
    ++k;
  }
  if (head != nullptr) {
    globrunq_put_batch(head, tail, static_cast<std::size_t>(k));
    for (int i = 0; i < k; ++i) {
      p* ip;
      {
        std::lock_guard<rt_mutex> lk(s.lock);
        ip = pidle_get();
      }
      if (ip == nullptr) break;
      start_m(ip, false);
    }
  }
  while (list != nullptr) {  // the rest to our own queue
    g* next = list->schedlink;
    runq_put(pp, list, false);
    list = next;
  }
}

}  // namespace gort::internal
