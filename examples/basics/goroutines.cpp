// goroutines: start goroutines in a loop, wait for them with a wait group,
// and the closure-capture pitfall.
//
// Go originals: "WaitGroups" from Go by Example (gobyexample.com/waitgroups)
// and the Go FAQ "What happens with closures running as goroutines?"
// (go.dev/doc/faq#closures_and_goroutines). Before Go 1.22 a `for` loop had
// one variable for all iterations, so `go func() { use(i) }()` usually saw
// its final value. C++ has the same trap with `[&]`: worse, the usual
// `for (int i = 0; ...)` variable is destroyed when the loop ends, and a
// goroutine still holding `&i` reads a dead variable (undefined behaviour,
// not shown). The safe demonstration below keeps `i` alive past the loop,
// as Go did, and lets the goroutines run after the loop has moved on (the
// gate makes that certain; without it, it is merely likely).
// The right way: capture by value, or pass `i` as an argument to go.
#include <gort/gort.hpp>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <mutex>
#include <vector>

constexpr int kN = 10;

// check prints the values seen, sorted, and fails unless they are 0..kN-1.
bool check(const char* how, std::vector<int> seen) {
  std::sort(seen.begin(), seen.end());
  std::printf("%s:", how);
  for (int v : seen) std::printf(" %d", v);
  std::printf("\n");
  for (int i = 0; i < kN; i++) {
    if (seen.size() != kN || seen[i] != i) {
      std::fprintf(stderr, "%s: want each of 0..%d exactly once\n", how,
                   kN - 1);
      return false;
    }
  }
  return true;
}

int main() {
  return gort::run([] {
    // The wrong way: every goroutine refers to the one loop variable.
    {
      gort::wait_group wg;
      auto gate = gort::make_chan<bool>();
      std::atomic<int> saw_end{0};
      int i;  // one variable for the whole loop, as in Go before 1.22
      for (i = 0; i < kN; i++) {
        wg.add(1);
        gort::go([&] {  // WRONG: captures i by reference
          gate.recv();  // runs after the loop has moved on
          if (i == kN) saw_end++;
          wg.done();
        });
      }
      gate.close();  // loop over: i == kN, and nobody writes it any more
      wg.wait();
      std::printf("wrong ([&]): %d goroutines, %d saw i == %d\n", kN,
                  saw_end.load(), kN);
      if (saw_end != kN) {
        std::fprintf(stderr, "every goroutine should have seen i == %d\n", kN);
        return 1;
      }
    }
    // The right ways: each goroutine gets its own copy of i.
    gort::mutex mu;
    std::vector<int> by_value, by_argument;
    gort::wait_group wg;
    for (int i = 0; i < kN; i++) {
      wg.add(2);
      gort::go([&, i] {  // capture i by value (Go 1.22+: a fresh i per loop)
        std::lock_guard lock(mu);
        by_value.push_back(i);
        wg.done();
      });
      gort::go(
          [&](int n) {  // pass i as an argument: go(func(n int){...}, i)
            std::lock_guard lock(mu);
            by_argument.push_back(n);
            wg.done();
          },
          i);
    }
    wg.wait();
    bool ok = check("right ([i])", by_value);
    ok = check("right (go(fn, i))", by_argument) && ok;
    return ok ? 0 : 1;
  });
}
