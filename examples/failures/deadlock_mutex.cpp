// "Concurrency in Go", chapter 1, "Deadlocks, Livelocks, and Starvation":
// printSum locks two values in opposite orders from two goroutines. Each
// holds its first lock and waits for the other's: a deadlock, which gort
// reports as Go does (exit status 2, "all goroutines are asleep -
// deadlock!", both goroutines in sync.Mutex.Lock). The book sleeps 2 s
// between the two locks so that both hold their first; a barrier (the
// `first` wait group) makes that certain here. "sum=" is never printed.
#include <gort/gort.hpp>

#include <cstdio>
#include <mutex>

struct value {
  gort::mutex mu;
  int value = 0;
};

int main() {
  return gort::run([] {
    gort::wait_group wg;
    gort::wait_group first;  // both hold their first lock (the book's sleep)
    auto print_sum = [&](value& v1, value& v2) {
      std::lock_guard<gort::mutex> l1(v1.mu);
      first.done();
      first.wait();
      std::lock_guard<gort::mutex> l2(v2.mu);
      std::printf("sum=%d\n", v1.value + v2.value);
      wg.done();
    };

    value a, b;
    wg.add(2);
    first.add(2);
    gort::go([&] { print_sum(a, b); });
    gort::go([&] { print_sum(b, a); });
    wg.wait();
    return 0;
  });
}
