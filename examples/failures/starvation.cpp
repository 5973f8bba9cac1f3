// "Concurrency in Go", chapter 1, "Deadlocks, Livelocks, and Starvation":
// a greedy worker holds the shared lock for its whole work unit (3 ns of
// "work"), a polite worker takes it three times for 1 ns each. In the
// book's run the greedy one completes more work loops over the same
// window: it is not wrong, but it gets more of the shared resource. The
// book runs 1 s; 200 ms here, or the argument in milliseconds.
//
// The counts depend on timing, and so does which worker comes out ahead:
// with two processors gort gives greedy/polite ratios from about 0.7 to 2
// (the book's one run: 1.6), so the program prints them and does not
// compare them. Checked: both workers did work. That can fail: on one
// processor a holder that unlocks and locks again gets the lock before the
// waiter it woke has run, so an unfair mutex would shut the waiter out;
// gort's, like Go's, hands the lock to a waiter that has waited over 1 ms
// (try GORT_MAXPROCS=1: one worker gets nearly everything, not all).
#include <gort/gort.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>

using namespace std::chrono_literals;
using clk = std::chrono::steady_clock;

int main(int argc, char** argv) {
  const auto runtime =
      std::chrono::milliseconds(argc > 1 ? std::atoi(argv[1]) : 200);
  return gort::run([runtime] {
    gort::wait_group wg;
    gort::mutex shared_lock;
    long greedy = 0, polite = 0;

    auto greedy_worker = [&] {
      long count = 0;
      for (auto begin = clk::now(); clk::now() - begin <= runtime;) {
        shared_lock.lock();
        gort::sleep(3ns);
        shared_lock.unlock();
        count++;
      }
      std::printf("Greedy worker was able to execute %ld work loops\n", count);
      greedy = count;
      wg.done();
    };
    auto polite_worker = [&] {
      long count = 0;
      for (auto begin = clk::now(); clk::now() - begin <= runtime;) {
        shared_lock.lock();
        gort::sleep(1ns);
        shared_lock.unlock();

        shared_lock.lock();
        gort::sleep(1ns);
        shared_lock.unlock();

        shared_lock.lock();
        gort::sleep(1ns);
        shared_lock.unlock();

        count++;
      }
      std::printf("Polite worker was able to execute %ld work loops.\n", count);
      polite = count;
      wg.done();
    };

    wg.add(2);
    gort::go(greedy_worker);
    gort::go(polite_worker);
    wg.wait();

    if (greedy <= 0 || polite <= 0) {
      std::fprintf(stderr, "FAIL: greedy %ld, polite %ld loops\n", greedy,
                   polite);
      return 1;
    }
    return 0;
  });
}
