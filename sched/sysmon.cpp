// Sysmon and blocking()
//
// The problem. gort cannot preempt a goroutine, and a goroutine inside a
// blocking call (file I/O, a C library) holds its worker thread. Without
// help, one blocking call freezes its processor and every goroutine queued
// on it; with maxprocs = 1, the whole program.
//
// blocking(fn) is Go's entersyscall/exitsyscall hand-off:
//   1. enter_blocking detaches the P from the M (m.oldp = p), marks the P
//      `blocking` and bumps its blocktick. A few stores, no lock.
//   2. fn runs on the goroutine's stack, on the same thread.
//   3. exit_blocking CASes the P from blocking back to running. If that
//      works (fast path: nobody took the P), the goroutine simply goes on.
//      Otherwise it tries to take an idle P; failing that, it switches to
//      the scheduler context with switch_reason::exit_blocking, which puts
//      it on the global queue, and this M goes idle.
//
// Sysmon is a thread with no P (Go's sysmon). Each cycle it:
//   1. Retakes Ps stuck in blocking(): seen in the same blocking call for a
//      whole cycle (>= 20 us) and either having queued work, or no idle or
//      spinning M to pick up new work, or blocked for 10 ms. It CASes the P
//      to idle and hands it off (handoff_p: a new M if there is work).
//   2. Counts goroutines that ran more than 10 ms without parking or
//      yielding (stats().long_running): gort cannot preempt them, but it can
//      say they exist. A P whose time slice (a runnext chain) is older than
//      10 ms gets its preempt flag set, so its next pick skips runnext.
//   3. Prints the GORT_SCHEDTRACE line when due (with the poller's
//      counters at the end once it runs), and while tracing records
//      the same numbers as a `sched` event every 10 ms.
//   4. Checks for a deadlock when every processor is idle (see
//      "Deadlock detection" in sched/deadlock.cpp).
//   5. Scavenges: returns the pages of cold pooled stacks past the pool's
//      bound (runtime/stack.cpp, "Stacks", step 5), off every goroutine's
//      critical path, and always before it sleeps.
//   6. Polls the network when nobody has for 10 ms (sched/netpoll.cpp), so
//      that workers busy computing do not leave ready sockets unserved.
// It sleeps 20 us while it finds something to do; after 50 idle cycles the
// sleep doubles each cycle up to 10 ms; and when every P has been idle for
// 10 ms and nothing is in blocking() it sleeps until woken (start_m and
// enter_blocking wake it), so an idle runtime uses no CPU, and a busy one
// does not pay a wake of sysmon each time its last P goes back to work.
#include <pthread.h>
#include <sys/prctl.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <thread>

#include "runtime/internal/check.hpp"
#include "runtime/internal/context.hpp"
#include "runtime/internal/trace.hpp"
#include "sched/internal/netpoll.hpp"
#include "sched/internal/park.hpp"
#include "sched/internal/sched.hpp"

