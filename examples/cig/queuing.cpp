// Concurrency in Go (Cox-Buday, 2017), ch. 4, "Queuing": a buffered channel
// is a queue that decouples stages: a producer runs ahead of its consumer by
// the buffer's size. The same buffered channel used as a counting semaphore
// bounds how many goroutines work at once (send to acquire, receive to
// release). Checks (queuing.out): the 5 values queued before any is read;
// exactly 3 of 12 jobs inside while the gate is shut (unbounded, all 12
// would be), and never more than 3 at once after it opens.
#include <gort/gort.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <variant>

using namespace std::chrono_literals;
using empty = std::monostate;

int main() {
  return gort::run([] {
    // Queue: 5 sends complete although nobody receives until they have.
    auto queue = gort::make_chan<int>(5);
    auto produced = gort::make_chan<empty>();
    gort::go([=] {
      for (int i = 0; i < 5; i++) queue.send(i);
      queue.close();
      produced.close();
    });
    produced.recv();  // with an unbuffered queue this would deadlock
    std::printf("producer done, %zu values queued\n", queue.size());
    for (int v : queue) std::printf("%d ", v);
    std::printf("\n");

    // Semaphore: every job waits at the gate, so all that get past the
    // semaphore are inside at once.
    constexpr int limit = 3, jobs = 12;
    auto sem = gort::make_chan<empty>(limit);
    auto gate = gort::make_chan<empty>();
    std::atomic<int> running{0}, max_running{0};
    gort::wait_group wg;
    wg.add(jobs);
    for (int i = 0; i < jobs; i++)
      gort::go([&, sem, gate] {
        sem.send({});  // acquire
        int now = ++running, max = max_running;
        while (now > max && !max_running.compare_exchange_weak(max, now)) {
        }
        gate.recv();  // the work
        --running;
        sem.recv();  // release
        wg.done();
      });
    while (running < limit) gort::sleep(1ms);
    gort::sleep(50ms);  // time for jobs the semaphore failed to stop
    std::printf("%d jobs inside while the gate is shut\n", running.load());
    gate.close();
    wg.wait();
    std::printf("all %d jobs done, at most %d at once\n", jobs,
                max_running.load());
    return max_running == limit ? 0 : 1;
  });
}
