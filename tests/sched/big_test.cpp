// Scale: a million goroutines parked at once. Each goroutine stack is a
// mapping of its own unless the runtime packs them; with a guard page each,
// 32,765 goroutines exhaust the default vm.max_map_count of 65,530
// (platform.md 2.1). The runtime must fit a million parked goroutines under
// that default. Run once, at 4 processors, because it is big.
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "gort/sched.hpp"
#include "sched/internal/latch.hpp"
#include "support/procs_fixture.hpp"
#include "support/sanitizer.hpp"

namespace {

using gort::internal::latch;

class big_test : public gort_test::procs_fixture {};
INSTANTIATE_TEST_SUITE_P(procs, big_test, ::testing::Values(4),
                         ::gort_test::procs_name);

std::size_t count_mappings() {
  std::ifstream maps("/proc/self/maps");
  std::size_t n = 0;
  for (std::string line; std::getline(maps, line);) ++n;
  return n;
}

int max_map_count() {
  std::ifstream f("/proc/sys/vm/max_map_count");
  int n = 0;
  f >> n;
  return n;
}

TEST_P(big_test, parked_million_goroutines_fit_under_max_map_count) {
  // TSan dies past 8,128 live fibers (see sanitizer.hpp).
  constexpr std::size_t n = gort_test::scaled(1'000'000, 50'000, 4'000);
  std::atomic<std::size_t> finished{0};
  std::size_t peak_parked = 0;
  std::size_t peak_maps = 0;
  gort::run([&] {
    latch release(1);
    latch done(static_cast<std::int64_t>(n));
    for (std::size_t i = 0; i < n; ++i) {
      gort::go([&] {
        release.wait();
        finished.fetch_add(1, std::memory_order_relaxed);
        done.count_down();
      });
    }
    // Watchdog poll (gort::sleep parks main, reason sleep, not counted).
    EXPECT_TRUE(gort_test::eventually([&] {
      peak_parked = gort_test::parked_for(gort::stats(),
                                          gort::wait_reason::internal_wait);
      return peak_parked >= n;
    })) << gort_test::describe(gort::stats());
    peak_maps = count_mappings();
    EXPECT_EQ(gort::num_goroutines(), n + 1);
    release.count_down();
    done.wait();
  });
  EXPECT_EQ(finished.load(), n);
  EXPECT_GE(peak_parked, n);
  RecordProperty("peak_mappings", static_cast<int>(peak_maps));
  std::printf(
      "[   info   ] %zu goroutines parked at once, %zu mappings "
      "(vm.max_map_count %d)\n",
      peak_parked, peak_maps, max_map_count());
}

}  // namespace
