// cond: two tasks take turns through one condition variable and its mutex
// (go/cond/main.go). Each, N times: lock; wait until the turn is its own;
// pass the turn to the other and count the pass; unlock; signal. One round
// trip is a pass there and a pass back. One source for gort_cond
// (gort::cond, gort::mutex) and std_cond (2 threads,
// std::condition_variable, std::mutex): see system.hpp.
// Metric: ns per round trip (wall time from before the spawns until both
// are done, / N).
// Check: 2N passes.
#include "sync_work.hpp"
#include "system.hpp"

#ifndef GORT_ANCHORS_STD
#include <gort/cond.hpp>
#endif

int main(int argc, char** argv) {
  namespace sys = anchors::sys;
  const anchors::args a = sys::parse(argc, argv, 200000);
  long passes = 0;
  double el_ms = 0;
  const int procs = sys::run(a, [&] {
    sync_work::turns<sys::types::mutex, sys::types::cond> t;
    const double t0 = anchors::now_ms();
    sys::tasks(2, [&](int me) { sync_work::take_turns(t, me, a.n); });
    el_ms = anchors::now_ms() - t0;
    passes = t.passes;
  });
  if (passes != 2 * a.n)
    anchors::fail("cond passes " + std::to_string(passes) + " want " +
                  std::to_string(2 * a.n));
  sys::result("cond", procs, el_ms * 1e6 / static_cast<double>(a.n),
              "ns/roundtrip", anchors::kv("roundtrips", a.n));
  return 0;
}
