// sq.go from "Go Concurrency Patterns: Pipelines and cancellation"
// (Sameer Ajmani, 2014, https://go.dev/blog/pipelines).
//
// A pipeline is a series of stages connected by channels: each stage is a
// group of goroutines that receive values from upstream, do something with
// them and send them downstream. gen turns a list of integers into a
// channel, sq squares what it receives; since sq's inbound and outbound
// channels have the same type, it composes with itself. The output is
// deterministic and checked exactly (sq.out).
#include <gort/gort.hpp>

#include <cstdio>
#include <vector>

// gen sends each of nums on a channel it closes when done.
gort::recv_chan<int> gen(std::vector<int> nums) {
  auto out = gort::make_chan<int>();
  gort::go([out, nums] {
    for (int n : nums) {
      out.send(n);
    }
    out.close();
  });
  return out;
}

// sq sends the square of each value from in, and closes its channel when
// in is closed and drained.
gort::recv_chan<int> sq(gort::recv_chan<int> in) {
  auto out = gort::make_chan<int>();
  gort::go([in, out] {
    for (int n : in) {
      out.send(n * n);
    }
    out.close();
  });
  return out;
}

int main() {
  gort::run([] {
    // Set up the pipeline.
    auto c = gen({2, 3});
    auto out = sq(c);

    // Consume the output.
    std::printf("%d\n", *out.recv());  // 4
    std::printf("%d\n", *out.recv());  // 9

    // Set up the pipeline and consume the output.
    for (int n : sq(sq(gen({2, 3})))) {
      std::printf("%d\n", n);  // 16 then 81
    }
  });
}
