// tests/bench/anchors/common.hpp: what gort's anchor ports share.
//
// The anchor workloads are fixed programs written once per system in
// ../shared/anchors/ (go/<workload>/main.go, fiber/<workload>.cpp). The
// ports here run the same workloads with the same parameters and follow the
// same program contract (../shared/anchors/README.md, "Program contract"):
//
//   gort_<workload> <procs> [N]
//
// argv[1] sets the number of processors with gort::set_maxprocs before the
// runtime runs anything; without it the runtime's own choice (GORT_MAXPROCS,
// else the CPUs available) is used. argv[2] overrides the size. The program
// runs the workload inside gort::run, as Go's main runs on a goroutine, and
// prints exactly one line
//
//   RESULT name=<w> system=gort procs=<N> metric=<v> unit=<u> key=value...
//
// ending, like the Go programs, with maxprocs=<gort::maxprocs()> and
// rss_kb=<peak RSS>. It exits 1 when its own check of the result fails.
#pragma once

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>

#include <sys/resource.h>
#include <unistd.h>

#include "gort/sched.hpp"

namespace anchors {

// args is the parsed command line.
struct args {
  int procs = 0;  // argv[1]; 0 when absent (the runtime chooses)
  long n = 0;     // argv[2], else the workload's default
};

// fail prints "FAIL: what" on stderr and ends the process with status 1,
// from any thread or goroutine (so a failed check inside gort::run does not
// depend on the runtime shutting down cleanly).
[[noreturn]] inline void fail(const std::string& what) {
  std::fprintf(stderr, "FAIL: %s\n", what.c_str());
  std::fflush(stderr);
  std::fflush(stdout);
  std::_Exit(1);
}

inline long parse_long(const char* s) {
  char* end = nullptr;
  errno = 0;
  long v = std::strtol(s, &end, 10);
  if (end == s || *end != '\0' || errno != 0)
    fail(std::string("bad argument \"") + s + "\"");
  return v;
}

// parse reads argv[1] (procs) and argv[2] (size, default default_n) and,
// when procs is given, applies it with gort::set_maxprocs. argv wins over
// GORT_MAXPROCS, which the runtime reads when it starts.
inline args parse(int argc, char** argv, long default_n) {
  args a;
  if (argc > 1) {
    long p = parse_long(argv[1]);
    a.procs = p < 1 ? 1 : (p > 1024 ? 1024 : static_cast<int>(p));
  }
  a.n = argc > 2 ? parse_long(argv[2]) : default_n;
  if (a.n < 1) fail("size must be at least 1");
  if (a.procs > 0) gort::set_maxprocs(a.procs);
  return a;
}

// check_procs, called inside gort::run, fails if set_maxprocs did not take
// effect, and returns the processor count to report.
inline int check_procs(const args& a) {
  int m = gort::maxprocs();
  if (a.procs > 0 && m != a.procs)
    fail("gort::maxprocs() is " + std::to_string(m) + ", set_maxprocs(" +
         std::to_string(a.procs) + ") was called");
  return m;
}

inline double now_ms() {
  using namespace std::chrono;
  return duration<double, std::milli>(steady_clock::now().time_since_epoch())
      .count();
}

// rss_kb is the current resident set size in KiB (/proc/self/statm), as the
// Go and Boost.Fiber programs read it.
inline long rss_kb() {
  long size = 0, res = 0;
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) fail("cannot open /proc/self/statm");
  int got = std::fscanf(f, "%ld %ld", &size, &res);
  std::fclose(f);
  if (got != 2) fail("cannot parse /proc/self/statm");
  return res * (sysconf(_SC_PAGESIZE) / 1024);
}

// maxrss_kb is the peak resident set size in KiB (getrusage ru_maxrss).
inline long maxrss_kb() {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

// kv formats one " key=value" field (two decimals for doubles, as Go's
// common.Ftoa).
inline std::string kv(const char* k, double v) {
  char buf[96];
  std::snprintf(buf, sizeof buf, " %s=%.2f", k, v);
  return buf;
}
inline std::string kv(const char* k, long v) {
  char buf[96];
  std::snprintf(buf, sizeof buf, " %s=%ld", k, v);
  return buf;
}

// result prints the RESULT line; extra is " key=value ..." (may be empty).
inline void result(const char* name, int procs, double metric, const char* unit,
                   const std::string& extra) {
  std::printf(
      "RESULT name=%s system=gort procs=%d metric=%.2f unit=%s%s "
      "maxprocs=%d rss_kb=%ld\n",
      name, procs, metric, unit, extra.c_str(), gort::maxprocs(), maxrss_kb());
  std::fflush(stdout);
}

}  // namespace anchors
