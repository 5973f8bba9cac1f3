// sqfan.go from "Go Concurrency Patterns: Pipelines and cancellation"
// (Sameer Ajmani, 2014, https://go.dev/blog/pipelines).
//
// Fan-out, fan-in: two sq workers read from the same channel, spreading the
// work between them; merge multiplexes their outputs onto one channel that
// is closed when all of them are. The order of the results depends on the
// scheduling, so the program checks the multiset: {4, 9}.
#include <gort/gort.hpp>

#include "stages.hpp"  // gen, sq, merge

#include <algorithm>
#include <cstdio>
#include <vector>

int main() {
  return gort::run([] {
    auto in = gen({2, 3});

    // Distribute the sq work across two goroutines that both read from in.
    auto c1 = sq(in);
    auto c2 = sq(in);

    // Consume the merged output from c1 and c2.
    std::vector<int> got;
    for (int n : merge({c1, c2})) {
      std::printf("%d\n", n);  // 4 then 9, or 9 then 4
      got.push_back(n);
    }

    std::sort(got.begin(), got.end());
    if (got != std::vector<int>{4, 9}) {
      std::fprintf(stderr, "sqfan: want 4 and 9, once each\n");
      return 1;
    }
    return 0;
  });
}
