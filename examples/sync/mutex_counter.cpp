// "Concurrency in Go", chapter 3, The sync Package, "Mutex and RWMutex":
// a counter guarded by a mutex. Six goroutines increment it and six
// decrement it (the book's `for i := 0; i <= 5; i++`), each in a critical
// section; the interleaving varies from run to run but every step is +1 or
// -1 from the value before it, and the count ends at 0. The program checks
// that and exits 1 on a violation.
#include <gort/gort.hpp>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <vector>

int main() {
  return gort::run([] {
    int count = 0;
    gort::mutex lock;
    std::vector<int> steps;  // every value printed, in lock order (a check)

    auto increment = [&] {
      std::lock_guard<gort::mutex> guard(lock);
      count++;
      std::printf("Incrementing: %d\n", count);
      steps.push_back(count);
    };
    auto decrement = [&] {
      std::lock_guard<gort::mutex> guard(lock);
      count--;
      std::printf("Decrementing: %d\n", count);
      steps.push_back(count);
    };

    // Increment
    gort::wait_group arithmetic;
    for (int i = 0; i <= 5; i++) {
      arithmetic.add(1);
      gort::go([&] {
        increment();
        arithmetic.done();
      });
    }
    // Decrement
    for (int i = 0; i <= 5; i++) {
      arithmetic.add(1);
      gort::go([&] {
        decrement();
        arithmetic.done();
      });
    }
    arithmetic.wait();
    std::printf("Arithmetic complete.\n");

    // Checks: 12 steps, each +-1 from the one before, ending at 0.
    int prev = 0;
    for (int v : steps) {
      if (v != prev + 1 && v != prev - 1) {
        std::fprintf(stderr, "FAIL: step from %d to %d\n", prev, v);
        return 1;
      }
      prev = v;
    }
    if (steps.size() != 12 || count != 0) {
      std::fprintf(stderr, "FAIL: %zu steps, count %d (want 12, 0)\n",
                   steps.size(), count);
      return 1;
    }
    return 0;
  });
}
