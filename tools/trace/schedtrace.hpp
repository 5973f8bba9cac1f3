// tools/trace/schedtrace.hpp: `gort-trace schedtrace`: a trace's sched
// events replayed as Go's GODEBUG=schedtrace lines.
#pragma once

#include <iosfwd>

#include "reader.hpp"

namespace gort_trace {

// write_schedtrace writes one line per sched event of t, in time order:
//   SCHED <t>ms: gomaxprocs=<n> idleprocs=<n> threads=<n>
//   spinningthreads=<n> idlethreads=<n> runqueue=<n> [<q0> <q1> ...]
// (one line), t being the event's time minus the header's start_mono in
// whole ms (truncated toward zero), the bracket list the event's list.
void write_schedtrace(std::ostream& out, const trace& t);

}  // namespace gort_trace
