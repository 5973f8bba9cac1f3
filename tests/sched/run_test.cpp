// run(): the main goroutine's result, its exception, repeated and
// concurrent calls, and nested calls from goroutines.
#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "gort/sched.hpp"
#include "sched/internal/latch.hpp"
#include "support/procs_fixture.hpp"

namespace {

using gort::internal::latch;

class run_test : public gort_test::procs_fixture {};
GORT_INSTANTIATE_PROCS(run_test);

struct custom_error : std::runtime_error {
  explicit custom_error(int c) : std::runtime_error("custom"), code(c) {}
  int code;
};

TEST_P(run_test, returns_int) {
  EXPECT_EQ(gort::run([] { return 42; }), 42);
}

TEST_P(run_test, returns_move_only_value) {
  std::unique_ptr<int> p = gort::run([] { return std::make_unique<int>(5); });
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(*p, 5);
}

TEST_P(run_test, runs_void_function_on_a_goroutine) {
  std::uint64_t id = 0;
  gort::run([&] { id = gort::goroutine_id(); });
  EXPECT_NE(id, 0u);
}

// Regression: run(F&&) with an lvalue deduced F as T& and its frame
// declared `F* fn`, a pointer to a reference, which did not compile.
TEST_P(run_test, runs_mutable_lambda_passed_as_lvalue) {
  int calls = 0;
  auto fn = [&calls, n = 0]() mutable { return calls = ++n; };
  EXPECT_EQ(gort::run(fn), 1);
  EXPECT_EQ(calls, 1);
}

TEST_P(run_test, rethrows_exception_with_its_type) {
  EXPECT_THROW(gort::run([]() -> int { throw std::runtime_error("x"); }),
               std::runtime_error);
  try {
    gort::run([] { throw custom_error(17); });
    FAIL() << "run did not rethrow";
  } catch (const custom_error& e) {
    EXPECT_EQ(e.code, 17);
  }
}

TEST_P(run_test, rethrows_exception_thrown_after_parking) {
  EXPECT_THROW(gort::run([] {
                 latch done(1);
                 gort::go([&] { done.count_down(); });
                 done.wait();
                 gort::yield();
                 throw custom_error(3);
               }),
               custom_error);
}

TEST_P(run_test, can_be_called_repeatedly) {
  for (int i = 0; i < 200; ++i) {
    ASSERT_EQ(gort::run([i] {
                latch done(1);
                int v = 0;
                gort::go([&] {
                  v = i * 2;
                  done.count_down();
                });
                done.wait();
                return v;
              }),
              i * 2);
  }
}

// Four run()s at once: each main goroutine waits until all four have
// started, so they are certainly alive together.
TEST_P(run_test, can_be_called_from_four_threads_at_once) {
  constexpr int threads = 4;
  latch all_started(threads);
  std::vector<int> results(threads, -1);
  std::vector<std::thread> callers;
  for (int t = 0; t < threads; ++t) {
    callers.emplace_back([&, t] {
      results[t] = gort::run([&] {
        all_started.count_down();
        all_started.wait();
        latch done(100);
        std::atomic<int> sum{0};
        for (int i = 0; i < 100; ++i) {
          gort::go([&, i] {
            sum.fetch_add(i);
            done.count_down();
          });
        }
        done.wait();
        return sum.load() + t;
      });
    });
  }
  for (auto& c : callers) c.join();
  for (int t = 0; t < threads; ++t) EXPECT_EQ(results[t], 4950 + t);
}

TEST_P(run_test, nested_run_calls_inline_on_the_same_goroutine) {
  gort::run([] {
    const auto id = gort::goroutine_id();
    const auto goroutines = gort::num_goroutines();
    EXPECT_EQ(gort::run([&] {
                EXPECT_EQ(gort::num_goroutines(), goroutines);
                return gort::goroutine_id();
              }),
              id);
    EXPECT_THROW(gort::run([] { throw custom_error(1); }), custom_error);
    latch done(1);
    gort::go([&] {
      const auto child = gort::goroutine_id();
      EXPECT_EQ(gort::run([] { return gort::goroutine_id(); }), child);
      done.count_down();
    });
    done.wait();
  });
}

TEST_P(run_test, goroutines_outlive_their_run) {
  latch release(1);
  latch finished(1);
  std::atomic<bool> ran_after{false};
  gort::run([&] {
    gort::go([&] {
      release.wait();
      ran_after = true;
      finished.count_down();
    });
  });
  EXPECT_GE(gort::num_goroutines(), 1u) << "the child is still alive";
  release.count_down();
  finished.wait();
  EXPECT_TRUE(ran_after.load());
}

}  // namespace
