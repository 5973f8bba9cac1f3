// tests/support/plain_threads.hpp: plain threads beside goroutines.
//
// join_all joins plain threads from a goroutine without holding its
// processor: with one processor, a join that blocks the worker in the
// kernel would keep every goroutine (and the processor's timers) from
// running, and a thread that waits for one of them would never end.
//
// thread_probe says whether a plain thread is really asleep in a gort wait,
// the plain-thread counterpart of parked_for() (watchdog.hpp).
//
// A goroutine that waits is parked and counted by stats(); a plain thread
// that waits sleeps in futex(2) on its waiter's word (sched/park.cpp,
// block(); chan/select.cpp): FUTEX_WAIT_PRIVATE, expected value 0, no
// timeout. The kernel shows the system call a thread is in, with its
// arguments, in /proc/self/task/<tid>/syscall; rt_mutex contention waits on
// value 2 and so is not mistaken for a wait.
//
// Example:
//   gort_test::thread_probe probe;
//   std::vector<std::thread> ts;
//   ts.emplace_back([&] { probe.arm(); mu.lock(); mu.unlock(); });
//   EXPECT_TRUE(gort_test::eventually([&] { return probe.blocked(); }));
//   mu.unlock();
//   gort_test::join_all(ts);
#pragma once

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gort/sched.hpp"

namespace gort_test {

// join_all joins every thread in ts (and empties it), inside
// gort::blocking() so that the caller's processor goes on running
// goroutines meanwhile. Any thread.
inline void join_all(std::vector<std::thread>& ts) {
  gort::blocking([&ts] {
    for (auto& t : ts)
      if (t.joinable()) t.join();
  });
  ts.clear();
}

class thread_probe {
 public:
  // arm records the calling thread as the one to watch; call it on that
  // thread before it waits.
  void arm() noexcept {
    tid_.store(static_cast<long>(::syscall(SYS_gettid)),
               std::memory_order_release);
  }

  // blocked reports whether the armed thread is now asleep in a gort wait
  // (futex FUTEX_WAIT_PRIVATE on a word expected to be 0, no timeout).
  // False before arm() and after the thread has exited. Any thread.
  bool blocked() const {
    const long tid = tid_.load(std::memory_order_acquire);
    if (tid == 0) return false;
    std::ifstream in("/proc/self/task/" + std::to_string(tid) + "/syscall");
    std::string line;
    if (!std::getline(in, line)) return false;
    std::istringstream fields(line);
    long nr = -1;
    std::string addr, op, val, timeout;
    if (!(fields >> nr >> addr >> op >> val >> timeout)) return false;
    return nr == SYS_futex &&
           std::stoul(op, nullptr, 0) == FUTEX_WAIT_PRIVATE &&
           std::stoul(val, nullptr, 0) == 0 &&
           std::stoul(timeout, nullptr, 0) == 0;
  }

 private:
  std::atomic<long> tid_{0};
};

}  // namespace gort_test
