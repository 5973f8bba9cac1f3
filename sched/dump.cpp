// Goroutine dumps: gort::dump, and the body of the SIGQUIT dump, the
// deadlock report and the fatal-error report.
//
// The format is Go's traceback, one block per goroutine:
//
//   goroutine 7 [chan receive, 12ms]:
//   (anonymous namespace)::worker(gort::chan<int>)
//   	/src/app.cpp:42 +0x1d
//   ...
//   created by main()::<lambda()>
//   	/src/app.cpp:30
//
// A parked goroutine's stack is walked from its saved context
// (runtime/backtrace.cpp). Its stack must not change meanwhile, so the dump
// takes Go's scan lock: it CASes the goroutine's status from waiting to
// scanning, walks, and stores waiting back; ready() and a called-off park
// wait while a goroutine is scanning (runtime/internal/g.hpp). A running
// goroutine's stack belongs to another thread and is not walked.
#include <cstdint>
#include <ostream>
#include <string>

#include <gort/trace.hpp>
#include "runtime/internal/backtrace.hpp"
#include "runtime/internal/futex.hpp"
#include "runtime/internal/stack.hpp"
#include "sched/internal/park.hpp"
#include "sched/internal/sched.hpp"

namespace gort {

using namespace internal;

namespace {

// waited formats how long a goroutine has waited: Go prints "N minutes"
// from one minute on; below that gort prints milliseconds or seconds.
std::string waited(std::int64_t ns) {
  if (ns < 0) ns = 0;
  const std::int64_t ms = ns / 1'000'000;
  if (ms >= 60'000) {
    const std::int64_t min = ms / 60'000;
    return std::to_string(min) + (min == 1 ? " minute" : " minutes");
  }
  if (ms >= 10'000) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

void write_site(std::ostream& out, const g* gp) {
  out << "created by " << gp->site.function_name() << "\n\t"
      << gp->site.file_name() << ':' << gp->site.line() << "\n";
}

// write_stack walks a waiting goroutine's stack under the scan lock.
// Returns false if it was readied before the lock could be taken.
bool write_stack(std::ostream& out, g* gp) {
  gstatus w = gstatus::waiting;
  if (!gp->status.compare_exchange_strong(w, gstatus::scanning,
                                          std::memory_order_acq_rel))
    return false;
  std::uintptr_t pcs[backtrace_max_frames];
  std::size_t n = 0;
  if (gp->ctx != nullptr && gp->stack != nullptr)
    n = unwind_parked(gp->ctx, gp->stack->usable_lo(), gp->stack->hi(), pcs,
                      backtrace_max_frames);
  gp->status.store(gstatus::waiting, std::memory_order_release);
  write_frames(out, symbolize(pcs, n));
  return true;
}

void write_goroutine(std::ostream& out, g* gp, std::int64_t now) {
  const gstatus st = gp->status.load(std::memory_order_acquire);
  out << "goroutine " << gp->id << " [";
  switch (st) {
    case gstatus::running:
      out << "running";
      break;
    case gstatus::runnable:
      out << "runnable";
      break;
    case gstatus::blocking:
      out << "blocking, "
          << waited(now - gp->wait_since.load(std::memory_order_relaxed));
      break;
    case gstatus::waiting:
    case gstatus::scanning: {
      const wait_reason r = gp->reason.load(std::memory_order_relaxed);
      out << to_string(r) << ", "
          << waited(now - gp->wait_since.load(std::memory_order_relaxed));
      if (r == wait_reason::io_wait)  // Go's words, then which fd
        out << ", fd " << gp->wait_fd.load(std::memory_order_relaxed);
      break;
    }
    default:
      out << "dead";
  }
  out << "]:\n";
  if (st == gstatus::waiting && !write_stack(out, gp))
    out << "(readied while being dumped)\n";
  if (st == gstatus::running)
    out << "(running on another thread: its stack is not walked)\n";
  if (gp->is_main)
    out << "main goroutine of gort::run\n";  // Go: no "created by" for it
  else
    write_site(out, gp);
}

}  // namespace

void dump(std::ostream& out) {
  if (!started()) return;
  sched_t& s = sched();
  const std::int64_t now = coarse_ns();
  bool first = true;
  for (g* gp = s.allgs.load(std::memory_order_acquire); gp != nullptr;
       gp = gp->allg_next) {
    const gstatus st = gp->status.load(std::memory_order_acquire);
    if (st == gstatus::dead || st == gstatus::idle) continue;
    if (!first) out << "\n";
    first = false;
    write_goroutine(out, gp, now);
  }
  const int plain = g_plain_asleep.load(std::memory_order_acquire);
  if (plain > 0)
    out << (first ? "" : "\n") << plain
        << (plain == 1 ? " plain thread is" : " plain threads are")
        << " asleep in a gort wait (a channel, a lock, run())\n";
}

}  // namespace gort
