// go(): spawning goroutines from goroutines and from plain threads, the
// copies go() makes of its arguments, goroutine ids and counts.
#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "gort/sched.hpp"
#include "sched/internal/latch.hpp"
#include "support/procs_fixture.hpp"
#include "support/sanitizer.hpp"

namespace {

using gort::internal::latch;

class spawn_test : public gort_test::procs_fixture {};
GORT_INSTANTIATE_PROCS(spawn_test);

TEST_P(spawn_test, one_million_goroutines_spawn_and_complete) {
  constexpr std::size_t n = gort_test::scaled(1'000'000, 100'000, 10'000);
  const auto created_before = gort::stats().goroutines_created;
  std::atomic<std::size_t> ran{0};
  gort::run([&] {
    latch done(static_cast<std::int64_t>(n));
    for (std::size_t i = 0; i < n; ++i) {
      gort::go([&] {
        ran.fetch_add(1, std::memory_order_relaxed);
        done.count_down();
      });
    }
    done.wait();
  });
  EXPECT_EQ(ran.load(), n);
  EXPECT_GE(gort::stats().goroutines_created - created_before, n + 1);
}

// spawn_from_threads starts `threads` std::threads that each spawn
// `per_thread` goroutines counting `ran` and `done` down, and joins them.
void spawn_from_threads(int threads, int per_thread, std::atomic<int>& ran,
                        latch& done) {
  std::vector<std::thread> spawners;
  for (int t = 0; t < threads; ++t) {
    spawners.emplace_back([&] {
      for (int i = 0; i < per_thread; ++i) {
        gort::go([&] {
          ran.fetch_add(1, std::memory_order_relaxed);
          done.count_down();
        });
      }
    });
  }
  for (auto& t : spawners) t.join();
}

// go() from 8 plain threads at once, with no run() active: the test thread
// joins on the latch from outside the runtime.
TEST_P(spawn_test, go_from_eight_threads_without_run_completes) {
  constexpr int threads = 8;
  constexpr int per_thread =
      static_cast<int>(gort_test::scaled(10'000, 2'000, 250));
  std::atomic<int> ran{0};
  latch done(threads * per_thread);
  spawn_from_threads(threads, per_thread, ran, done);
  done.wait();
  EXPECT_EQ(ran.load(), threads * per_thread);
}

// The same while a run() is active and its main goroutine waits on the same
// latch as the spawning threads' goroutines count down.
TEST_P(spawn_test, go_from_eight_threads_while_run_is_active_completes) {
  constexpr int threads = 8;
  constexpr int per_thread =
      static_cast<int>(gort_test::scaled(10'000, 2'000, 250));
  std::atomic<int> ran{0};
  latch done(threads * per_thread);
  latch main_started(1);
  std::thread runner([&] {
    gort::run([&] {
      main_started.count_down();
      done.wait();
    });
  });
  main_started.wait();
  spawn_from_threads(threads, per_thread, ran, done);
  runner.join();
  EXPECT_EQ(ran.load(), threads * per_thread);
}

TEST_P(spawn_test, nested_spawns_complete) {
  // A binary tree of goroutines, 2^depth leaves, each node spawning two.
  constexpr int depth = gort_test::under_tsan        ? 10
                        : gort_test::under_sanitizer ? 12
                                                     : 15;
  std::atomic<int> leaves{0};
  latch done(1);
  struct tree {
    static void node(int d, std::atomic<int>& leaves, latch& done) {
      if (d == 0) {
        leaves.fetch_add(1, std::memory_order_relaxed);
        done.count_down();
        return;
      }
      done.add(1);  // two children replace this node
      gort::go(node, d - 1, std::ref(leaves), std::ref(done));
      gort::go(node, d - 1, std::ref(leaves), std::ref(done));
    }
  };
  gort::run([&] {
    gort::go(tree::node, depth, std::ref(leaves), std::ref(done));
    done.wait();
  });
  EXPECT_EQ(leaves.load(), 1 << depth);
}

TEST_P(spawn_test, goroutine_ids_are_unique_and_nonzero) {
  constexpr std::size_t n = gort_test::scaled(10'000, 10'000, 2'000);
  EXPECT_EQ(gort::goroutine_id(), 0u) << "a plain thread has id 0";
  std::vector<std::uint64_t> ids(n);
  const std::uint64_t main_id = gort::run([&] {
    latch done(static_cast<std::int64_t>(n));
    for (std::size_t i = 0; i < n; ++i) {
      gort::go([&, i] {
        ids[i] = gort::goroutine_id();
        done.count_down();
      });
    }
    done.wait();
    return gort::goroutine_id();
  });
  EXPECT_NE(main_id, 0u);
  ids.push_back(main_id);
  std::sort(ids.begin(), ids.end());
  EXPECT_NE(ids.front(), 0u);
  EXPECT_EQ(std::adjacent_find(ids.begin(), ids.end()), ids.end())
      << "two goroutines share an id";
  std::thread([] { EXPECT_EQ(gort::goroutine_id(), 0u); }).join();
}

TEST_P(spawn_test, ids_are_never_reused) {
  std::uint64_t first = gort::run([] { return gort::goroutine_id(); });
  std::uint64_t second = gort::run([] { return gort::goroutine_id(); });
  EXPECT_NE(first, second);
}

TEST_P(spawn_test, num_goroutines_counts_live_goroutines) {
  constexpr int k = 100;
  EXPECT_EQ(gort::num_goroutines(), 0u);
  gort::run([&] {
    EXPECT_EQ(gort::num_goroutines(), 1u) << "counts the main goroutine";
    latch started(k);
    latch release(1);
    latch finished(k);
    for (int i = 0; i < k; ++i) {
      gort::go([&] {
        started.count_down();
        release.wait();
        finished.count_down();
      });
    }
    started.wait();
    EXPECT_EQ(gort::num_goroutines(), std::size_t{k} + 1);
    EXPECT_TRUE(gort_test::eventually([&] {
      return gort_test::parked_for(gort::stats(),
                                   gort::wait_reason::internal_wait) >=
             std::size_t{k};
    })) << gort_test::describe(gort::stats());
    release.count_down();
    finished.wait();
  });
  EXPECT_TRUE(
      gort_test::eventually([] { return gort::num_goroutines() == 0; }));
}

TEST_P(spawn_test, string_argument_is_copied_before_go_returns) {
  std::string text = "before";
  std::string seen;
  const std::string* seen_address = nullptr;
  gort::run([&] {
    latch go_ahead(1);
    latch done(1);
    gort::go(
        [&](const std::string& s) {
          go_ahead.wait();
          seen = s;
          seen_address = &s;
          done.count_down();
        },
        text);
    text = "after";  // must not reach the goroutine's copy
    go_ahead.count_down();
    done.wait();
  });
  EXPECT_EQ(seen, "before");
  EXPECT_NE(seen_address, &text);
}

TEST_P(spawn_test, move_only_argument_is_moved) {
  auto p = std::make_unique<int>(7);
  int seen = 0;
  gort::run([&] {
    latch done(1);
    gort::go(
        [&](std::unique_ptr<int> q) {
          seen = q ? *q : -1;
          done.count_down();
        },
        std::move(p));
    EXPECT_EQ(p, nullptr) << "go() moves an rvalue argument";
    done.wait();
  });
  EXPECT_EQ(seen, 7);
}

TEST_P(spawn_test, move_only_callable_is_moved) {
  int seen = 0;
  gort::run([&] {
    latch done(1);
    auto owned = std::make_unique<int>(11);
    gort::go([&, q = std::move(owned)] {
      seen = *q;
      done.count_down();
    });
    done.wait();
  });
  EXPECT_EQ(seen, 11);
}

TEST_P(spawn_test, reference_wrapper_argument_refers_to_caller_object) {
  int target = 0;
  gort::run([&] {
    latch done(1);
    gort::go(
        [&done](int& r) {
          r = 42;
          done.count_down();
        },
        std::ref(target));
    done.wait();
  });
  EXPECT_EQ(target, 42);
}

TEST_P(spawn_test, callable_copy_is_destroyed_after_it_runs) {
  // The task destroys fn and args after running them (task::invoke).
  auto token = std::make_shared<int>(1);
  std::weak_ptr<int> watch = token;
  gort::run([&] {
    latch done(1);
    gort::go([&done, t = std::move(token)] { done.count_down(); });
    done.wait();
  });
  EXPECT_TRUE(gort_test::eventually([&] { return watch.expired(); }))
      << "the goroutine's copy of its callable was never destroyed";
}

TEST_P(spawn_test, everything_before_go_happens_before_the_goroutine) {
  // Plain (non-atomic) data written before go() is visible in the goroutine;
  // TSan checks the edge.
  constexpr int n = 1000;
  std::vector<int> data(n);
  std::atomic<int> bad{0};
  gort::run([&] {
    latch done(n);
    for (int i = 0; i < n; ++i) {
      data[i] = i * 3;
      gort::go([&, i] {
        if (data[i] != i * 3) bad.fetch_add(1);
        done.count_down();
      });
    }
    done.wait();
  });
  EXPECT_EQ(bad.load(), 0);
}

}  // namespace

namespace {

// go() has one overload per argument count (the spawn site must follow the
// arguments); past eight it falls back to a variadic overload.
TEST(go_arity_test, every_argument_count_reaches_the_goroutine) {
  std::atomic<int> sum{0};
  gort::internal::latch done(4);
  auto add = [&](auto... v) {
    sum += (0 + ... + v);
    done.count_down();
  };
  gort::go(add);
  gort::go(add, 1);
  gort::go(add, 1, 2, 3, 4, 5, 6, 7, 8);
  gort::go(add, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
  done.wait();
  EXPECT_EQ(sum.load(), 1 + 36 + 55);
}

}  // namespace

// Callables too big or too aligned for the G's inline buffer live on the
// heap and are freed with the alignment they were allocated with (a plain
// delete of an aligned new is undefined; ASan: new-delete-type-mismatch).
namespace {
struct alignas(64) over_aligned {
  unsigned char bytes[64] = {};
};
}  // namespace

TEST_P(spawn_test, heap_callables_of_any_size_and_alignment_run_and_free) {
  std::atomic<int> sum{0};
  gort::run([&] {
    latch done(3);
    std::array<unsigned char, 200> big{};
    big[199] = 7;
    gort::go([&sum, &done, big] {
      sum += big[199];
      done.count_down();
    });
    over_aligned a;
    a.bytes[0] = 5;
    gort::go([&sum, &done, a] {
      sum += a.bytes[0];
      done.count_down();
    });
    gort::go([&sum, &done, a, big] {
      sum += a.bytes[0] + big[199];
      done.count_down();
    });
    done.wait();
  });
  EXPECT_EQ(sum.load(), 7 + 5 + 12);
}
