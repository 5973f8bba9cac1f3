// cond::wait when another party has unlocked the caller's mutex under it:
// wait throws usage_error and leaves nothing of itself in the cond.
#include <atomic>
#include <chrono>
#include <mutex>

#include <gtest/gtest.h>

#include "gort/cond.hpp"
#include "gort/errors.hpp"
#include "gort/mutex.hpp"
#include "gort/sched.hpp"
#include "gort/stats.hpp"
#include "sched/internal/latch.hpp"
#include "support/watchdog.hpp"

namespace {

using namespace std::chrono_literals;

TEST(cond_misuse, wait_on_a_mutex_unlocked_under_it_throws_and_leaves) {
  gort::run([] {
    gort::mutex mu;
    gort::cond cv;
    mu.lock();
    std::unique_lock<gort::mutex> lk(mu, std::adopt_lock);
    mu.unlock();  // not owned: anybody may; now lk lies
    EXPECT_THROW(cv.wait(lk), gort::usage_error);
    lk.release();  // it never owned the mutex after all

    // The failed waiter left the list: one signal reaches the waiter that
    // parks next. Were the failed one still first in the list, the signal
    // would go to it and the real waiter would sleep on.
    bool ready = false;
    std::atomic<bool> woke{false};
    gort::internal::latch done(1);
    gort::go([&] {
      std::unique_lock<gort::mutex> l2(mu);
      cv.wait(l2, [&] { return ready; });
      woke = true;
      done.count_down();
    });
    ASSERT_TRUE(gort_test::eventually([] {
      return gort_test::parked_for(gort::stats(),
                                   gort::wait_reason::sync_cond_wait) == 1;
    }));
    {
      std::lock_guard<gort::mutex> g(mu);
      ready = true;
    }
    cv.signal();
    EXPECT_TRUE(gort_test::eventually([&] { return woke.load(); }, 5s));
    cv.broadcast();  // releases it if the signal went astray
    done.wait();
  });
}

}  // namespace
