// sq.go from "Go Concurrency Patterns: Pipelines and cancellation"
// (Sameer Ajmani, 2014, https://go.dev/blog/pipelines).
//
// A pipeline is a series of stages connected by channels: each stage is a
// group of goroutines that receive values from upstream, do something with
// them and send them downstream. gen turns a list of integers into a
// channel, sq squares what it receives; since sq's inbound and outbound
// channels have the same type, it composes with itself (both are in
// stages.hpp). The output is deterministic and checked exactly (sq.out).
#include <gort/gort.hpp>

#include "stages.hpp"  // gen, sq

#include <cstdio>
#include <vector>

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
