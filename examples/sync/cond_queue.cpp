// "Concurrency in Go", chapter 3, The sync Package, "Cond": a queue of at
// most two items. main adds ten items; while the queue is full it waits on
// the cond. Each item gets a goroutine that removes it after a delay and
// Signals the cond, waking main. The book's delay is 1 s; 20 ms here.
//
// The order of "Adding"/"Removed" lines is not fixed: two removers whose
// delays end together race with main for the mutex. What is fixed, and
// checked: the queue never holds more than two items, ten are added, and
// when main's loop ends at least eight have been removed. In Go main just
// returns; here the removers use main's locals, so main then waits for the
// last ones (all ten removed).
#include <gort/gort.hpp>

#include <chrono>
#include <cstdio>
#include <mutex>
#include <vector>

using namespace std::chrono_literals;

int main() {
  return gort::run([] {
    gort::mutex mu;
    gort::cond c;  // c.L is mu
    std::vector<int> queue;
    int added = 0, removed = 0;
    bool ok = true;
    gort::wait_group removers;  // not in the book: see above

    auto remove_from_queue = [&](std::chrono::milliseconds delay) {
      gort::sleep(delay);
      std::unique_lock<gort::mutex> lk(mu);
      if (queue.empty())
        ok = false;  // cannot happen: a remover always has its item
      else
        queue.erase(queue.begin());
      removed++;
      std::printf("Removed from queue\n");
      lk.unlock();
      c.signal();
      removers.done();
    };

    for (int i = 0; i < 10; i++) {
      std::unique_lock<gort::mutex> lk(mu);
      while (queue.size() == 2) c.wait(lk);
      std::printf("Adding to queue\n");
      queue.push_back(i);
      added++;
      if (queue.size() > 2) ok = false;
      removers.add(1);
      gort::go(remove_from_queue, 20ms);
    }

    std::unique_lock<gort::mutex> lk(mu);
    const int removed_by_end = removed;
    lk.unlock();
    removers.wait();
    lk.lock();
    if (!ok || added != 10 || removed_by_end < 8 || removed != 10 ||
        !queue.empty()) {
      std::fprintf(stderr,
                   "FAIL: ok=%d added=%d removed=%d then %d queue=%zu\n", ok,
                   added, removed_by_end, removed, queue.size());
      return 1;
    }
    return 0;
  });
}
