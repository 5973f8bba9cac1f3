// check_dead (sched/deadlock.cpp) in process, on states a death test
// cannot hold still.
//
// a_spinning_worker_asks_for_a_recheck: every processor idle, the main
// goroutine parked on a channel, and a worker counted as spinning (set by
// hand, as a worker that is about to find nothing and sleep). Not dead,
// but check_dead must ask for a recheck: the worker will sleep without
// waking sysmon, and without a recheck sysmon slept deeply through the
// deadlock that followed (a SIGALRM after 60 s in
// trace_fresh_process_test.a_deadlock_writes_the_flight_recorder, seen
// once on a loaded machine).
#include <atomic>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "gort/chan.hpp"
#include "gort/sched.hpp"
#include "sched/internal/sched.hpp"

namespace {

using namespace std::chrono_literals;

// with_main_parked runs probe on a plain thread once every processor is
// idle and the main goroutine is parked, then lets main end.
template <class Probe>
void with_main_parked(Probe probe) {
  gort::run([&] {
    auto release = gort::make_chan<int>();
    std::thread t([&] {
      auto& s = gort::internal::sched();
      const auto give_up = std::chrono::steady_clock::now() + 30s;
      while (s.npidle.load() != s.gomaxprocs.load() &&
             std::chrono::steady_clock::now() < give_up)
        std::this_thread::sleep_for(1ms);
      probe(s);
      release.send(1);
    });
    release.recv();
    t.join();
  });
}

TEST(deadlock_check_test, a_spinning_worker_asks_for_a_recheck) {
  with_main_parked([](gort::internal::sched_t& s) {
    s.nmspinning.fetch_add(1);
    const gort::internal::dead_check d = gort::internal::check_dead();
    s.nmspinning.fetch_sub(1);
    EXPECT_FALSE(d.dead);
    EXPECT_TRUE(d.recheck) << "a spinning worker may sleep unnoticed";
  });
}

}  // namespace
