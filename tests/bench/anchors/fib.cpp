// fib: fork-join fib(32) (../shared/anchors/go/fib/main.go). Each call with
// n > 20 spawns a goroutine for fib(n-1), computes fib(n-2) itself and joins
// it through a latch(1) on its own stack (Go: a WaitGroup); n <= 20 is plain
// recursion. The same process times a plain serial fib(32); after one
// untimed warm-up of each, both run 5 times (alternating serial/parallel)
// and the medians are reported.
// Metric: ms of the parallel run; extra: serial_ms, speedup = serial/parallel.
// Check: every result equals the serial reference.
#include <algorithm>
#include <vector>

#include "common.hpp"
#include "fib.hpp"

namespace {

using gort_bench::fib_par;
using gort_bench::fib_serial;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const anchors::args a = anchors::parse(argc, argv, 32);
  int procs = 0;
  std::vector<double> ser, par;
  gort::run([&] {
    procs = anchors::check_procs(a);
    const long want = fib_serial(a.n);  // warm-up + reference
    if (fib_par(a.n) != want) anchors::fail("fib mismatch (warm-up)");
    for (int r = 0; r < 5; ++r) {
      double t0 = anchors::now_ms();
      const long x = fib_serial(a.n);
      ser.push_back(anchors::now_ms() - t0);
      t0 = anchors::now_ms();
      const long y = fib_par(a.n);
      par.push_back(anchors::now_ms() - t0);
      if (x != want || y != want)
        anchors::fail("fib mismatch " + std::to_string(x) + " " +
                      std::to_string(y) + " " + std::to_string(want));
    }
  });
  const double s = median(ser), p = median(par);
  anchors::result(
      "fib", procs, p, "ms",
      anchors::kv("n", a.n) + anchors::kv("cutoff", gort_bench::fib_cutoff) +
          anchors::kv("serial_ms", s) + anchors::kv("speedup", s / p));
  return 0;
}
