// spawn: start N goroutines that do nothing but count down a latch, wait for
// all (../shared/anchors/go/spawn/main.go). The latch stands in for Go's
// sync.WaitGroup until gort::wait_group exists.
// Metric: ns per task (wall time of the spawn loop + wait, / N); rss_kb is
// the peak RSS.
// Check: the wait returns, the latch is at zero, and the runtime counted at
// least N new goroutines.
#include "common.hpp"
#include "sched/internal/latch.hpp"

int main(int argc, char** argv) {
  const anchors::args a = anchors::parse(argc, argv, 1000000);
  int procs = 0;
  double el_ms = 0;
  gort::run([&] {
    procs = anchors::check_procs(a);
    const std::uint64_t created0 = gort::stats().goroutines_created;
    gort::internal::latch wg(0);
    const double t0 = anchors::now_ms();
    wg.add(a.n);
    for (long i = 0; i < a.n; ++i) gort::go([&wg] { wg.count_down(); });
    wg.wait();
    el_ms = anchors::now_ms() - t0;
    if (!wg.try_wait()) anchors::fail("latch not at zero after wait");
    const std::uint64_t created = gort::stats().goroutines_created - created0;
    if (created < static_cast<std::uint64_t>(a.n))
      anchors::fail("stats().goroutines_created grew by " +
                    std::to_string(created) + ", expected at least " +
                    std::to_string(a.n));
  });
  anchors::result("spawn", procs, el_ms * 1e6 / static_cast<double>(a.n),
                  "ns/task",
                  anchors::kv("tasks", a.n) + anchors::kv("total_ms", el_ms));
  return 0;
}
