// runtime/internal/trace.hpp: the execution trace's writer. The format is
// runtime/internal/trace_format.hpp; the design is at the top of
// runtime/trace.cpp.
//
// Emitting from the scheduler:
//
//   if (trace::on()) trace::emit(ev::go_start, gp->id, pp->id);
//
// on() is one relaxed load of a global flag, so tracing compiled in but off
// costs a predictable branch per event site. emit() may be called from any
// thread (a worker, sysmon, a plain thread) while holding locks of any rank
// below trace_sink (rt_mutex.hpp), never while holding a leaf lock.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <source_location>

#include "runtime/internal/trace_format.hpp"

namespace gort::internal::trace {

using tracefmt::ev;

extern std::atomic<bool> g_enabled;

// on says whether events are being recorded (to a file or the ring).
inline bool on() noexcept {
  return __builtin_expect(g_enabled.load(std::memory_order_relaxed), 0);
}

// emit_n records event k with args[0..n) (n == info(k).nargs; no strings)
// and, when info(k).list, the list[0..nlist) (at most max_list).
void emit_n(ev k, const std::uint64_t* args, std::size_t n,
            const std::uint64_t* list = nullptr,
            std::size_t nlist = 0) noexcept;

// emit records event k with the given arguments if tracing is on.
template <class... A>
inline void emit(ev k, A... a) noexcept {
  if (on()) {
    const std::uint64_t v[] = {static_cast<std::uint64_t>(a)..., 0};
    emit_n(k, v, sizeof...(A));
  }
}

// site_id returns the trace id of a spawn site, recording a site event the
// first time the site is seen in this trace. Ids are never 0.
std::uint64_t site_id(const std::source_location& s) noexcept;

// start_file starts recording into a new file at path (truncated). Throws
// gort::usage_error if a trace or the flight recorder is already on, and
// std::system_error if the file cannot be created.
void start_file(const char* path);

// start_ring starts the flight recorder: the most recent `bytes` of events
// stay in memory (at least two chunks). dump_path is where write_ring_default
// writes them. Throws usage_error if a trace or the recorder is already on.
void start_ring(std::size_t bytes, const char* dump_path);

// stop ends the file trace or the flight recorder: a file trace gets every
// event recorded so far and is closed. No-op if neither is on.
void stop();

// write_ring writes the flight recorder's events to a new file at path.
// Returns false (errno set) if the recorder is off or the file cannot be
// written. Takes no lock that a worker holds for long, allocates nothing:
// callable from a signal handler's thread or a fatal-error path.
bool write_ring(const char* path) noexcept;

// write_ring_default is write_ring to the dump path given to start_ring.
// Prints "gort: flight recorder written to <path>" on stderr when it wrote.
bool write_ring_default() noexcept;

// helper_threads is how many threads the trace runs (its flusher), for the
// deadlock detector's thread census.
int helper_threads() noexcept;

// on_fatal saves what it can before the process dies of a fatal error or a
// deadlock: a file trace gets its buffered events, the flight recorder is
// written to its dump path. Async-signal-safe as far as it goes: it only
// try-locks, never allocates, and gives up rather than wait.
void on_fatal() noexcept;

}  // namespace gort::internal::trace

namespace gort::internal {
using ev = tracefmt::ev;  // the scheduler's event sites say ev::go_start
}  // namespace gort::internal
