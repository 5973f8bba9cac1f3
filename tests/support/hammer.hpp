// tests/support/hammer.hpp: many parties running the same loop at once,
// the shape of every mutual-exclusion test.
//
// Example:
//   gort_test::hammer(8, 2, per, [&](int worker, int k) {
//     std::lock_guard<gort::mutex> lk(mu);
//     ++counter;
//   });
#pragma once

#include <thread>
#include <vector>

#include "gort/sched.hpp"
#include "sched/internal/latch.hpp"
#include "support/plain_threads.hpp"

namespace gort_test {

// hammer runs body(worker, k) for k in [0, per) on `goroutines` goroutines
// (workers 0..goroutines-1) and `threads` plain threads (the workers after
// them) at once, inside gort::run, and returns when all have finished.
template <class F>
void hammer(int goroutines, int threads, int per, F body) {
  gort::run([&] {
    gort::internal::latch done(goroutines);
    for (int w = 0; w < goroutines; ++w) {
      gort::go([&body, &done, w, per] {
        for (int k = 0; k < per; ++k) body(w, k);
        done.count_down();
      });
    }
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; ++t) {
      ts.emplace_back([&body, w = goroutines + t, per] {
        for (int k = 0; k < per; ++k) body(w, k);
      });
    }
    join_all(ts);
    done.wait();
  });
}

}  // namespace gort_test
