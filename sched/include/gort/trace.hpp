// gort/trace.hpp: execution traces, the flight recorder and goroutine dumps.
//
// An execution trace records what the scheduler did: goroutines created,
// started, parked (with Go's wait reason) and readied (with who readied
// whom), processors taken and released, steals, timers, blocking() calls
// and sysmon's actions. `gort-trace` (built from tools/) reads it:
//
//   GORT_TRACE=run.trace ./app           # or trace_start("run.trace")
//   gort-trace summary run.trace         # utilisation, latency, waits, sites
//   gort-trace chrome run.trace -o run.json   # open in ui.perfetto.dev
//
// The flight recorder (Go 1.25's) keeps only the most recent events in
// memory and writes them on demand: flight_recorder_write(), SIGUSR2, and
// automatically on a deadlock or a fatal error.
//
//   GORT_TRACE_RING=16M ./app    # dumps to $GORT_TRACE, else gort-<pid>.trace
#pragma once

#include <cstddef>
#include <iosfwd>
#include <string>

namespace gort {

// trace_start records an execution trace into a new file at path (an
// existing file is truncated). Throws gort::usage_error if a trace or the
// flight recorder is already on, std::system_error if the file cannot be
// created. Starts the runtime. Any thread.
void trace_start(const std::string& path);

// trace_stop ends the trace started by trace_start (or GORT_TRACE): every
// event recorded so far is in the file when it returns. No-op if no trace
// is on. A trace started by GORT_TRACE is also stopped at exit. Any thread.
void trace_stop();

// flight_recorder_start keeps the most recent `bytes` of trace events in
// memory (rounded to 64 KiB chunks, at least two). dump_path is where
// SIGUSR2, a deadlock or a fatal error write them; empty means
// "gort-<pid>.trace" in the working directory. Throws usage_error if a
// trace or the recorder is already on. Starts the runtime. Any thread.
void flight_recorder_start(std::size_t bytes,
                           const std::string& dump_path = "");

// flight_recorder_stop discards the recorder's events. No-op if it is off.
void flight_recorder_stop();

// flight_recorder_write writes the recorder's events (a trace file for
// gort-trace) to path. Returns false if the recorder is off or the file
// cannot be written. The recorder keeps recording. Any thread.
bool flight_recorder_write(const std::string& path);

// dump writes every goroutine, as Go's SIGQUIT dump does: its id and state
// ("running", "runnable", a wait reason such as "chan receive", or
// "blocking"), how long it has been waiting (", 3 minutes" after a minute,
// else in milliseconds), where it was spawned, and, for a goroutine that is
// parked, a symbolised backtrace of its own stack taken from its saved
// context. A running goroutine's stack belongs to another thread and is not
// walked. The same format is printed on SIGQUIT, on a deadlock and on a
// fatal error. Any thread; nothing is written if the runtime never started.
void dump(std::ostream& out);

}  // namespace gort
