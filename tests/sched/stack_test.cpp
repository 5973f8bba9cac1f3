// Stack overflow on a stack without a guard page.
//
// Only the first stacks get a guard page when carved; those a burst of new
// goroutines gets run unguarded until sysmon guards them in the pool
// (runtime/stack.cpp, "Stacks", step 2). The test turns the guard budget
// off so the stack it overflows is unguarded for sure. An overflow there runs
// down through the neighbouring stacks until it faults; the handler must still
// recognise it from the faulting sp and name the goroutine.
#include <gtest/gtest.h>

#include <gort/gort.hpp>

#include <cstdio>
#include <cstdlib>

#include "runtime/internal/stack.hpp"
#include "sched/internal/latch.hpp"
#include "support/sanitizer.hpp"

namespace {

int deep(int n) {
  volatile char frame[512];
  frame[0] = static_cast<char>(n);
  return n < 0 ? 0 : deep(n + 1) + frame[0];
}

void overflow_past_the_eager_guards() {
  setenv("GORT_STACK_SIZE", "64K", 1);
  gort::run([] {
    // No guard pages from now on, neither eager ones nor sysmon's for
    // resting stacks (which made this test flaky): once the guarded stacks
    // already carved are taken by parked goroutines, the next one runs on
    // a stack without a guard page.
    gort::internal::stack_set_guard_budget(0);
    constexpr int parked = 3000;
    gort::internal::latch hold(1), ready(parked);
    for (int i = 0; i < parked; ++i)
      gort::go([&] {
        ready.count_down();
        hold.wait();
      });
    ready.wait();
    gort::internal::latch done(1);
    gort::go([&] {
      std::printf("%d\n", deep(1));
      done.count_down();
    });
    done.wait();
  });
  std::exit(0);  // not reached
}

TEST(stack_death_test, overflow_on_an_unguarded_stack_names_the_goroutine) {
  // ASan reports the frames landing on a neighbour's poisoned stack first
  // (death_test.cpp has the same skip for the same reason).
  if (gort_test::under_sanitizer) GTEST_SKIP() << "not under sanitizers";
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(overflow_past_the_eager_guards(), testing::ExitedWithCode(2),
              "stack overflow\n\ngoroutine [0-9]+ \\[running\\]:\n"
              "(.|\n)*no guard page(.|\n)*created by (.|\n)*"
              "stack_test\\.cpp");
}

}  // namespace
