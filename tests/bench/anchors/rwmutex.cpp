// rwmutex: 8 tasks each doing N operations on one reader/writer mutex,
// read heavy: operation i is a write when i % 100 == 0 (lock; ++counter;
// unlock), else a read (lock_shared; sum += counter; unlock_shared)
// (go/rwmutex/main.go). One source for gort_rwmutex (gort::rwmutex) and
// std_rwmutex (8 threads, std::shared_mutex): see system.hpp.
// Metric: ns per operation (wall time from before the spawns until every
// task is done, / 8N).
// Check: the counter is 8 * ceil(N / 100); every task's sum of reads is
// within [0, reads * counter].
#include <atomic>

#include "sync_work.hpp"
#include "system.hpp"

#ifndef GORT_ANCHORS_STD
#include <gort/rwmutex.hpp>
#endif

int main(int argc, char** argv) {
  namespace sys = anchors::sys;
  const anchors::args a = sys::parse(argc, argv, 1000000);
  constexpr int kTasks = 8;
  constexpr long kWriteEvery = 100;
  long counter = 0;
  std::atomic<bool> sums_ok{true};
  const long writes_per_task = (a.n + kWriteEvery - 1) / kWriteEvery;
  double el_ms = 0;
  const int procs = sys::run(a, [&] {
    sys::types::rwmutex rw;
    const double t0 = anchors::now_ms();
    sys::tasks(kTasks, [&](int) {
      const long sum = sync_work::rw_loop(rw, counter, a.n, kWriteEvery);
      const long most = (a.n - writes_per_task) * kTasks * writes_per_task;
      if (sum < 0 || sum > most) sums_ok = false;
    });
    el_ms = anchors::now_ms() - t0;
  });
  if (counter != kTasks * writes_per_task || !sums_ok)
    anchors::fail("rwmutex counter " + std::to_string(counter) + " want " +
                  std::to_string(kTasks * writes_per_task) +
                  (sums_ok ? "" : ", a read sum out of range"));
  sys::result("rwmutex", procs, el_ms * 1e6 / static_cast<double>(kTasks * a.n),
              "ns/op",
              " tasks=8" + anchors::kv("per_task", a.n) + " write_every=100");
  return 0;
}
