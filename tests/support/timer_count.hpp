// tests/support/timer_count.hpp: how many runtime timers are pending, to
// check that something cancelled or dropped took its timer out of the heap
// (and so will not fire later).
//
// Example:
//   const std::size_t base = gort_test::pending_timers();
//   { auto [ctx, cancel] = gort::with_timeout(parent, 1h); }
//   EXPECT_LE(gort_test::pending_timers(), base);
#pragma once

#include <cstddef>

#include "gort/stats.hpp"

namespace gort_test {

// pending_timers counts the timers in every processor's heap now. Any
// thread.
inline std::size_t pending_timers() {
  std::size_t n = 0;
  for (const auto& p : gort::stats().procs) n += p.timers;
  return n;
}

}  // namespace gort_test
