// Deadlock detection
//
// The problem. Go reports "all goroutines are asleep - deadlock!" when no
// goroutine can ever run again (proc.go, checkdead). Go can tell, because
// every thread that can wake a goroutine is one of its Ms. A gort program
// also has plain threads, which may send on a channel at any moment, and
// gort cannot see what a thread it does not know is doing. A false report
// kills a healthy program, so the rule must be exact, and a missed report
// only costs the user a hang they would have had anyway.
//
// The rule. gort reports a deadlock when all of these hold:
//   D1. Some goroutine exists, or some plain thread is asleep in a gort wait
//       (something is waiting);
//   D2. every goroutine is parked (waiting); none is runnable, running or
//       inside blocking(); every run queue is empty; every processor is
//       idle and no worker is spinning;
//   D3. no timer is pending in any processor's heap (a timer will ready
//       someone: Go's "a P has timers" rule), and no goroutine or plain
//       thread waits on the network poller (a peer outside the process may
//       wake it);
//   D4. every thread of the process is accounted for: gort's workers, all
//       idle (on the idle list, or the one blocked in the poller); sysmon;
//       gort's helper threads (the signal thread, the trace flusher); sanitizer
//       threads (TSan's background thread); and plain threads asleep in a gort
//       wait (channel send, receive or select, mutex, semaphore, wait group,
//       cond, once, or run() waiting for its main goroutine), counted by
//       g_plain_asleep (sched/park.hpp), which a waker decrements before it
//       wakes. The threads are counted in /proc/self/task. Any other thread,
//       doing anything at all, might still wake a goroutine: it suppresses the
//       report.
//   D5. D1-D4 held at two checks at least 50 ms apart, with no goroutine
//       scheduled, created or readied in between (a progress count).
// So a plain thread blocked on a channel whose only partners are deadlocked
// goroutines is part of the deadlock (D4), and a program with a pending
// timer, a goroutine in blocking() or a busy foreign thread is not
// deadlocked (D2-D4).
//
// Who checks. Sysmon, whenever every processor is idle (it would otherwise
// go to sleep), and again when a plain thread falls asleep in a gort wait
// with every processor idle (plain_wait_nudge). The check reads counters
// and walks all goroutines; it never stops the world.
//
// The report is Go's: "gort: fatal error: all goroutines are asleep -
// deadlock!", a blank line, the goroutine dump (gort::dump), and exit
// status 2. The flight recorder and a file trace are saved first.
#include <dirent.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>

#include <gort/trace.hpp>
#include "runtime/internal/trace.hpp"
#include "sched/internal/netpoll.hpp"
#include "sched/internal/park.hpp"
#include "sched/internal/sched.hpp"

namespace gort::internal {
namespace {

#if defined(__SANITIZE_THREAD__)
constexpr int sanitizer_threads = 1;  // TSan's background thread
#else
constexpr int sanitizer_threads = 0;
#endif

int process_threads() noexcept {
  DIR* d = ::opendir("/proc/self/task");
  if (d == nullptr) return -1;
  int n = 0;
  while (const dirent* e = ::readdir(d))
    if (e->d_name[0] != '.') ++n;
  ::closedir(d);
  return n;
}

std::uint64_t progress() noexcept {
  sched_t& s = sched();
  std::uint64_t sum = s.ncreated.load(std::memory_order_acquire);
  const int procs = s.gomaxprocs.load(std::memory_order_acquire);
  for (int i = 0; i < procs; ++i)
    if (p* pp = s.allp[i])
      sum += pp->counters.scheduled.load(std::memory_order_acquire) +
             pp->counters.parks.load(std::memory_order_acquire);
  return sum;
}

bool all_parked() noexcept {
  for (g* gp = sched().allgs.load(std::memory_order_acquire); gp != nullptr;
       gp = gp->allg_next) {
    const gstatus st = gp->status.load(std::memory_order_acquire);
    if (st != gstatus::dead && st != gstatus::waiting &&
        st != gstatus::scanning)
      return false;
  }
  return true;
}

}  // namespace

dead_check check_dead() noexcept {
  sched_t& s = sched();
  dead_check r;
  r.progress = progress();
  const int procs = s.gomaxprocs.load(std::memory_order_acquire);
  const int plain = g_plain_asleep.load(std::memory_order_acquire);
  // D1
  if (s.ngoroutines.load(std::memory_order_acquire) == 0 && plain == 0)
    return r;
  // D2, the cheap part first. A running P or a blocking() call keeps
  // sysmon awake (all_idle).
  if (s.npidle.load(std::memory_order_acquire) != procs ||
      s.nmblocking.load(std::memory_order_acquire) != 0)
    return r;
  // D3: a timer will wake a worker, and the worker sysmon; an I/O waiter
  // may be woken from outside the process.
  if (earliest_timer() != never || netpoll_waiters() != 0) return r;
  // From here a failed condition may clear without waking sysmon (a worker
  // that stops spinning and sleeps, a global queue a waking worker
  // drains, a foreign thread that exits): look again later. (A worker seen
  // spinning here once let sysmon sleep deeply through a deadlock:
  // deadlock_check_test.a_spinning_worker_asks_for_a_recheck.)
  r.recheck = true;
  if (s.nmspinning.load(std::memory_order_acquire) != 0 ||
      s.runq_size.load(std::memory_order_acquire) != 0)
    return r;
  // D4
  const int ms = s.mcount.load(std::memory_order_acquire);
  // The M blocked in the poller is idle too: nobody waits on I/O (D3).
  const int idle =
      s.nmidle.load(std::memory_order_acquire) + (netpoll_blocked() ? 1 : 0);
  if (idle != ms) return r;
  const int known = ms + 1 /* sysmon */ +
                    s.helper_threads.load(std::memory_order_acquire) +
                    trace::helper_threads() + sanitizer_threads + plain;
  const int threads = process_threads();
  if (threads != known) return r;
  // D2, the goroutines
  if (!all_parked()) return r;
  for (int i = 0; i < procs; ++i)
    if (p* pp = s.allp[i]; pp != nullptr && !runq_empty(pp)) return r;
  r.dead = progress() == r.progress;
  return r;
}

[[noreturn]] void report_deadlock() noexcept {
  std::ostringstream out;
  out << "gort: fatal error: all goroutines are asleep - deadlock!\n\n";
  dump(out);
  const std::string text = out.str();
  std::fflush(stdout);
  std::fflush(stderr);
  (void)!::write(2, text.data(), text.size());
  trace::on_fatal();
  std::_Exit(2);
}

}  // namespace gort::internal
