// pool: 8 tasks each doing N x (get a 1 KiB buffer from one pool; increment
// one byte of it; put it back) (go/pool/main.go). The pool's make function
// counts the buffers it makes. One source for gort_pool (gort::pool, its
// per-processor caches) and std_pool (8 threads, a free list under one
// std::mutex): see system.hpp and std/sync.hpp.
// Metric: ns per get+put pair (wall time from before the spawns until every
// task is done, / 8N); made = buffers made.
// Check: no get came back empty; between 1 and 8N buffers were made.
#include <array>
#include <atomic>
#include <memory>

#include "sync_work.hpp"
#include "system.hpp"

#ifndef GORT_ANCHORS_STD
#include <gort/pool.hpp>
#endif

int main(int argc, char** argv) {
  namespace sys = anchors::sys;
  using buffer = std::unique_ptr<std::array<unsigned char, 1024>>;
  const anchors::args a = sys::parse(argc, argv, 1000000);
  constexpr int kTasks = 8;
  std::atomic<long> made{0}, empty{0};
  double el_ms = 0;
  const int procs = sys::run(a, [&] {
    sys::types::pool<buffer> p([&made] {
      made.fetch_add(1, std::memory_order_relaxed);
      return std::make_unique<std::array<unsigned char, 1024>>();
    });
    const double t0 = anchors::now_ms();
    sys::tasks(kTasks, [&](int) { empty += sync_work::pool_loop(p, a.n); });
    el_ms = anchors::now_ms() - t0;
  });
  if (empty.load() != 0 || made.load() < 1 || made.load() > kTasks * a.n)
    anchors::fail("pool: " + std::to_string(empty.load()) + " empty gets, " +
                  std::to_string(made.load()) + " buffers made");
  sys::result("pool", procs, el_ms * 1e6 / static_cast<double>(kTasks * a.n),
              "ns/op",
              " tasks=8" + anchors::kv("per_task", a.n) +
                  anchors::kv("made", made.load()));
  return 0;
}
