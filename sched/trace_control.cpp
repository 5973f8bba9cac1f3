// The trace's user controls (gort/trace.hpp) and GORT_TRACE /
// GORT_TRACE_RING. The writer is runtime/trace.cpp; the scheduler's event
// sites call trace::emit directly. Here: starting and stopping, the state
// a new trace begins with (maxprocs, and a SCHED snapshot), and sysmon's
// periodic SCHED snapshot.
#include <unistd.h>

#include <cstdlib>
#include <string>

#include <gort/trace.hpp>
#include "runtime/internal/env.hpp"
#include "runtime/internal/trace.hpp"
#include "sched/internal/sched.hpp"

namespace gort {

using namespace internal;

namespace {

std::string default_dump_path() {
  return "gort-" + std::to_string(::getpid()) + ".trace";
}

// opening_events: what every trace starts with, so that a reader knows the
// processor count and queue lengths before the first change.
void opening_events() {
  trace::emit(ev::procs, sched().gomaxprocs.load(std::memory_order_acquire));
  trace_sched_snapshot();
}

void stop_at_exit() { trace::stop(); }

}  // namespace

void trace_start(const std::string& path) {
  ensure_started();
  trace::start_file(path.c_str());
  opening_events();
}

void trace_stop() { trace::stop(); }

void flight_recorder_start(std::size_t bytes, const std::string& dump_path) {
  ensure_started();
  const std::string path = dump_path.empty() ? default_dump_path() : dump_path;
  trace::start_ring(bytes, path.c_str());
  flight_recorder_signal();
  opening_events();
}

void flight_recorder_stop() { trace::stop(); }

bool flight_recorder_write(const std::string& path) {
  return trace::write_ring(path.c_str());
}

namespace internal {

void trace_sched_snapshot() noexcept {
  if (!trace::on()) return;
  sched_t& s = sched();
  const int procs = s.gomaxprocs.load(std::memory_order_acquire);
  std::uint64_t queues[max_procs];
  int n = 0;
  for (int i = 0; i < procs && i < max_procs; ++i)
    queues[n++] = s.allp[i] != nullptr ? runq_len(s.allp[i]) : 0;
  const std::uint64_t args[6] = {
      static_cast<std::uint64_t>(procs),
      static_cast<std::uint64_t>(s.npidle.load()),
      static_cast<std::uint64_t>(s.mcount.load() + 1),
      static_cast<std::uint64_t>(s.nmspinning.load()),
      static_cast<std::uint64_t>(s.nmidle.load()),
      static_cast<std::uint64_t>(s.runq_size.load())};
  trace::emit_n(ev::sched, args, 6, queues, static_cast<std::size_t>(n));
}

void trace_env_init() {
  const char* file = std::getenv("GORT_TRACE");
  const char* ring = std::getenv("GORT_TRACE_RING");
  try {
    if (ring != nullptr) {
      const std::size_t bytes = env_size("GORT_TRACE_RING", 128 * 1024,
                                         std::size_t{1} << 34, 16 << 20);
      const std::string path =
          file != nullptr && *file != '\0' ? file : default_dump_path();
      trace::start_ring(bytes, path.c_str());
      flight_recorder_signal();
    } else if (file != nullptr && *file != '\0') {
      trace::start_file(file);
      std::atexit(stop_at_exit);
    } else {
      return;
    }
  } catch (const std::exception& e) {
    std::string msg =
        std::string("gort: GORT_TRACE: ") + e.what() + "; not tracing\n";
    (void)!::write(2, msg.data(), msg.size());
    return;
  }
  opening_events();
}

}  // namespace internal
}  // namespace gort
