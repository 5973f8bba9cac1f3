// "Concurrency in Go", chapter 3, The sync Package, "Once": initA calls
// onceB.Do(initB), and initB calls onceA.Do(initA) while onceA's first call
// has not finished. That call waits for itself: a deadlock, which gort
// reports as Go does (exit status 2, "all goroutines are asleep -
// deadlock!"). gort's once waits on a mutex, so the dump shows
// sync.Mutex.Lock where Go shows sync.(*Once).doSlow.
#include <gort/gort.hpp>

#include <functional>

int main() {
  return gort::run([] {
    gort::once once_a, once_b;
    std::function<void()> init_a, init_b;
    init_a = [&] { once_b.call(init_b); };
    init_b = [&] { once_a.call(init_a); };
    once_a.call(init_a);
    return 0;
  });
}
