// mutex: 8 tasks each doing N x (lock; ++counter; unlock) on one mutex
// (../shared/anchors/go/mutex/main.go). One source for gort_mutex
// (goroutines, gort::mutex) and std_mutex (8 threads, std::mutex): see
// system.hpp.
// Metric: ns per lock/unlock pair (wall time from before the spawns until
// every task is done, / 8N).
// Check: the counter is 8N.
#include "sync_work.hpp"
#include "system.hpp"

int main(int argc, char** argv) {
  namespace sys = anchors::sys;
  const anchors::args a = sys::parse(argc, argv, 1000000);
  constexpr int kTasks = 8;
  long counter = 0;
  double el_ms = 0;
  const int procs = sys::run(a, [&] {
    sys::types::mutex mu;
    const double t0 = anchors::now_ms();
    sys::tasks(kTasks, [&](int) { sync_work::lock_loop(mu, counter, a.n); });
    el_ms = anchors::now_ms() - t0;
  });
  if (counter != kTasks * a.n)
    anchors::fail("mutex counter " + std::to_string(counter) + " want " +
                  std::to_string(kTasks * a.n));
  sys::result("mutex", procs, el_ms * 1e6 / static_cast<double>(kTasks * a.n),
              "ns/lock", " tasks=8" + anchors::kv("per_task", a.n));
  return 0;
}
