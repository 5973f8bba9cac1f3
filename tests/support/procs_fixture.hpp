// tests/support/procs_fixture.hpp: the fixture every scheduler test runs
// in, parameterised over processor counts (STYLE.md, "Tests").
//
// SetUp sets maxprocs to the parameter; TearDown restores the old value and
// checks that no goroutine is left behind: num_goroutines() must drop back
// to 0 before the watchdog expires (goroutines that have counted a latch
// down may still be finishing, so it polls). A hang_watchdog runs beside
// each test: a test that hangs (a lost wake-up leaves a latch waiting
// forever) prints the scheduler's state and aborts, rather than sitting
// until ctest's timeout.
//
// Example:
//   class spawn_test : public gort_test::procs_fixture {};
//   GORT_INSTANTIATE_PROCS(spawn_test);
//   TEST_P(spawn_test, goroutines_complete) { ... GetParam() ... }
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "gort/sched.hpp"
#include "support/watchdog.hpp"

namespace gort_test {

// hang_limit is how long one test may run before hang_watchdog aborts it;
// below ctest's per-test TIMEOUT (600 s).
inline constexpr std::chrono::seconds hang_limit{under_sanitizer ? 540 : 300};

// hang_watchdog: while alive, a thread that, if `limit` passes first,
// prints the running test's name and the scheduler's state to stderr and
// aborts the process.
class hang_watchdog {
 public:
  explicit hang_watchdog(std::chrono::seconds limit = hang_limit)
      : thread_([this, limit] { watch(limit); }) {}
  hang_watchdog(const hang_watchdog&) = delete;
  hang_watchdog& operator=(const hang_watchdog&) = delete;
  ~hang_watchdog() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }

 private:
  void watch(std::chrono::seconds limit) {
    std::unique_lock<std::mutex> lock(mu_);
    if (cv_.wait_for(lock, limit, [this] { return done_; })) return;
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::fprintf(stderr, "\nhang_watchdog: %s.%s still running after %llds\n",
                 info ? info->test_suite_name() : "?",
                 info ? info->name() : "?",
                 static_cast<long long>(limit.count()));
    std::fflush(stderr);
    // stats() takes the scheduler's lock, which a hung runtime may hold:
    // dump from another thread and abort after a grace period regardless.
    std::thread([] {
      const std::string state = describe(gort::stats());
      std::fprintf(stderr, "%s\n", state.c_str());
      std::fflush(stderr);
    }).detach();
    lock.unlock();
    std::this_thread::sleep_for(std::chrono::seconds(5));
    std::fprintf(stderr, "hang_watchdog: aborting\n");
    std::fflush(stderr);
    std::abort();
  }

  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

class procs_fixture : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    watchdog_ = std::make_unique<hang_watchdog>();
    old_procs_ = gort::set_maxprocs(GetParam());
  }

  void TearDown() override {
    gort::set_maxprocs(old_procs_);
    EXPECT_TRUE(eventually([] { return gort::num_goroutines() == 0; }))
        << "goroutines left behind: " << gort::num_goroutines() << "\n"
        << describe(gort::stats());
    watchdog_.reset();
  }

  int procs() const { return GetParam(); }

 private:
  int old_procs_ = 0;
  std::unique_ptr<hang_watchdog> watchdog_;
};

inline std::string procs_name(const ::testing::TestParamInfo<int>& info) {
  return "procs" + std::to_string(info.param);
}

}  // namespace gort_test

// GORT_INSTANTIATE_PROCS instantiates a procs_fixture suite for 1, 2 and 4
// processors (the CI machine has 2 cores).
#define GORT_INSTANTIATE_PROCS(suite)                                \
  INSTANTIATE_TEST_SUITE_P(procs, suite, ::testing::Values(1, 2, 4), \
                           ::gort_test::procs_name)
