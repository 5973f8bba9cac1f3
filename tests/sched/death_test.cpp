// Panics: an exception escaping a goroutine, and a stack overflow, print a
// report and end the process with status 2 (API.md; sched.hpp, go()).
//
// Each EXPECT_EXIT re-executes the binary (threadsafe style: the runtime may
// already be running in this process) and runs the body in the child, where
// GORT_STACK_SIZE=64K is set before the runtime starts. gtest matches one
// POSIX regex against the child's whole stderr, and the report's parts may
// come in any order, so each part is checked by its own child.
#include <cstdlib>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

#include "gort/sched.hpp"
#include "sched/internal/latch.hpp"
#include "support/sanitizer.hpp"

namespace {

using namespace std::chrono_literals;

// The watchdog: the child should die long before this.
constexpr auto child_watchdog = 30s;

[[noreturn]] void escape_from_goroutine() {
  ::setenv("GORT_STACK_SIZE", "64K", 1);
  gort::run([] {
    gort::go(
        [] { throw std::runtime_error("gort-test escaped exception 4711"); });
    gort::sleep(child_watchdog);
  });
  std::_Exit(0);
}

TEST(death_test, exception_escaping_goroutine_reports_id_site_and_what) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(escape_from_goroutine(), ::testing::ExitedWithCode(2),
              "goroutine [0-9]+");
  EXPECT_EXIT(escape_from_goroutine(), ::testing::ExitedWithCode(2),
              "death_test\\.cpp");
  EXPECT_EXIT(escape_from_goroutine(), ::testing::ExitedWithCode(2),
              "gort-test escaped exception 4711");
}

TEST(death_test, exception_escaping_goroutine_spawned_by_plain_thread) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        ::setenv("GORT_STACK_SIZE", "64K", 1);
        gort::go(
            [] { throw std::logic_error("gort-test from a plain thread"); });
        std::this_thread::sleep_for(child_watchdog);
        std::_Exit(0);
      },
      ::testing::ExitedWithCode(2), "gort-test from a plain thread");
}

TEST(death_test, non_std_exception_escaping_goroutine_exits_2) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        gort::run([] {
          gort::go([] { throw 42; });
          gort::sleep(child_watchdog);
        });
        std::_Exit(0);
      },
      ::testing::ExitedWithCode(2), "goroutine [0-9]+");
}

volatile int g_never = -1;

// recurse_forever recurses until the stack runs out. The volatile buffer and
// the use of the callee's result after the call keep it a real recursion
// (no tail call, no loop).
[[gnu::noinline]] int recurse_forever(int depth) {
  volatile char buffer[512];
  buffer[depth % 512] = static_cast<char>(depth);
  if (depth == g_never) return 0;
  return recurse_forever(depth + 1) + buffer[(depth * 7) % 512];
}

[[noreturn]] void overflow_goroutine_stack() {
  ::setenv("GORT_STACK_SIZE", "64K", 1);
  gort::run([] {
    gort::go([] { g_never = recurse_forever(0); });
    gort::sleep(child_watchdog);
  });
  std::_Exit(0);
}

TEST(death_test, stack_overflow_reports_goroutine_site_and_size) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(overflow_goroutine_stack(), ::testing::ExitedWithCode(2),
              "stack overflow");
  EXPECT_EXIT(overflow_goroutine_stack(), ::testing::ExitedWithCode(2),
              "goroutine [0-9]+");
  EXPECT_EXIT(overflow_goroutine_stack(), ::testing::ExitedWithCode(2),
              "death_test\\.cpp");
  EXPECT_EXIT(overflow_goroutine_stack(), ::testing::ExitedWithCode(2),
              "65536|64 ?[Kk]");
}

// recurse_then_yield goes `depth` frames of about 600 bytes deep, then
// yields from the deepest one: a switch with sp below the stack's red zone.
[[gnu::noinline]] int recurse_then_yield(int depth) {
  volatile char buffer[512];
  for (auto& c : buffer) c = static_cast<char>(0xA5);
  if (depth == 0) {
    gort::yield();
    return buffer[7];
  }
  return recurse_then_yield(depth - 1) + buffer[depth % 512];
}

// Past the guard-page budget (about 28k stacks under the default
// vm.max_map_count) stacks have no guard page; an overflow is then caught at
// the next switch (runtime/stack.cpp, "Stacks", step 3) and must still be
// reported, never silent.
[[noreturn]] void overflow_unguarded_stack() {
  ::setenv("GORT_STACK_SIZE", "64K", 1);
  gort::run([] {
    constexpr std::size_t parked = 40'000;
    gort::internal::latch never(1);  // the process ends first
    for (std::size_t i = 0; i < parked; ++i) gort::go([&] { never.wait(); });
    while (gort::stats().parked_by_reason[static_cast<std::size_t>(
               gort::wait_reason::internal_wait)] < parked)
      gort::sleep(1ms);
    // About 90 KiB of frames on a 64 KiB stack.
    gort::go([] { g_never = recurse_then_yield(150); });
    gort::sleep(child_watchdog);
  });
  std::_Exit(0);
}

TEST(death_test, stack_overflow_without_guard_page_is_reported_at_switch) {
  // TSan: 40,000 live fibers exceed its limit. ASan: it sees the frames
  // land on the neighbouring goroutine's poisoned stack first
  // (stack-buffer-underflow) and exits 1 before the switch.
  if (gort_test::under_sanitizer) GTEST_SKIP() << "not under sanitizers";
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(overflow_unguarded_stack(), ::testing::ExitedWithCode(2),
              "stack overflow");
  EXPECT_EXIT(overflow_unguarded_stack(), ::testing::ExitedWithCode(2),
              "goroutine [0-9]+");
}

}  // namespace