namespace gort::internal {
namespace {

constexpr std::int64_t us = 1000;
constexpr std::int64_t ms = 1000 * us;
constexpr std::int64_t slice = 10 * ms;
constexpr std::int64_t snapshot_period = 10 * ms;  // SCHED events in a trace
constexpr std::int64_t dead_confirm = 50 * ms;     // D5

bool all_idle() noexcept {
  sched_t& s = sched();
  return s.npidle.load(std::memory_order_seq_cst) ==
             s.gomaxprocs.load(std::memory_order_seq_cst) &&
         s.nmblocking.load(std::memory_order_seq_cst) == 0;
}

bool retake(std::int64_t now) noexcept {
  sched_t& s = sched();
  bool acted = false;
  const int procs = s.gomaxprocs.load(std::memory_order_acquire);
  for (int i = 0; i < procs; ++i) {
    p* pp = s.allp[i];
    if (pp == nullptr) continue;
    pstatus st = pp->status.load(std::memory_order_acquire);
    if (st == pstatus::running) {
      std::uint32_t sw = pp->switches.load(std::memory_order_relaxed);
      std::uint32_t tick = pp->schedtick_pub.load(std::memory_order_relaxed);
      if (sw != pp->sysmon_switches) {
        pp->sysmon_switches = sw;
        pp->sysmon_when = now;
        pp->sysmon_reported = false;
      } else if (now - pp->sysmon_when >= slice && !pp->sysmon_reported &&
                 pp->in_g.load(std::memory_order_relaxed)) {
        s.long_running.fetch_add(1, std::memory_order_relaxed);
        trace::emit(ev::sysmon, tracefmt::sysmon_action::long_running, i);
        pp->sysmon_reported = true;
        acted = true;
      }
      if (tick != pp->sysmon_tick) {
        pp->sysmon_tick = tick;
        pp->sysmon_block_when = now;  // slice start
      } else if (now - pp->sysmon_block_when >= slice) {
        pp->preempt.store(true, std::memory_order_relaxed);
        trace::emit(ev::sysmon, tracefmt::sysmon_action::preempt, i);
        pp->sysmon_block_when = now;
      }
      continue;
    }
    if (st != pstatus::blocking) continue;
    std::uint32_t bt = pp->blocktick.load(std::memory_order_acquire);
    if (bt != pp->sysmon_blocktick) {
      pp->sysmon_blocktick = bt;
      pp->sysmon_when = now;
      continue;
    }
    if (runq_empty(pp) && s.nmspinning.load() + s.npidle.load() > 0 &&
        now - pp->sysmon_when < slice)
      continue;
    pstatus b = pstatus::blocking;
    if (pp->status.compare_exchange_strong(b, pstatus::idle,
                                           std::memory_order_acq_rel)) {
      s.retakes.fetch_add(1, std::memory_order_relaxed);
      trace::emit(ev::sysmon, tracefmt::sysmon_action::retake, i);
      pp->owner.store(nullptr, std::memory_order_relaxed);
      handoff_p(pp);
      acted = true;
    }
  }
  return acted;
}

void print_schedtrace(std::int64_t now) {
  sched_t& s = sched();
  const int procs = s.gomaxprocs.load();
  int spinning = s.nmspinning.load();
  std::string line = "SCHED " + std::to_string((now - s.start_ns) / ms) +
                     "ms: gomaxprocs=" + std::to_string(procs) +
                     " idleprocs=" + std::to_string(s.npidle.load()) +
                     " threads=" + std::to_string(s.mcount.load() + 1) +
                     " spinningthreads=" + std::to_string(spinning) +
                     " idlethreads=" + std::to_string(s.nmidle.load()) +
                     " runqueue=" + std::to_string(s.runq_size.load()) + " [";
  for (int i = 0; i < procs; ++i) {
    if (i > 0) line += ' ';
    line += std::to_string(s.allp[i] != nullptr ? runq_len(s.allp[i]) : 0);
  }
  line += "]";
  if (netpoll_active()) {  // after Go's fields, so Go's parsers still read it
    const netpoll_counters c = netpoll_stats();
    line += " netpoll: calls=" + std::to_string(c.calls) +
            " events=" + std::to_string(c.events) +
            " breaks=" + std::to_string(c.breaks) +
            " iowaiters=" + std::to_string(c.waiters);
  }
  line += '\n';
  std::fputs(line.c_str(), stderr);
}

void sysmon_main() {
  sched_t& s = sched();
  prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
  pthread_setname_np(pthread_self(), "gort-sysmon");
  std::int64_t delay = 20 * us;
  int idle = 0;
  const std::int64_t period = std::int64_t{s.schedtrace_ms} * ms;
  std::int64_t next_trace = period > 0 ? s.start_ns + period : never;
  std::int64_t next_snapshot = 0;
  // Deadlock detection (sched/deadlock.cpp): the first positive check
  // makes a suspicion that a second one, dead_confirm later with no
  // progress in between, confirms (D5).
  bool suspect = false;
  bool watching = false;
  std::uint64_t suspect_progress = 0;
  std::int64_t suspect_since = 0;
  std::int64_t next_dead_check = 0;
  // When every P became idle (0: one is busy). Sysmon sleeps deeply only
  // after a whole slice of it: a server whose P idles between requests
  // would otherwise pay a futex wake of sysmon on every request.
  std::int64_t idle_since = 0;
  for (;;) {
    if (idle == 0)
      delay = 20 * us;
    else if (idle > 50)
      delay = std::min(delay * 2, slice);
    const bool stacks_resting = stack_scavenge();
    const bool idle_now = all_idle();
    bool watch = false;  // a deadlock may be forming: do not sleep deeply
    if (!idle_now) idle_since = 0;
    if (idle_now) {
      const std::int64_t t = monotonic_ns();
      if (idle_since == 0) idle_since = t;
      if (t >= next_dead_check) {
        const dead_check d = check_dead();
        if (d.dead && suspect && d.progress == suspect_progress &&
            t - suspect_since >= dead_confirm)
          report_deadlock();  // D5
        if (d.dead && (!suspect || d.progress != suspect_progress)) {
          suspect = true;
          suspect_progress = d.progress;
          suspect_since = t;
        }
        suspect = suspect && d.dead;
        watching = suspect || d.recheck;
        next_dead_check = t + (suspect ? dead_confirm / 4 : dead_confirm);
      }
      watch = watching;
    } else {
      suspect = watching = false;
      next_dead_check = 0;
    }
    if (period == 0 && !stacks_resting && idle_now && !watch &&
        monotonic_ns() - idle_since >= slice) {
      // Deep sleep until start_m or enter_blocking (Dekker with them: our
      // flag store, then their state; their state, then our flag).
      std::uint32_t word = s.sysmon_wake.load(std::memory_order_seq_cst);
      s.sysmon_sleeping.store(true, std::memory_order_seq_cst);
      if (all_idle()) futex_wait(&s.sysmon_wake, word);
      s.sysmon_sleeping.store(false, std::memory_order_seq_cst);
      idle = 0;
      next_dead_check = 0;  // woken: look again at once
      continue;
    }
    std::int64_t now = monotonic_ns();
    std::int64_t until = std::min(now + delay, next_trace);
    std::uint32_t word = s.sysmon_wake.load(std::memory_order_acquire);
    futex_wait(&s.sysmon_wake, word, until);
    now = monotonic_ns();
    s.sysmon_wakes.fetch_add(1, std::memory_order_relaxed);
    const bool acted = retake(now);
    {  // 6. Nobody polled the network for 10 ms: poll, so no edge waits.
      // What it finds does not reset the back-off (Go's sysmon resets it
      // only when retake acts): under steady I/O every such poll finds
      // goroutines, and counting it held sysmon at 20 us, ~4,500 wakes a
      // second preempting the worker it shares a core with
      // (net_test: net_one_proc_test.sysmon_backs_off_under_io).
      int n = 0;
      if (g* list = netpoll_sysmon(now, &n)) inject_glist(list, n, nullptr);
    }
    if (now >= next_trace) {
      print_schedtrace(now);
      while (next_trace <= now) next_trace += period;
    }
    if (trace::on() && now >= next_snapshot) {
      trace_sched_snapshot();  // for `gort-trace schedtrace`
      next_snapshot = now + snapshot_period;
    }
    idle = acted ? 0 : idle + 1;
  }
}

}  // namespace

void sysmon_start() { std::thread(sysmon_main).detach(); }

void sysmon_wake() noexcept {
  sched_t& s = sched();
  if (s.sysmon_sleeping.load(std::memory_order_seq_cst)) {
    s.sysmon_wake.fetch_add(1, std::memory_order_seq_cst);
    futex_wake(&s.sysmon_wake, 1);
  }
}

void enter_blocking() noexcept {
  m* mp = current_m();
  g* gp = mp != nullptr ? mp->w.curg : nullptr;
  if (gp == nullptr) return;  // a plain thread: nothing to hand off
  sched_t& s = sched();
  p* pp = mp->pp;
  gp->wait_since.store(coarse_ns(), std::memory_order_relaxed);
  mp->oldp = pp;
  mp->pp = nullptr;
  mp->in_blocking.store(true, std::memory_order_relaxed);
  gp->status.store(gstatus::blocking, std::memory_order_relaxed);
  pp->in_g.store(false, std::memory_order_relaxed);
  pp->blocktick.fetch_add(1, std::memory_order_relaxed);
  trace::emit(ev::blocking_begin, gp->id, pp->id);
  pp->status.store(pstatus::blocking, std::memory_order_release);
  s.nmblocking.fetch_add(1, std::memory_order_seq_cst);
  sysmon_wake();
}

void exit_blocking() noexcept {
  m* mp = current_m();
  g* gp = mp != nullptr ? mp->w.curg : nullptr;
  if (gp == nullptr) return;
  sched_t& s = sched();
  p* pp = mp->oldp;
  mp->oldp = nullptr;
  mp->in_blocking.store(false, std::memory_order_relaxed);
  s.nmblocking.fetch_sub(1, std::memory_order_seq_cst);
  trace::emit(ev::blocking_end, gp->id);
  pstatus b = pstatus::blocking;
  if (pp->status.compare_exchange_strong(b, pstatus::running,
                                         std::memory_order_acq_rel)) {
    mp->pp = pp;  // fast path: nobody took it
    trace::emit(ev::proc_start, pp->id);
  } else {
    p* np;
    {
      std::lock_guard<rt_mutex> lk(s.lock);
      np = pidle_get();
    }
    if (np != nullptr) {
      acquire_p(mp, np);
    } else {
      gp->reason.store(wait_reason::exit_syscall, std::memory_order_relaxed);
      gp->status.store(gstatus::running, std::memory_order_relaxed);
      suspend(gp, switch_reason::exit_blocking);
      gp->reason.store(wait_reason::none, std::memory_order_relaxed);
      return;  // resumed by a worker with a P (execute set everything)
    }
  }
  gp->status.store(gstatus::running, std::memory_order_relaxed);
  p* now = current_m()->pp;
  now->in_g.store(true, std::memory_order_relaxed);
  // Running again, on a P: the suspend path gets this from execute().
  trace::emit(ev::go_start, gp->id, now->id);
}

}  // namespace gort::internal
