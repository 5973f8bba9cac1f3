// pingpong: two goroutines, two unbuffered channels, N round trips
// (../shared/anchors/go/pingpong/main.go): A sends i on ping, B receives it
// and replies on pong, A receives and checks it. Main waits for both with a
// latch(2), the stand-in for Go's sync.WaitGroup until gort::wait_group
// exists.
// Metric: ns per round trip (wall time from before the spawns until both
// are done, / N).
// Check: every reply equals what was sent.
#include <gort/gort.hpp>

#include "common.hpp"
#include "sched/internal/latch.hpp"

int main(int argc, char** argv) {
  const anchors::args a = anchors::parse(argc, argv, 1000000);
  int procs = 0;
  double el_ms = 0;
  gort::run([&] {
    procs = anchors::check_procs(a);
    const long n = a.n;
    gort::chan<long> ping = gort::make_chan<long>();
    gort::chan<long> pong = gort::make_chan<long>();
    gort::internal::latch wg(2);
    const double t0 = anchors::now_ms();
    gort::go([ping, pong, n, &wg] {
      for (long i = 0; i < n; ++i) {
        ping.send(i);
        const std::optional<long> v = pong.recv();
        if (!v || *v != i)
          anchors::fail("pingpong got " + (v ? std::to_string(*v) : "closed") +
                        " want " + std::to_string(i));
      }
      wg.count_down();
    });
    gort::go([ping, pong, n, &wg] {
      for (long i = 0; i < n; ++i) {
        const std::optional<long> v = ping.recv();
        if (!v) anchors::fail("pingpong: ping closed");
        pong.send(*v);
      }
      wg.count_down();
    });
    wg.wait();
    el_ms = anchors::now_ms() - t0;
  });
  anchors::result("pingpong", procs, el_ms * 1e6 / static_cast<double>(a.n),
                  "ns/roundtrip", anchors::kv("roundtrips", a.n));
  return 0;
}
