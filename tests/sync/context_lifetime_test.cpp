// Context lifetimes that race with the runtime: contexts freed while their
// deadline fires, and cancel racing with the deadline and with the
// parent's cancel. Regression tests for the protocol in sync/context.cpp.
#include <atomic>
#include <chrono>
#include <random>

#include <gtest/gtest.h>

#include "gort/context.hpp"
#include "gort/sched.hpp"
#include "support/hammer.hpp"
#include "support/procs_fixture.hpp"
#include "support/sanitizer.hpp"
#include "support/seed.hpp"

namespace {

using namespace std::chrono_literals;

class context_lifetime_test : public gort_test::procs_fixture {};
GORT_INSTANTIATE_PROCS(context_lifetime_test);

// A node freed just as its deadline fires: the timer's cancel and the
// destructor both leave the parent. Before the fix the loser of that race
// waited forever for a hook mark that never came (the hang watchdog
// reports it).
TEST_P(context_lifetime_test, freed_while_its_deadline_fires) {
  const int per = static_cast<int>(gort_test::scaled(4'000, 1'000, 400));
  const std::uint64_t seed = gort_test::test_seed();
  auto [parent, cancel_parent] = gort::with_cancel(gort::context::background());
  std::atomic<int> expired{0};
  gort_test::hammer(4, 1, per, [&, parent = parent](int w, int k) {
    std::minstd_rand rng(static_cast<std::uint32_t>(seed) + w * 7919 + k);
    auto [ctx, cancel] = gort::with_timeout(parent, 1us * (rng() % 50));
    const auto spin_until =
        std::chrono::steady_clock::now() + 1us * (rng() % 60);
    while (std::chrono::steady_clock::now() < spin_until) {
    }
    if (ctx.err() == gort::errc::deadline_exceeded) expired.fetch_add(1);
    if (rng() % 2 == 0) cancel();
    // ctx and cancel are freed here, maybe while the timer fires.
  });
  EXPECT_GT(expired.load(), 0);  // the race was really run
  cancel_parent();
}

// Cancel, deadline and the parent's cancel racing on one node: exactly
// one cause wins and the child always reports a cause.
TEST_P(context_lifetime_test, cancel_deadline_and_parent_race) {
  const int per = static_cast<int>(gort_test::scaled(2'000, 500, 200));
  const std::uint64_t seed = gort_test::test_seed();
  gort_test::hammer(2, 1, per, [&](int w, int k) {
    std::minstd_rand rng(static_cast<std::uint32_t>(seed) + w * 104729 + k);
    auto [parent, cancel_parent] =
        gort::with_cancel(gort::context::background());
    auto [ctx, cancel] = gort::with_timeout(parent, 1us * (rng() % 20));
    auto [grandchild, cancel_grandchild] = gort::with_cancel(ctx);
    gort::go([cancel_parent = cancel_parent] { cancel_parent(); });
    if (rng() % 2 == 0) cancel();
    ctx.done().recv();
    grandchild.done().recv();
    const std::error_code e = ctx.err();
    EXPECT_TRUE(e == gort::errc::canceled || e == gort::errc::deadline_exceeded)
        << e.message();
    EXPECT_EQ(grandchild.err(), e);  // a child's cause is its parent's
    EXPECT_EQ(ctx.err(), e);         // and never changes
  });
}

}  // namespace
