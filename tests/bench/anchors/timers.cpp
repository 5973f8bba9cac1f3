// timers: N goroutines each gort::sleep(10ms) then count down a latch
// (../shared/anchors/go/timers/main.go); wall time from before the first
// spawn until all are done.
// Metric: total ms (ideal 10); extra overhead_ms = total - 10, spawn_loop_ms
// = time spent in the spawn loop.
// Check: no sleep returned early. Each goroutine reads the clock before and
// after its sleep (about 2 x 25 ns per task, under 1% of the metric) and
// counts the sleeps shorter than 10 ms; the whole run must take >= 10 ms.
#include "common.hpp"
#include "sched/internal/latch.hpp"

int main(int argc, char** argv) {
  const anchors::args a = anchors::parse(argc, argv, 100000);
  constexpr auto kSleep = std::chrono::milliseconds(10);
  int procs = 0;
  double loop_ms = 0, ms = 0;
  std::atomic<long> early{0};
  gort::run([&] {
    procs = anchors::check_procs(a);
    gort::internal::latch wg(a.n);
    const double t0 = anchors::now_ms();
    for (long i = 0; i < a.n; ++i) {
      gort::go([&wg, &early, kSleep] {
        const auto s0 = std::chrono::steady_clock::now();
        gort::sleep(kSleep);
        if (std::chrono::steady_clock::now() - s0 < kSleep)
          early.fetch_add(1, std::memory_order_relaxed);
        wg.count_down();
      });
    }
    loop_ms = anchors::now_ms() - t0;
    wg.wait();
    ms = anchors::now_ms() - t0;
  });
  if (early.load() != 0)
    anchors::fail(std::to_string(early.load()) +
                  " goroutines returned from sleep(10ms) early");
  if (ms < 10.0) anchors::fail("all done in " + std::to_string(ms) + " ms");
  anchors::result("timers", procs, ms, "ms",
                  anchors::kv("tasks", a.n) + " sleep_ms=10" +
                      anchors::kv("overhead_ms", ms - 10.0) +
                      anchors::kv("spawn_loop_ms", loop_ms));
  return 0;
}
