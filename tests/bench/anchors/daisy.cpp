// daisy: Rob Pike's daisy chain ("whispers")
// (../shared/anchors/go/daisy/main.go): the main goroutine builds N
// goroutines linked by N+1 unbuffered channels, each running
// `left <- 1 + <-right`; a goroutine feeds 1 in at the right end and main
// receives the result at the left end.
// Metric: ms from before the first channel is made until main has the
// result (building the chain + passing the value).
// Check: the result is N+1.
#include <gort/gort.hpp>

#include "common.hpp"

namespace {

void whisper(gort::chan<long> left, gort::chan<long> right) {
  const std::optional<long> v = right.recv();
  if (!v) anchors::fail("daisy: a channel was closed");
  left.send(1 + *v);
}

}  // namespace

int main(int argc, char** argv) {
  const anchors::args a = anchors::parse(argc, argv, 100000);
  int procs = 0;
  double el_ms = 0;
  long r = 0;
  gort::run([&] {
    procs = anchors::check_procs(a);
    const double t0 = anchors::now_ms();
    gort::chan<long> leftmost = gort::make_chan<long>();
    gort::chan<long> right = leftmost;
    gort::chan<long> left = leftmost;
    for (long i = 0; i < a.n; ++i) {
      right = gort::make_chan<long>();
      gort::go(whisper, left, right);
      left = right;
    }
    gort::go([](gort::chan<long> c) { c.send(1); }, right);
    const std::optional<long> v = leftmost.recv();
    el_ms = anchors::now_ms() - t0;
    if (!v) anchors::fail("daisy: leftmost channel closed");
    r = *v;
  });
  if (r != a.n + 1)
    anchors::fail("daisy got " + std::to_string(r) + " want " +
                  std::to_string(a.n + 1));
  anchors::result("daisy", procs, el_ms, "ms", anchors::kv("tasks", a.n));
  return 0;
}
