// tests/bench/anchors/system.hpp: one source, two systems, for the sync
// anchors (mutex, rwmutex, cond, wait_group, pool, context, semaphore).
//
// Each of those programs is built twice from the same .cpp:
//
//   gort_<w>  goroutines and gort's sync types, inside gort::run, as every
//             other port (common.hpp: program contract, RESULT line);
//   std_<w>   its std::thread baseline, compiled with -DGORT_ANCHORS_STD:
//             one OS thread per goroutine of the gort side (8 for mutex,
//             2 for cond, 100 per round for wait_group), on the types of
//             std/sync.hpp (std::mutex, std::shared_mutex, ...). Its RESULT
//             line says system=std and ends with cpus=<n> rss_kb=<peak>.
//
// What procs means for std_<w>: before any thread starts, the process is
// confined with sched_setaffinity to its first procs CPUs, so that procs 1
// runs the 8 threads of mutex time-sharing one CPU, as gort_mutex runs its
// 8 goroutines on one processor, and procs 2 gives both the same two CPUs.
// (A thread per task is what a program without an M:N runtime does; a pool
// of procs threads would be a different workload, no longer 8 contending
// parties.)
//
// A workload is written once against anchors::sys:
//
//   sys::types        namespace of the sync types: gort, or stdsync
//   sys::parse(argc, argv, default_n)   the program contract's arguments;
//                     applies procs (set_maxprocs, or the CPU affinity)
//   sys::run(a, body) runs body (in gort: on the main goroutine) and
//                     returns the procs to report
//   sys::go(f)        starts a task (gort::go, or a detached std::thread)
//   sys::tasks(k, f)  runs f(0) ... f(k-1) on k tasks and waits for all
//   sys::result(...)  prints the RESULT line (as anchors::result)
#pragma once

#include <algorithm>
#include <cstdio>
#include <string>
#include <utility>

#include "common.hpp"
#include "sync_work.hpp"

#ifdef GORT_ANCHORS_STD
#include <sched.h>

#include <thread>

#include "std/sync.hpp"
#else
#include <gort/mutex.hpp>
#include <gort/sched.hpp>
#include <gort/wait_group.hpp>
#endif

namespace anchors::sys {

#ifdef GORT_ANCHORS_STD

namespace types = stdsync;

// confine keeps the first procs CPUs of the affinity mask (all of them
// when procs is 0) and returns how many the process now has.
inline int confine(int procs) {
  cpu_set_t have, keep;
  if (sched_getaffinity(0, sizeof have, &have) != 0)
    fail("sched_getaffinity failed");
  CPU_ZERO(&keep);
  int n = 0;
  for (int c = 0; c < CPU_SETSIZE && (procs == 0 || n < procs); ++c)
    if (CPU_ISSET(c, &have)) CPU_SET(c, &keep), ++n;
  if (sched_setaffinity(0, sizeof keep, &keep) != 0)
    fail("sched_setaffinity failed");
  return n;
}

inline int cpus = 0;  // CPUs the process may use, after parse

inline args parse(int argc, char** argv, long default_n) {
  args a;
  if (argc > 1)
    a.procs = static_cast<int>(std::clamp(parse_long(argv[1]), 1L, 1024L));
  a.n = argc > 2 ? parse_long(argv[2]) : default_n;
  if (a.n < 1) fail("size must be at least 1");
  cpus = confine(a.procs);
  return a;
}

template <class F>
int run(const args& a, F&& body) {
  std::forward<F>(body)();
  return a.procs > 0 ? a.procs : cpus;
}

template <class F>
void go(F&& f) {
  std::thread(std::forward<F>(f)).detach();
}

inline void result(const char* name, int procs, double metric, const char* unit,
                   const std::string& extra) {
  std::printf(
      "RESULT name=%s system=std procs=%d metric=%.2f unit=%s%s cpus=%d "
      "rss_kb=%ld\n",
      name, procs, metric, unit, extra.c_str(), cpus, maxrss_kb());
  std::fflush(stdout);
}

#else

namespace types = gort;

using anchors::parse;
using anchors::result;
using gort::go;

template <class F>
int run(const args& a, F&& body) {
  int procs = 0;
  gort::run([&] {
    procs = check_procs(a);
    body();
  });
  return procs;
}

#endif

template <class F>
void tasks(int k, F&& f) {
  sync_work::run_tasks<types::wait_group>(
      k, [](auto g) { go(std::move(g)); }, std::forward<F>(f));
}

}  // namespace anchors::sys
