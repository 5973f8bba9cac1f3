// context: 8 tasks each create N cancellable children of one shared
// cancellable parent and cancel each at once: auto [ctx, cancel] =
// with_cancel(parent); cancel() (go/context/main.go). One source for
// gort_context (gort::context) and std_context (8 threads, a
// std::stop_source per context tied to its parent's by a
// std::stop_callback): see system.hpp and std/sync.hpp.
// Metric: ns per with_cancel+cancel (wall time from before the spawns until
// every task is done, / 8N).
// Check: every child reports an error after its cancel; the parent is still
// live; cancelling the parent then gives it an error.
#include <atomic>

#include "sync_work.hpp"
#include "system.hpp"

#ifndef GORT_ANCHORS_STD
#include <gort/context.hpp>
#endif

int main(int argc, char** argv) {
  namespace sys = anchors::sys;
  const anchors::args a = sys::parse(argc, argv, 250000);
  constexpr int kTasks = 8;
  std::atomic<long> live{0};
  double el_ms = 0;
  const int procs = sys::run(a, [&] {
    const auto root = sys::types::context::background();
    const auto parent = with_cancel(root);
    const double t0 = anchors::now_ms();
    sys::tasks(kTasks,
               [&](int) { live += sync_work::cancel_loop(parent.first, a.n); });
    el_ms = anchors::now_ms() - t0;
    if (parent.first.err()) anchors::fail("context: the parent was cancelled");
    parent.second();
    if (!parent.first.err())
      anchors::fail("context: the parent is live after its cancel");
  });
  if (live.load() != 0)
    anchors::fail("context: " + std::to_string(live.load()) +
                  " children live after their cancel");
  sys::result("context", procs, el_ms * 1e6 / static_cast<double>(kTasks * a.n),
              "ns/op", " tasks=8" + anchors::kv("per_task", a.n));
  return 0;
}
