// daisy_chain: 100,000 goroutines passing a number down a chain.
//
// Go original: "Daisy-chain" (Chinese whispers) from Rob Pike's talk "Go
// Concurrency Patterns" (Google I/O 2012,
// go.dev/talks/2012/concurrency.slide). Each goroutine receives from its
// right neighbour, adds one and passes it left; a 1 fed in at the right
// end arrives at the left end as n+1: 100001 for Pike's 100,000.
// Goroutines are cheap: 100,000 of them, all alive at once, take about half
// a second. Under a sanitizer they are dear (TSan stops at 8,128 live
// fibers), so ctest passes a shorter chain there (daisy_chain.sanitized.args).
// Checked: the number that comes out is n+1.
//
//   usage: daisy_chain [n]
#include <gort/gort.hpp>

#include <cstdio>
#include <cstdlib>

void f(gort::chan<int> left, gort::chan<int> right) {
  left.send(1 + *right.recv());
}

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 100000;
  return gort::run([n] {
    auto leftmost = gort::make_chan<int>();
    auto right = leftmost;
    auto left = leftmost;
    for (int i = 0; i < n; i++) {
      right = gort::make_chan<int>();
      gort::go(f, left, right);
      left = right;
    }
    gort::go([](gort::chan<int> c) { c.send(1); }, right);
    int got = *leftmost.recv();
    std::printf("%d\n", got);
    if (got != n + 1) {
      std::fprintf(stderr, "got %d, want %d\n", got, n + 1);
      return 1;
    }
    return 0;
  });
}
