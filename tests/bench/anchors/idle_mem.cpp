// idle_mem: N goroutines each blocked on its own latch(1)
// (../shared/anchors/go/idle_mem/main.go, where each blocks receiving on its
// own unbuffered channel; the latch is the stand-in until channels exist).
// RSS (/proc/self/statm) is read before the spawn loop and once all are
// blocked, after a 20 ms sleep of main. Metric = ΔRSS / N in bytes, which
// includes the task's latch (allocated in the loop, as Go's channel is;
// gate_bytes = its size). Then every task is released and joined.
// Check: every task starts, blocks and finishes. The runtime's count of
// goroutines parked with reason internal_wait is reported as `parked`; a
// count below N after the 20 ms is warned about on stderr, not failed.
#include <memory>
#include <vector>

#include "common.hpp"
#include "sched/internal/latch.hpp"

int main(int argc, char** argv) {
  using gort::internal::latch;
  const anchors::args a = anchors::parse(argc, argv, 100000);
  int procs = 0;
  long before = 0, after = 0;
  std::size_t parked = 0;
  gort::run([&] {
    procs = anchors::check_procs(a);
    std::vector<std::unique_ptr<latch>> gates;
    gates.reserve(static_cast<std::size_t>(a.n));  // before the baseline
    latch started(a.n), finished(a.n);
    before = anchors::rss_kb();
    for (long i = 0; i < a.n; ++i) {
      gates.emplace_back(new latch(1));
      latch* g = gates.back().get();
      gort::go([g, &started, &finished] {
        started.count_down();
        g->wait();
        finished.count_down();
      });
    }
    started.wait();
    gort::sleep(std::chrono::milliseconds(20));  // let every task block
    after = anchors::rss_kb();
    parked = gort::stats().parked_by_reason[static_cast<std::size_t>(
        gort::wait_reason::internal_wait)];
    for (auto& g : gates) g->count_down();
    finished.wait();
  });
  if (parked < static_cast<std::size_t>(a.n))
    std::fprintf(stderr,
                 "warning: only %zu of %ld goroutines parked after 20 ms\n",
                 parked, a.n);
  const double per =
      static_cast<double>(after - before) * 1024.0 / static_cast<double>(a.n);
  anchors::result(
      "idle_mem", procs, per, "bytes/task",
      anchors::kv("tasks", a.n) + anchors::kv("rss_before_kb", before) +
          anchors::kv("rss_blocked_kb", after) +
          anchors::kv("parked", static_cast<long>(parked)) +
          anchors::kv("gate_bytes", static_cast<long>(sizeof(latch))));
  return 0;
}
