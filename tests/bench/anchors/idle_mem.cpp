// idle_mem: N goroutines each blocked receiving on its own unbuffered
// channel (../shared/anchors/go/idle_mem/main.go). The vector of channel
// handles is allocated before the baseline (Go's slice); each channel is
// made in the spawn loop, as in Go, so the metric includes it. RSS
// (/proc/self/statm) is read before the spawn loop and once all are
// blocked, after a 20 ms sleep of main. Metric = ΔRSS / N in bytes. Then
// every task is released (one send each) and joined. started and finished
// are latches, the stand-in for Go's sync.WaitGroup until gort::wait_group
// exists.
// Check: every task starts, receives the value sent to it and finishes. The
// runtime's count of goroutines parked with reason chan_receive is reported
// as `parked`; a count below N after the 20 ms is warned about on stderr,
// not failed.
#include <atomic>
#include <vector>

#include <gort/gort.hpp>

#include "common.hpp"
#include "sched/internal/latch.hpp"

int main(int argc, char** argv) {
  using gort::internal::latch;
  const anchors::args a = anchors::parse(argc, argv, 100000);
  int procs = 0;
  long before = 0, after = 0;
  std::size_t parked = 0;
  std::atomic<long> wrong{0};
  gort::run([&] {
    procs = anchors::check_procs(a);
    // Bookkeeping allocated before the baseline.
    std::vector<gort::chan<int>> chans(static_cast<std::size_t>(a.n));
    latch started(a.n), finished(a.n);
    before = anchors::rss_kb();
    for (auto& ch : chans) {
      ch = gort::make_chan<int>();
      gort::go(
          [&started, &finished, &wrong](gort::chan<int> c) {
            started.count_down();
            const std::optional<int> v = c.recv();
            if (!v || *v != 1) wrong.fetch_add(1, std::memory_order_relaxed);
            finished.count_down();
          },
          ch);
    }
    started.wait();
    gort::sleep(std::chrono::milliseconds(20));  // let every task block
    after = anchors::rss_kb();
    parked = gort::stats().parked_by_reason[static_cast<std::size_t>(
        gort::wait_reason::chan_receive)];
    for (auto& ch : chans) ch.send(1);
    finished.wait();
  });
  if (wrong.load() != 0)
    anchors::fail(std::to_string(wrong.load()) +
                  " goroutines did not receive the value sent to them");
  if (parked < static_cast<std::size_t>(a.n))
    std::fprintf(stderr,
                 "warning: only %zu of %ld goroutines parked after 20 ms\n",
                 parked, a.n);
  const double per =
      static_cast<double>(after - before) * 1024.0 / static_cast<double>(a.n);
  anchors::result("idle_mem", procs, per, "bytes/task",
                  anchors::kv("tasks", a.n) +
                      anchors::kv("rss_before_kb", before) +
                      anchors::kv("rss_blocked_kb", after) +
                      anchors::kv("parked", static_cast<long>(parked)));
  return 0;
}
