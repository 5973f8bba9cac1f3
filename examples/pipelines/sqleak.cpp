// sqleak.go from "Go Concurrency Patterns: Pipelines and cancellation"
// (Sameer Ajmani, 2014, https://go.dev/blog/pipelines).
//
// Stopping short leaks: main takes only the first value from merge, so the
// output goroutine holding the second one blocks in its send forever, and
// so does the goroutine waiting to close merge's channel. Goroutines are not
// garbage collected; they must exit on their own. The program checks that
// exactly those two are stuck, then (not in the post) receives the rest to
// let them go. sqbuffer.cpp, sqdone1.cpp and sqdone3.cpp are the fixes.
#include <gort/gort.hpp>

#include "stages.hpp"  // gen, sq, merge

#include "../example.hpp"  // settle (the leak check)

#include <chrono>
#include <cstdio>
#include <vector>

using namespace std::chrono_literals;

// stuck waits until at most want goroutines are alive, then 50 ms more, so
// that goroutines still on their way out are gone, and returns how many are.
std::size_t stuck(std::size_t want) {
  settle(want);
  gort::sleep(50ms);
  return gort::num_goroutines();
}

int main() {
  return gort::run([] {
    const std::size_t before = gort::num_goroutines();  // not in the post

    auto in = gen({2, 3});
    auto c1 = sq(in);
    auto c2 = sq(in);

    // Consume the first value from output.
    auto out = merge({c1, c2});
    std::printf("%d\n", *out.recv());  // 4 or 9

    // Since we didn't receive the second value from out, one of the output
    // goroutines is hung attempting to send it (and the closer waits on it).
    if (std::size_t n = stuck(before + 2); n != before + 2) {
      std::fprintf(stderr, "sqleak: %zu goroutines stuck, want 2\n",
                   n - before);
      return 1;
    }
    // Not in the post: take the second value; now every goroutine exits.
    if (!out.recv() || out.recv() || stuck(before) != before) {
      std::fprintf(stderr, "sqleak: the stuck goroutines did not finish\n");
      return 1;
    }
    return 0;
  });
}
