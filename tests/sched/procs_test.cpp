// Processors: set_maxprocs while work runs, work spreading across
// processors by stealing, parallelism, and the stats() snapshot.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string_view>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "gort/sched.hpp"
#include "gort/stats.hpp"
#include "sched/internal/latch.hpp"
#include "support/procs_fixture.hpp"
#include "support/sanitizer.hpp"

namespace {

using namespace std::chrono_literals;
using gort::internal::latch;

class procs_test : public gort_test::procs_fixture {};
GORT_INSTANTIATE_PROCS(procs_test);

TEST_P(procs_test, set_maxprocs_returns_old_value_and_clamps) {
  EXPECT_EQ(gort::maxprocs(), procs());
  EXPECT_EQ(gort::set_maxprocs(3), procs());
  EXPECT_EQ(gort::maxprocs(), 3);
  EXPECT_EQ(gort::set_maxprocs(0), 3);
  EXPECT_EQ(gort::maxprocs(), 1);
  EXPECT_EQ(gort::set_maxprocs(-7), 1);
  EXPECT_EQ(gort::maxprocs(), 1);
  EXPECT_EQ(gort::set_maxprocs(1'000'000), 1);
  EXPECT_EQ(gort::maxprocs(), 1024);
  EXPECT_EQ(gort::stats().processors, 1024);
  EXPECT_EQ(gort::set_maxprocs(procs()), 1024);
  EXPECT_EQ(gort::maxprocs(), procs());
  // And the runtime still works.
  EXPECT_EQ(gort::run([] { return 1; }), 1);
}

// A goroutine flips maxprocs 1 -> 4 -> 2 -> 3 -> 1 while others spawn,
// yield and sleep. All work completes; the last value sticks.
TEST_P(procs_test, maxprocs_changes_while_work_runs) {
  constexpr int workers = 64;
  constexpr int steps = static_cast<int>(gort_test::scaled(200, 50));
  std::atomic<long> work{0};
  gort::run([&] {
    latch done(workers + 1);
    std::atomic<bool> flipping{true};
    gort::go([&] {
      for (int round = 0; round < 5; ++round) {
        for (int n : {1, 4, 2, 3, 1}) {
          gort::set_maxprocs(n);
          gort::sleep(1ms);
          gort::yield();
        }
      }
      flipping = false;
      done.count_down();
    });
    for (int w = 0; w < workers; ++w) {
      gort::go([&, w] {
        for (int s = 0; s < steps; ++s) {
          switch ((w + s) % 4) {
            case 0:
              gort::yield();
              break;
            case 1:
              gort::sleep(std::chrono::microseconds(50 + (s % 5) * 100));
              break;
            case 2: {
              latch child(1);
              gort::go([&] {
                work.fetch_add(1);
                child.count_down();
              });
              child.wait();
              break;
            }
            default:
              gort_test::spin_for(10us);
          }
          work.fetch_add(1);
        }
        done.count_down();
      });
    }
    done.wait();
    EXPECT_FALSE(flipping.load());
  });
  long expected = 0;
  for (int w = 0; w < workers; ++w)
    for (int s = 0; s < steps; ++s) expected += ((w + s) % 4 == 2) ? 2 : 1;
  EXPECT_EQ(work.load(), expected);
  EXPECT_EQ(gort::maxprocs(), 1);
  const auto s = gort::stats();
  EXPECT_EQ(s.processors, 1);
  EXPECT_EQ(s.procs.size(), 1u);
}

// One goroutine spawns many small CPU-bound goroutines onto its own
// processor; idle processors must steal them, so more than one processor
// runs goroutines. The spawner spawns in batches that fit in a local run
// queue (Go's holds 256) and waits for each batch: an overflowing queue
// would push half its goroutines to the global queue, where the others
// could take them without stealing.
TEST_P(procs_test, goroutines_spawned_on_one_processor_run_on_all) {
  if (procs() < 2) GTEST_SKIP() << "needs two processors";
  constexpr int batches = static_cast<int>(gort_test::scaled(20, 10));
  constexpr int batch = 100;
  const auto before = gort::stats();
  gort::run([&] {
    latch done(1);
    gort::go([&] {
      for (int b = 0; b < batches; ++b) {
        latch batch_done(batch);
        for (int i = 0; i < batch; ++i) {
          gort::go([&] {
            gort_test::spin_for(20us);
            batch_done.count_down();
          });
        }
        batch_done.wait();
      }
      done.count_down();
    });
    done.wait();
  });
  const auto after = gort::stats();
  ASSERT_EQ(after.procs.size(), before.procs.size());
  std::uint64_t steals_before = 0;
  std::uint64_t steals_after = 0;
  int procs_that_ran = 0;
  for (std::size_t i = 0; i < after.procs.size(); ++i) {
    steals_before += before.procs[i].steals;
    steals_after += after.procs[i].steals;
    if (after.procs[i].scheduled > before.procs[i].scheduled) ++procs_that_ran;
  }
  EXPECT_GT(steals_after, steals_before) << gort_test::describe(after);
  EXPECT_GT(after.steals, before.steals) << gort_test::describe(after);
  EXPECT_GT(procs_that_ran, 1) << gort_test::describe(after);
}

// Two goroutines that busy-wait (no yield) for each other finish only if
// two processors run them at the same time: parallelism, not just
// concurrency. Growing maxprocs takes effect at once.
TEST_P(procs_test, two_processors_run_goroutines_in_parallel) {
  std::atomic<int> arrived{0};
  std::atomic<int> gave_up{0};
  gort::run([&] {
    gort::set_maxprocs(std::max(2, procs()));  // growing from 1: at once
    latch done(2);
    for (int i = 0; i < 2; ++i) {
      gort::go([&] {
        arrived.fetch_add(1);
        const auto deadline =
            std::chrono::steady_clock::now() + gort_test::watchdog;
        while (arrived.load() < 2) {  // no yield
          if (std::chrono::steady_clock::now() > deadline) {
            gave_up.fetch_add(1);
            break;
          }
        }
        done.count_down();
      });
    }
    done.wait();
  });
  EXPECT_EQ(gave_up.load(), 0) << gort_test::describe(gort::stats());
}

// Regression: retiring an idle processor while timers are pending must not
// take sched.lock twice (set_maxprocs -> retire_p -> note_timer_added ->
// wakep, all under sched.lock, deadlocked the whole runtime). The
// interleaving: sleepers leave timers pending; this thread shrinks
// maxprocs while the removed processors sit idle; their timers move to P0
// and the scheduler is told about the earliest one.
TEST_P(procs_test, shrinking_maxprocs_while_timers_are_pending) {
  gort_test::hang_watchdog deadlock_watchdog(
      std::chrono::seconds(gort_test::under_sanitizer ? 300 : 60));
  const int rounds = static_cast<int>(gort_test::scaled(300, 100, 50));
  for (int round = 0; round < rounds; ++round) {
    gort::set_maxprocs(4);
    latch done(8);
    std::atomic<int> sleeping{0};
    for (int i = 0; i < 8; ++i) {
      gort::go([&done, &sleeping, i] {
        sleeping.fetch_add(1);
        gort::sleep(std::chrono::microseconds(200 + 300 * i));
        done.count_down();
      });
    }
    // Shrink once the sleepers are (about to be) parked on their timers.
    // (A poll, as a watchdog; a counter, because stats() is slow after the
    // big tests.)
    EXPECT_TRUE(gort_test::eventually([&] { return sleeping.load() == 8; }));
    gort::set_maxprocs(1 + round % 3);
    gort::set_maxprocs(procs());
    done.wait();
  }
}

TEST_P(procs_test, stats_snapshot_is_consistent) {
  const long ncpu = ::sysconf(_SC_NPROCESSORS_CONF);
  auto check_shape = [&](const gort::sched_stats& s) {
    EXPECT_EQ(s.processors, gort::maxprocs());
    ASSERT_EQ(s.procs.size(), static_cast<std::size_t>(s.processors));
    for (int i = 0; i < s.processors; ++i) {
      const auto& p = s.procs[static_cast<std::size_t>(i)];
      EXPECT_EQ(p.id, i);
      EXPECT_TRUE(p.cpu == -1 || (p.cpu >= 0 && p.cpu < ncpu)) << p.cpu;
    }
    EXPECT_GE(s.processors, s.idle_processors);
    EXPECT_GE(s.parked, s.parked_by_reason[static_cast<std::size_t>(
                            gort::wait_reason::internal_wait)]);
  };
  ASSERT_TRUE(
      gort_test::eventually([] { return gort::num_goroutines() == 0; }));
  auto quiet = gort::stats();
  check_shape(quiet);
  EXPECT_EQ(quiet.goroutines, 0u);
  EXPECT_EQ(quiet.parked, 0u);
  EXPECT_EQ(quiet.in_blocking, 0u);

  constexpr int k = 20;
  gort::run([&] {
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
    EXPECT_TRUE(gort_test::eventually([&] {
      return gort_test::parked_for(gort::stats(),
                                   gort::wait_reason::internal_wait) >= k;
    }));
    const auto s = gort::stats();
    check_shape(s);
    EXPECT_EQ(s.goroutines, gort::num_goroutines());
    EXPECT_EQ(s.goroutines, std::size_t{k} + 1);
    EXPECT_GE(s.parked, std::size_t{k});
    EXPECT_GE(s.running, 1u) << "the main goroutine is running";
    EXPECT_GE(s.goroutines_created, std::uint64_t{k} + 1);
    release.count_down();
    finished.wait();
  });
}

TEST_P(procs_test, wait_reasons_read_like_go) {
  using gort::wait_reason;
  EXPECT_EQ(gort::to_string(wait_reason::chan_receive), "chan receive");
  EXPECT_EQ(gort::to_string(wait_reason::chan_send), "chan send");
  EXPECT_EQ(gort::to_string(wait_reason::chan_receive_nil),
            "chan receive (nil chan)");
  EXPECT_EQ(gort::to_string(wait_reason::chan_send_nil),
            "chan send (nil chan)");
  EXPECT_EQ(gort::to_string(wait_reason::select), "select");
  EXPECT_EQ(gort::to_string(wait_reason::select_no_cases), "select (no cases)");
  EXPECT_EQ(gort::to_string(wait_reason::sleep), "sleep");
  EXPECT_EQ(gort::to_string(wait_reason::sync_mutex_lock), "sync.Mutex.Lock");
  EXPECT_EQ(gort::to_string(wait_reason::sync_rwmutex_rlock),
            "sync.RWMutex.RLock");
  EXPECT_EQ(gort::to_string(wait_reason::sync_rwmutex_lock),
            "sync.RWMutex.Lock");
  EXPECT_EQ(gort::to_string(wait_reason::sync_cond_wait), "sync.Cond.Wait");
  EXPECT_EQ(gort::to_string(wait_reason::sync_wait_group_wait),
            "sync.WaitGroup.Wait");
  EXPECT_EQ(gort::to_string(wait_reason::sync_once), "sync.Once.Do");
  EXPECT_EQ(gort::to_string(wait_reason::semacquire), "semacquire");
  EXPECT_EQ(gort::to_string(wait_reason::exit_syscall), "blocking");
  EXPECT_EQ(gort::to_string(wait_reason::internal_wait), "wait");
}

TEST_P(procs_test, maxprocs_and_stats_work_from_plain_threads) {
  std::vector<std::thread> ts;
  std::atomic<int> bad{0};
  for (int i = 0; i < 4; ++i) {
    ts.emplace_back([&] {
      for (int j = 0; j < 20; ++j) {
        const auto s = gort::stats();
        if (s.procs.size() != static_cast<std::size_t>(s.processors))
          bad.fetch_add(1);
        if (gort::maxprocs() < 1) bad.fetch_add(1);
      }
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(bad.load(), 0);
}

}  // namespace
