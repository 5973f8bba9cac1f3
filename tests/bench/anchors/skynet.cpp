// skynet: a 10-ary tree of goroutines with 1,000,000 leaves (1,111,111
// goroutines) (../shared/anchors/go/skynet/main.go). Each leaf sends its
// number on its parent's unbuffered channel; each parent makes one channel,
// spawns its 10 children on it, receives and sums their 10 values, and
// sends the sum up on its own parent's channel.
// Metric: ms from before the root is spawned until main has the sum.
// Check: the sum is leaves * (leaves - 1) / 2 (499999500000). The number of
// leaves must be a power of 10 (as in Go, where any other size gives a
// wrong sum or, below 10, endless recursion); that is checked first.
#include <gort/gort.hpp>

#include "common.hpp"

namespace {

void skynet(gort::chan<long> c, long num, long size, long div) {
  if (size == 1) {
    c.send(num);
    return;
  }
  gort::chan<long> rc = gort::make_chan<long>();
  long sum = 0;
  for (long i = 0; i < div; ++i) {
    const long sub = num + i * (size / div);
    gort::go(skynet, rc, sub, size / div, div);
  }
  for (long i = 0; i < div; ++i) {
    const std::optional<long> v = rc.recv();
    if (!v) anchors::fail("skynet: a channel was closed");
    sum += *v;
  }
  c.send(sum);
}

}  // namespace

int main(int argc, char** argv) {
  const anchors::args a = anchors::parse(argc, argv, 1000000);
  const long leaves = a.n;
  for (long l = leaves; l != 1; l /= 10)
    if (l % 10 != 0)
      anchors::fail("skynet: leaves must be a power of 10, not " +
                    std::to_string(leaves));
  int procs = 0;
  double el_ms = 0;
  long sum = 0;
  gort::run([&] {
    procs = anchors::check_procs(a);
    const double t0 = anchors::now_ms();
    gort::chan<long> c = gort::make_chan<long>();
    gort::go(skynet, c, 0L, leaves, 10L);
    const std::optional<long> v = c.recv();
    el_ms = anchors::now_ms() - t0;
    if (!v) anchors::fail("skynet: root channel closed");
    sum = *v;
  });
  const long want = leaves * (leaves - 1) / 2;
  if (sum != want)
    anchors::fail("skynet sum " + std::to_string(sum) +
                  " != " + std::to_string(want));
  anchors::result("skynet", procs, el_ms, "ms",
                  anchors::kv("leaves", leaves) + anchors::kv("sum", sum));
  return 0;
}
