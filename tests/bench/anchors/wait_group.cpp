// wait_group: fan-out and fan-in, N rounds on one reused wait group
// (go/wait_group/main.go). Each round: add(100); start 100 tasks that each
// count themselves (an atomic add) and call done(); wait(). One source for
// gort_wait_group (goroutines, gort::wait_group) and std_wait_group (100
// detached threads a round, a wait group of std::mutex and
// std::condition_variable): see system.hpp.
// Metric: ns per task (wall time of all rounds, / 100N).
// Check: after each round, 100 more tasks have run.
#include <atomic>

#include "sync_work.hpp"
#include "system.hpp"

int main(int argc, char** argv) {
  namespace sys = anchors::sys;
  const anchors::args a = sys::parse(argc, argv, 2000);
  constexpr long kWidth = 100;
  double el_ms = 0;
  const int procs = sys::run(a, [&] {
    sys::types::wait_group wg;
    std::atomic<long> ran{0};
    const double t0 = anchors::now_ms();
    for (long r = 0; r < a.n; ++r) {
      sync_work::fan_out(wg, ran, kWidth,
                         [](auto f) { sys::go(std::move(f)); });
      if (ran.load() != kWidth * (r + 1))
        anchors::fail("wait_group round " + std::to_string(r) + ": " +
                      std::to_string(ran.load()) + " tasks ran, want " +
                      std::to_string(kWidth * (r + 1)));
    }
    el_ms = anchors::now_ms() - t0;
  });
  sys::result("wait_group", procs,
              el_ms * 1e6 / static_cast<double>(kWidth * a.n), "ns/task",
              anchors::kv("rounds", a.n) + " width=100");
  return 0;
}
