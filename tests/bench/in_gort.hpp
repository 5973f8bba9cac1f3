// tests/bench/in_gort.hpp: running a Google Benchmark body on gort at each
// processor count (shared by bm_sched.cpp and bm_chan.cpp).
#pragma once

#include <benchmark/benchmark.h>

#include <gort/sched.hpp>

namespace gort_bench {

// procs_sweep: the processor counts every gort benchmark runs with.
inline void procs_sweep(benchmark::internal::Benchmark* b) {
  b->ArgName("procs");
  for (int procs : {1, 2}) b->Arg(procs);
  b->UseRealTime();
}

// in_gort sets the processor count from the benchmark's argument and runs
// body (which holds the timing loop) on a main goroutine.
template <class F>
void in_gort(benchmark::State& state, F&& body) {
  const int procs = static_cast<int>(state.range(0));
  gort::set_maxprocs(procs);
  gort::run([&] {
    if (gort::maxprocs() != procs) {
      state.SkipWithError("set_maxprocs did not take effect");
      return;
    }
    body();
  });
}

}  // namespace gort_bench
