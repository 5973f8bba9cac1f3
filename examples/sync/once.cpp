// "Concurrency in Go", chapter 3, The sync Package, "Once": once.Do runs
// its function exactly once, however many goroutines call it (100 here:
// "Count is 1"), and it counts calls of Do, not distinct functions: after
// once.Do(increment), once.Do(decrement) does nothing ("Count: 1").
// The book's third example (onceA/onceB calling each other) deadlocks:
// see examples/failures/once_deadlock.cpp.
#include <gort/gort.hpp>

#include <cstdio>

int main() {
  return gort::run([] {
    {
      int count = 0;
      auto increment = [&] { count++; };

      gort::once once;
      gort::wait_group increments;
      increments.add(100);
      for (int i = 0; i < 100; i++) {
        gort::go([&] {
          once.call(increment);
          increments.done();
        });
      }
      increments.wait();
      std::printf("Count is %d\n", count);
    }
    {
      int count = 0;
      auto increment = [&] { count++; };
      auto decrement = [&] { count--; };

      gort::once once;
      once.call(increment);
      once.call(decrement);
      std::printf("Count: %d\n", count);
    }
    return 0;
  });
}
