// semaphore: 8 tasks share one weighted semaphore of capacity 4; task t
// takes weight 1 + t % 2. Each does N x (acquire(w); add w to an atomic
// held and count an overrun of the capacity; take w off; release(w))
// (go/semaphore/main.go). One source for gort_semaphore (gort::semaphore)
// and std_semaphore (8 threads, a FIFO weighted semaphore of std::mutex
// and std::condition_variable): see system.hpp and std/sync.hpp.
// Metric: ns per acquire+release pair (wall time from before the spawns
// until every task is done, / 8N).
// Check: the capacity was never exceeded; nothing is held at the end.
#include <atomic>
#include <cstdint>

#include "sync_work.hpp"
#include "system.hpp"

#ifndef GORT_ANCHORS_STD
#include <gort/semaphore.hpp>
#endif

int main(int argc, char** argv) {
  namespace sys = anchors::sys;
  const anchors::args a = sys::parse(argc, argv, 500000);
  constexpr int kTasks = 8;
  constexpr std::int64_t kCapacity = 4;
  std::atomic<std::int64_t> held{0};
  std::atomic<long> over{0};
  double el_ms = 0;
  const int procs = sys::run(a, [&] {
    sys::types::semaphore sem(kCapacity);
    const double t0 = anchors::now_ms();
    sys::tasks(kTasks, [&](int t) {
      over += sync_work::sem_loop(sem, 1 + t % 2, a.n, held, kCapacity);
    });
    el_ms = anchors::now_ms() - t0;
  });
  if (over.load() != 0 || held.load() != 0)
    anchors::fail("semaphore: capacity exceeded " +
                  std::to_string(over.load()) + " times, " +
                  std::to_string(held.load()) + " held at the end");
  sys::result("semaphore", procs,
              el_ms * 1e6 / static_cast<double>(kTasks * a.n), "ns/op",
              " tasks=8" + anchors::kv("per_task", a.n) + " capacity=4");
  return 0;
}
