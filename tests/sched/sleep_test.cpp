// sleep() and sleep_until(): goroutines park on the runtime's timers and
// never wake early.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <random>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "gort/sched.hpp"
#include "sched/internal/latch.hpp"
#include "support/procs_fixture.hpp"
#include "support/sanitizer.hpp"
#include "support/seed.hpp"

namespace {

using namespace std::chrono_literals;
using gort::internal::latch;
using clock_type = std::chrono::steady_clock;

class sleep_test : public gort_test::procs_fixture {};
GORT_INSTANTIATE_PROCS(sleep_test);

// Records the worst early wake-up: how much sooner than asked a sleeper
// came back (0: none was early).
struct early_record {
  std::atomic<int> early{0};
  std::atomic<std::int64_t> worst_ns{0};
  void check(clock_type::duration asked, clock_type::duration slept) {
    if (slept >= asked) return;
    early.fetch_add(1);
    const std::int64_t by = (asked - slept).count();
    std::int64_t w = worst_ns.load();
    while (by > w && !worst_ns.compare_exchange_weak(w, by)) {
    }
  }
};

TEST_P(sleep_test, ten_thousand_sleepers_all_wake_none_early) {
  constexpr int n = static_cast<int>(gort_test::scaled(10'000, 2'000));
  const std::uint64_t seed = gort_test::test_seed();
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<long> us(1'000, 20'000);
  std::vector<clock_type::duration> d(n);
  for (auto& x : d) x = std::chrono::microseconds(us(rng));
  early_record rec;
  std::atomic<int> woke{0};
  gort::run([&] {
    latch done(n);
    for (int i = 0; i < n; ++i) {
      gort::go([&, i] {
        const auto t0 = clock_type::now();
        gort::sleep(d[i]);
        rec.check(d[i], clock_type::now() - t0);
        woke.fetch_add(1);
        done.count_down();
      });
    }
    done.wait();
  });
  EXPECT_EQ(woke.load(), n);
  EXPECT_EQ(rec.early.load(), 0)
      << "worst early wake-up: " << rec.worst_ns.load() << " ns";
}

TEST_P(sleep_test, sleep_until_never_wakes_before_its_deadline) {
  constexpr int n = 1'000;
  const std::uint64_t seed = gort_test::test_seed();
  std::atomic<int> early{0};
  gort::run([&] {
    latch done(n);
    for (int i = 0; i < n; ++i) {
      const auto d =
          std::chrono::microseconds(gort_test::mix(seed + i) % 10'000);
      gort::go([&, d] {
        const auto deadline = clock_type::now() + d;
        gort::sleep_until(deadline);
        if (clock_type::now() < deadline) early.fetch_add(1);
        done.count_down();
      });
    }
    done.wait();
  });
  EXPECT_EQ(early.load(), 0);
}

TEST_P(sleep_test, zero_and_negative_durations_return) {
  gort::run([] {
    gort::sleep(0ns);
    gort::sleep(-5ms);
    gort::sleep(clock_type::duration::min());
    gort::sleep_until(clock_type::now() - 1s);
    gort::sleep_until(clock_type::time_point::min());
  });
  gort::sleep(0ns);
  gort::sleep(-5ms);
  gort::sleep_until(clock_type::now() - 1s);
}

TEST_P(sleep_test, sleep_accepts_any_duration_type) {
  gort::run([] {
    const auto t0 = clock_type::now();
    gort::sleep(std::chrono::duration<double, std::milli>(1.5));
    EXPECT_GE(clock_type::now() - t0, 1500us);
  });
}

TEST_P(sleep_test, sleep_on_plain_thread_sleeps_at_least_d) {
  const auto t0 = clock_type::now();
  gort::sleep(5ms);
  EXPECT_GE(clock_type::now() - t0, 5ms);
  const auto deadline = clock_type::now() + 3ms;
  gort::sleep_until(deadline);
  EXPECT_GE(clock_type::now(), deadline);
}

// A sleeping goroutine parks (reason sleep) and its processor runs others:
// with one processor, the main goroutine sees the sleeper parked before the
// sleeper wakes. Were sleep to block the worker, main could not run until
// the sleeper had finished.
TEST_P(sleep_test, sleeping_goroutine_parks_and_frees_its_processor) {
  std::atomic<bool> sleeper_done{false};
  bool seen_parked = false;
  gort::run([&] {
    latch done(1);
    gort::go([&] {
      gort::sleep(500ms);
      sleeper_done = true;
      done.count_down();
    });
    while (!sleeper_done.load()) {
      if (gort_test::parked_for(gort::stats(), gort::wait_reason::sleep) >= 1) {
        seen_parked = !sleeper_done.load();
        break;
      }
      gort::yield();
    }
    done.wait();
  });
  EXPECT_TRUE(seen_parked) << "never saw the sleeper parked on its timer";
}

// Sleepers across a change of processor count: timers of a removed
// processor move to the global queue and still fire.
TEST_P(sleep_test, sleepers_wake_when_processors_shrink) {
  constexpr int n = 400;
  early_record rec;
  gort::run([&] {
    gort::set_maxprocs(4);
    latch done(n);
    for (int i = 0; i < n; ++i) {
      gort::go([&, i] {
        const auto d = std::chrono::microseconds(500 + (i % 20) * 500);
        const auto t0 = clock_type::now();
        gort::sleep(d);
        rec.check(d, clock_type::now() - t0);
        done.count_down();
      });
    }
    gort::set_maxprocs(1);
    done.wait();
  });
  EXPECT_EQ(rec.early.load(), 0);
}

}  // namespace
