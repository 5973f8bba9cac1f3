// chan_mpmc: one buffered channel of capacity 1024, 4 producers, 4
// consumers, N items in total (N/4 per producer)
// (../shared/anchors/go/chan_mpmc/main.go). Consumers range over the
// channel until main closes it, after every producer has finished. Main
// waits for the producers, then the consumers, with a latch each (the
// stand-in for Go's sync.WaitGroup until gort::wait_group exists).
// Metric: ns per item (wall time from before the spawns until every
// consumer is done, / N).
// Check: the consumers together received N items summing to N(N-1)/2.
#include <cstdint>

#include <gort/gort.hpp>

#include "common.hpp"
#include "sched/internal/latch.hpp"

namespace {

constexpr int kProducers = 4, kConsumers = 4;

// acc is one consumer's result, on its own cache line (Go: 48 bytes of
// padding).
struct alignas(64) acc {
  std::int64_t sum = 0, cnt = 0;
};

}  // namespace

int main(int argc, char** argv) {
  const anchors::args a = anchors::parse(argc, argv, 10000000);
  const long per = a.n / kProducers;
  const long total = per * kProducers;
  int procs = 0;
  double el_ms = 0;
  acc res[kConsumers];
  gort::run([&] {
    procs = anchors::check_procs(a);
    gort::chan<std::int64_t> ch = gort::make_chan<std::int64_t>(1024);
    gort::internal::latch pw(kProducers), cw(kConsumers);
    const double t0 = anchors::now_ms();
    for (int p = 0; p < kProducers; ++p)
      gort::go([ch, p, per, &pw] {
        const std::int64_t base = static_cast<std::int64_t>(p) * per;
        for (std::int64_t i = 0; i < per; ++i) ch.send(base + i);
        pw.count_down();
      });
    for (int c = 0; c < kConsumers; ++c)
      gort::go([ch, c, &res, &cw] {
        std::int64_t s = 0, k = 0;
        for (std::int64_t v : ch) {
          s += v;
          ++k;
        }
        res[c].sum = s;
        res[c].cnt = k;
        cw.count_down();
      });
    pw.wait();
    ch.close();
    cw.wait();
    el_ms = anchors::now_ms() - t0;
  });
  std::int64_t s = 0, k = 0;
  for (const acc& r : res) {
    s += r.sum;
    k += r.cnt;
  }
  const std::int64_t want = static_cast<std::int64_t>(total) * (total - 1) / 2;
  if (k != total || s != want)
    anchors::fail("mpmc count " + std::to_string(k) + " sum " +
                  std::to_string(s));
  anchors::result("chan_mpmc", procs, el_ms * 1e6 / static_cast<double>(total),
                  "ns/item", anchors::kv("items", total) + " capacity=1024");
  return 0;
}
