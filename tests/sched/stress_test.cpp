// A seeded random workload: spawns, nested spawns, yields, short sleeps,
// park/ready pairs and blocking() calls, mixed on all processors. The
// shape of the work (which task does what, how many children it has) is a
// pure function of the seed, so the expected checksum is computed by
// walking the same tree without running it; the interleaving is not
// reproducible, the workload is. GORT_TEST_SEED=<seed> repeats a run.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "gort/sched.hpp"
#include "sched/internal/latch.hpp"
#include "sched/internal/park.hpp"
#include "sched/internal/wait_queue.hpp"
#include "support/procs_fixture.hpp"
#include "support/sanitizer.hpp"
#include "support/seed.hpp"

namespace {

using gort::internal::latch;
namespace gi = gort::internal;

class stress_test : public gort_test::procs_fixture {};
GORT_INSTANTIATE_PROCS(stress_test);

constexpr int max_depth = 5;

enum class op {
  yield,
  sleep,
  park_pair,
  latch_pair,
  blocking,
  blocking_spawn,
  spin,
  count_
};

// task_plan is what a task does, derived from its id alone.
struct task_plan {
  std::uint64_t id;
  op what;
  int amount;    // yields, microseconds, ...
  int children;  // nested spawns
};

task_plan plan_of(std::uint64_t id, int depth) {
  const std::uint64_t r = gort_test::mix(id);
  task_plan p{id, static_cast<op>(r % static_cast<std::uint64_t>(op::count_)),
              static_cast<int>((r >> 8) % 200), 0};
  // Expected children per task about 1.6, capped by depth.
  if (depth < max_depth) p.children = static_cast<int>((r >> 16) % 4);
  return p;
}

std::uint64_t child_id(std::uint64_t parent, int i) {
  return gort_test::mix(parent * 31 + static_cast<std::uint64_t>(i) + 1);
}

// expected_sum walks the tree the way the tasks will, without running it.
void expected_sum(std::uint64_t id, int depth, std::uint64_t& sum,
                  std::uint64_t& count) {
  const task_plan p = plan_of(id, depth);
  sum += p.id;
  ++count;
  // blocking_spawn tasks spawn one extra leaf from inside blocking().
  if (p.what == op::blocking_spawn) {
    sum += child_id(id, 1000);
    ++count;
  }
  for (int i = 0; i < p.children; ++i)
    expected_sum(child_id(id, i), depth + 1, sum, count);
}

struct run_state {
  std::atomic<std::uint64_t> sum{0};
  std::atomic<std::uint64_t> count{0};
  latch done{0};
};

// park_pair: the task parks itself on a wait queue; a helper goroutine
// readies it (Go's gopark/goready by hand).
void park_pair(run_state& st) {
  gi::wait_queue q;
  gi::waiter w;
  w.gp = gi::current_g();
  st.done.add(1);
  // Spawn before taking q.lock: go() may take sched.lock, which ranks
  // below a wait queue's lock (runtime/internal/rt_mutex.hpp).
  gort::go([&st, &q] {
    gi::waiter* found = nullptr;
    while (true) {
      {
        std::lock_guard<gi::rt_mutex> lock(q.lock);
        found = q.pop_front();
      }
      if (found != nullptr) break;
      gort::yield();
    }
    gi::g* gp = found->gp;
    st.done.count_down();  // before ready: q and w die once gp runs
    gi::ready(gp);
  });
  q.lock.lock();
  q.push_back(&w);
  gi::park_unlock(gort::wait_reason::internal_wait, q.lock);
}

// latch_pair: two latches, a ping and a pong, with a helper goroutine.
void latch_pair(run_state& st) {
  latch ping(1);
  latch pong(1);
  st.done.add(1);
  gort::go([&st, &ping, &pong] {
    ping.wait();
    pong.count_down();  // the task may destroy both latches from here on
    st.done.count_down();
  });
  ping.count_down();
  pong.wait();
}

void task(std::uint64_t id, int depth, run_state& st) {
  const task_plan p = plan_of(id, depth);
  st.done.add(p.children);
  for (int i = 0; i < p.children; ++i)
    gort::go(task, child_id(id, i), depth + 1, std::ref(st));
  switch (p.what) {
    case op::yield:
      for (int i = 0; i < p.amount % 20; ++i) gort::yield();
      break;
    case op::sleep:
      gort::sleep(std::chrono::microseconds(p.amount * 5));
      break;
    case op::park_pair:
      park_pair(st);
      break;
    case op::latch_pair:
      latch_pair(st);
      break;
    case op::blocking:
      gort::blocking([&] {
        std::this_thread::sleep_for(std::chrono::microseconds(p.amount));
      });
      break;
    case op::blocking_spawn:
      st.done.add(1);
      gort::blocking([&] {
        gort::go(
            [&st](std::uint64_t leaf) {
              st.sum.fetch_add(leaf);
              st.count.fetch_add(1);
              st.done.count_down();
            },
            child_id(id, 1000));
      });
      break;
    case op::spin:
      gort_test::spin_for(std::chrono::microseconds(p.amount / 10));
      break;
    case op::count_:
      break;
  }
  st.sum.fetch_add(p.id);
  st.count.fetch_add(1);
  st.done.count_down();
}

TEST_P(stress_test, random_mix_completes_with_expected_checksum) {
  const std::uint64_t seed = gort_test::test_seed();
  const int roots = static_cast<int>(gort_test::scaled(1500, 100));
  std::uint64_t want_sum = 0;
  std::uint64_t want_count = 0;
  for (int r = 0; r < roots; ++r)
    expected_sum(child_id(seed, r), 0, want_sum, want_count);
  std::printf("[   info   ] %llu tasks\n",
              static_cast<unsigned long long>(want_count));
  run_state st;
  gort::run([&] {
    st.done.add(roots);
    for (int r = 0; r < roots; ++r)
      gort::go(task, child_id(seed, r), 0, std::ref(st));
    st.done.wait();
  });
  EXPECT_EQ(st.count.load(), want_count) << "seed " << seed;
  EXPECT_EQ(st.sum.load(), want_sum) << "seed " << seed;
}

// The same workload while another goroutine keeps changing maxprocs.
TEST_P(stress_test, random_mix_survives_maxprocs_changes) {
  const std::uint64_t seed = gort_test::test_seed();
  const int roots = static_cast<int>(gort_test::scaled(800, 60));
  std::uint64_t want_sum = 0;
  std::uint64_t want_count = 0;
  for (int r = 0; r < roots; ++r)
    expected_sum(child_id(seed, r), 0, want_sum, want_count);
  run_state st;
  gort::run([&] {
    std::atomic<bool> stop{false};
    latch flipper_done(1);
    gort::go([&] {
      std::uint64_t x = seed;
      while (!stop.load()) {
        x = gort_test::mix(x);
        gort::set_maxprocs(static_cast<int>(x % 4) + 1);
        gort::sleep(std::chrono::microseconds(300));
      }
      flipper_done.count_down();
    });
    st.done.add(roots);
    for (int r = 0; r < roots; ++r)
      gort::go(task, child_id(seed, r), 0, std::ref(st));
    st.done.wait();
    stop = true;
    flipper_done.wait();
  });
  EXPECT_EQ(st.count.load(), want_count) << "seed " << seed;
  EXPECT_EQ(st.sum.load(), want_sum) << "seed " << seed;
}

}  // namespace
