// gort::semaphore: weights, FIFO grants (several at once when they fit, none
// past a head that does not), a large request not starved by a stream of
// small ones, try_acquire, acquire(0), misuse, bounded parallelism, plain
// threads beside goroutines, and a seeded stress test that checks the
// semaphore never over-commits.
//
// A goroutine is known to be queued when stats() shows it parked with
// reason semacquire; any party, plain threads included, is known to be
// queued when try_acquire(0) fails (it fails only while someone is queued).
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "gort/mutex.hpp"
#include "gort/sched.hpp"
#include "gort/semaphore.hpp"
#include "gort/stats.hpp"
#include "sched/internal/latch.hpp"
#include "support/hammer.hpp"
#include "support/procs_fixture.hpp"
#include "support/sanitizer.hpp"
#include "support/seed.hpp"
#include "support/usage_error.hpp"
#include "support/watchdog.hpp"

namespace {

using gort::internal::latch;

class semaphore_test : public gort_test::procs_fixture {};
GORT_INSTANTIATE_PROCS(semaphore_test);

// queued is the number of goroutines parked in semaphore::acquire.
std::size_t queued() {
  return gort_test::parked_for(gort::stats(), gort::wait_reason::semacquire);
}

// finished waits, up to the watchdog, for a latch to open.
bool finished(latch& l) {
  return gort_test::eventually([&] { return l.try_wait(); });
}

// max_into raises `most` to `now`.
void max_into(std::atomic<std::int64_t>& most, std::int64_t now) {
  std::int64_t m = most.load();
  while (now > m && !most.compare_exchange_weak(m, now)) {
  }
}

// Size 10: three acquire(3) fit at once, a fourth waits; releasing one unit
// is not enough for it, releasing two more is.
TEST_P(semaphore_test, weighted_requests_fit_until_full) {
  gort::run([&] {
    gort::semaphore s(10);
    s.acquire(3);
    s.acquire(3);
    s.acquire(3);
    std::atomic<bool> got{false};
    latch done(1);
    gort::go([&] {
      s.acquire(3);
      got = true;
      done.count_down();
    });
    EXPECT_TRUE(gort_test::eventually([] { return queued() == 1; }));
    EXPECT_FALSE(got.load());
    s.release(1);  // 2 free: still not enough
    EXPECT_FALSE(s.try_acquire(0)) << "the request left the queue";
    EXPECT_EQ(queued(), 1u);
    EXPECT_FALSE(got.load());
    s.release(2);  // 4 free
    ASSERT_TRUE(finished(done));
    EXPECT_TRUE(got.load());
    // 6 + 3 = 9 taken.
    EXPECT_TRUE(s.try_acquire(1));
    EXPECT_FALSE(s.try_acquire(1));
    s.release(10);
    EXPECT_TRUE(s.try_acquire(10));
    s.release(10);
  });
}

// Requests are granted in the order they queued: none past a head that does
// not fit, and every request that fits, in order, after a large release.
// release() readies the goroutines it grants before it returns, so the
// number still queued is checked right after each release.
TEST_P(semaphore_test, waiters_are_granted_in_fifo_order) {
  gort::run([&] {
    gort::semaphore s(10);
    s.acquire(10);
    const std::vector<std::int64_t> want = {4, 1, 3, 2};
    const int n = static_cast<int>(want.size());
    gort::mutex mu;
    std::vector<int> order;  // guarded by mu
    latch done(n);
    for (int i = 0; i < n; ++i) {
      gort::go([&, i] {
        s.acquire(want[i]);
        {
          std::lock_guard<gort::mutex> g(mu);
          order.push_back(i);
        }
        done.count_down();
      });
      ASSERT_TRUE(gort_test::eventually(
          [&] { return queued() == static_cast<std::size_t>(i + 1); }));
    }
    // settle waits until the goroutines granted so far have recorded,
    // so that `order` is the order of the grants.
    auto settle = [&] {
      const std::size_t granted = static_cast<std::size_t>(n) - queued();
      EXPECT_TRUE(gort_test::eventually([&] {
        std::lock_guard<gort::mutex> g(mu);
        return order.size() >= granted;
      }));
    };
    s.release(3);  // 3 free: the head wants 4; the 1 behind it must wait
    EXPECT_EQ(queued(), 4u) << "a request overtook the head";
    settle();
    s.release(1);  // 4 free: the head (4) goes, exactly fitting
    EXPECT_EQ(queued(), 3u) << "an exact fit was not granted";
    settle();
    s.release(4);  // 4 free: 1 and 3 go together, 2 waits
    EXPECT_EQ(queued(), 1u) << "one release did not grant all that fit";
    settle();
    s.release(2);  // 2 free: the last one goes, exactly fitting
    EXPECT_EQ(queued(), 0u) << "an exact fit was not granted";
    ASSERT_TRUE(finished(done));
    {
      std::lock_guard<gort::mutex> g(mu);
      EXPECT_EQ(order[0], 0);
      EXPECT_EQ(order[3], 3);
      // Requests 1 and 2 (weights 1 and 3) were granted by one release;
      // they may record in either order.
      EXPECT_TRUE((order[1] == 1 && order[2] == 2) ||
                  (order[1] == 2 && order[2] == 1));
    }
    // All 10 units are now taken by the four requests.
    EXPECT_FALSE(s.try_acquire(1));
    s.release(10);
    EXPECT_TRUE(s.try_acquire(10));
    s.release(10);
  });
}

// FIFO fairness: a request for 8 of 10 units, queued while 3 are held, is
// not starved by goroutines that keep taking and returning one unit. Once
// it is queued, small requests queue behind it (try_acquire(1) fails
// although units are free), and when the 3 come back it goes first.
TEST_P(semaphore_test, a_large_request_is_not_starved_by_small_ones) {
  constexpr int size = 10, large = 8, smalls = 4;
  gort::run([&] {
    gort::semaphore s(size);
    s.acquire(3);  // 3 + 4 smalls <= 10: smalls never wait for each other
    std::atomic<bool> stop{false}, large_in{false};
    std::atomic<long> small_rounds{0};
    latch smalls_done(smalls), large_done(1);
    for (int i = 0; i < smalls; ++i)
      gort::go([&] {
        while (!stop.load()) {
          s.acquire(1);
          ++small_rounds;
          gort::yield();
          s.release(1);
        }
        smalls_done.count_down();
      });
    EXPECT_TRUE(gort_test::eventually([&] { return small_rounds >= 100; }));
    gort::go([&] {
      s.acquire(large);
      large_in = true;
      gort::yield();
      s.release(large);
      large_done.count_down();
    });
    // Until the large request queues nobody waits.
    EXPECT_TRUE(gort_test::eventually([] { return queued() >= 1; }));
    // From here a small party may finish the round it is in (counted
    // already or about to be), then it must queue behind the large one.
    const long rounds = small_rounds.load();
    if (s.try_acquire(1)) {
      ADD_FAILURE() << "try_acquire(1) went past the queued large request";
      s.release(1);
    }
    EXPECT_FALSE(s.try_acquire(0)) << "try_acquire(0) went past the queue";
    EXPECT_TRUE(gort_test::eventually([&] {
      return queued() == static_cast<std::size_t>(1 + smalls) ||
             small_rounds > rounds + smalls;
    }));
    const long queued_rounds = small_rounds.load();
    EXPECT_LE(queued_rounds, rounds + smalls)
        << "small requests keep overtaking the queued large one";
    if (queued_rounds > rounds + smalls) stop = true;  // end the stream
    EXPECT_FALSE(large_in.load());
    s.release(3);
    EXPECT_TRUE(finished(large_done)) << "the large request was starved";
    stop = true;
    EXPECT_TRUE(finished(smalls_done));
    EXPECT_TRUE(finished(large_done));
    EXPECT_GE(small_rounds.load(), queued_rounds + smalls)
        << "the queued small requests did not go after the large one";
    EXPECT_TRUE(s.try_acquire(size));
    s.release(size);
  });
}

// try_acquire takes the units if they are free and nobody is queued, and
// never waits; try_acquire(0) and acquire(0) succeed even when full.
TEST_P(semaphore_test, try_acquire_and_zero_counts) {
  auto check = [] {
    gort::semaphore s(2);
    EXPECT_FALSE(s.try_acquire(3));
    EXPECT_TRUE(s.try_acquire(2));
    EXPECT_FALSE(s.try_acquire(1));
    EXPECT_TRUE(s.try_acquire(0));
    s.acquire(0);  // full, but 0 units fit
    s.release(0);
    s.release(1);
    EXPECT_FALSE(s.try_acquire(2));
    EXPECT_TRUE(s.try_acquire(1));
    EXPECT_FALSE(s.try_acquire(1));
    s.release(2);
    EXPECT_TRUE(s.try_acquire(2));
    s.release(2);

    gort::semaphore empty(0);
    EXPECT_TRUE(empty.try_acquire(0));
    empty.acquire(0);
    EXPECT_FALSE(empty.try_acquire(1));
  };
  check();  // plain thread
  gort::run(check);
}

// Misuse throws usage_error and changes nothing: a full acquire still works
// afterwards and no unit appeared or vanished.
TEST_P(semaphore_test, misuse_throws_and_changes_nothing) {
  EXPECT_TRUE(gort_test::throws_usage_error([] { gort::semaphore s(-1); },
                                            "semaphore: negative size"));
  auto check = [] {
    gort::semaphore s(5);
    EXPECT_TRUE(gort_test::throws_usage_error(
        [&] { s.acquire(-1); }, "semaphore: acquire of a negative count"));
    EXPECT_TRUE(gort_test::throws_usage_error(
        [&] { (void)s.try_acquire(-1); },
        "semaphore: acquire of a negative count"));
    EXPECT_TRUE(gort_test::throws_usage_error(
        [&] { s.release(-1); }, "semaphore: release of a negative count"));
    EXPECT_TRUE(gort_test::throws_usage_error(
        [&] { s.acquire(6); }, "semaphore: acquire of more than the size"));
    EXPECT_TRUE(gort_test::throws_usage_error(
        [&] { s.release(1); }, "semaphore: released more than held"));
    // Nothing was taken or added: exactly 5 units.
    s.acquire(5);
    EXPECT_FALSE(s.try_acquire(1));
    s.release(2);
    EXPECT_TRUE(gort_test::throws_usage_error(
        [&] { s.release(4); }, "semaphore: released more than held"));
    // Still 3 taken.
    EXPECT_FALSE(s.try_acquire(3));
    EXPECT_TRUE(s.try_acquire(2));
    s.release(5);
    s.acquire(5);
    s.release(5);

    gort::semaphore zero(0);
    EXPECT_TRUE(gort_test::throws_usage_error(
        [&] { zero.acquire(1); }, "semaphore: acquire of more than the size"));
  };
  check();  // plain thread
  gort::run(check);
}

// Bounded parallelism: n goroutines each acquire(1) of a semaphore of k.
// The first k hold their unit until the main goroutine has seen k inside
// and the rest queued; after that all go through. Never more than k
// inside at once.
TEST_P(semaphore_test, bounded_parallelism_reaches_k_and_never_more) {
  constexpr int k = 3, n = 24;
  gort::semaphore s(k);
  std::atomic<std::int64_t> inside{0}, most{0};
  gort::run([&] {
    latch gate(1), done(n);
    for (int i = 0; i < n; ++i)
      gort::go([&] {
        s.acquire();
        max_into(most, inside.fetch_add(1) + 1);
        gate.wait();
        gort::yield();
        inside.fetch_sub(1);
        s.release();
        done.count_down();
      });
    EXPECT_TRUE(gort_test::eventually([&] {
      return inside.load() == k && queued() == static_cast<std::size_t>(n - k);
    })) << "inside="
        << inside.load() << " queued=" << queued();
    gate.count_down();
    ASSERT_TRUE(finished(done));
  });
  EXPECT_EQ(most.load(), k);
  EXPECT_EQ(inside.load(), 0);
  EXPECT_TRUE(s.try_acquire(k));
  s.release(k);
}

// A plain thread waiting in acquire is woken by a goroutine's release, and
// a goroutine by a plain thread's; a semaphore of one is a lock for
// goroutines and threads together.
TEST_P(semaphore_test, plain_threads_and_goroutines_wake_each_other) {
  gort::run([&] {
    gort::semaphore s(3);
    s.acquire(2);
    std::atomic<bool> thread_got{false};
    std::thread t([&] {
      s.acquire(2);  // 1 free: waits
      thread_got = true;
    });
    EXPECT_TRUE(gort_test::eventually([&] { return !s.try_acquire(0); }))
        << "the thread never queued";
    EXPECT_FALSE(thread_got.load());
    latch released(1);
    gort::go([&] {
      s.release(2);
      released.count_down();
    });
    EXPECT_TRUE(finished(released));
    EXPECT_TRUE(gort_test::eventually([&] { return thread_got.load(); }));
    gort::blocking([&] { t.join(); });

    // The thread holds 2; a goroutine asks for 3 and a thread releases.
    std::atomic<bool> goroutine_got{false};
    latch done(1);
    gort::go([&] {
      s.acquire(3);
      goroutine_got = true;
      done.count_down();
    });
    ASSERT_TRUE(gort_test::eventually([] { return queued() == 1; }));
    EXPECT_FALSE(goroutine_got.load());
    std::thread([&] { s.release(2); }).join();
    ASSERT_TRUE(finished(done));
    s.release(3);
    EXPECT_TRUE(s.try_acquire(3));
    s.release(3);
  });

  const int per = static_cast<int>(gort_test::scaled(5'000, 2'000, 500));
  gort::semaphore one(1);
  long counter = 0;
  gort_test::hammer(4, 2, per, [&](int, int k) {
    one.acquire();
    ++counter;
    if (k % 64 == 0) gort::yield();  // hold it across a switch
    one.release();
  });
  EXPECT_EQ(counter, 6L * per);
  EXPECT_TRUE(one.try_acquire(1));
}

// Seeded stress: goroutines and plain threads take random weights (0 to
// the whole size), by acquire or try_acquire, and give them back in one or
// two releases. The units in use, counted atomically beside the semaphore,
// never exceed the size, and at the end the whole size can be taken.
TEST_P(semaphore_test, seeded_stress_never_overcommits) {
  const std::uint64_t seed = gort_test::test_seed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  const std::int64_t size = 4 + static_cast<std::int64_t>(rng() % 13);
  constexpr int goroutines = 6, threads = 2;
  const int per = static_cast<int>(gort_test::scaled(4'000, 1'000, 1'000));
  gort::semaphore s(size);
  std::atomic<std::int64_t> in_use{0}, most{0};
  std::atomic<long> acquired{0}, refused{0};
  std::vector<std::mt19937_64> rngs;
  for (int w = 0; w < goroutines + threads; ++w)
    rngs.emplace_back(gort_test::mix(seed + static_cast<std::uint64_t>(w)));

  gort_test::hammer(goroutines, threads, per, [&](int w, int) {
    auto& r = rngs[static_cast<std::size_t>(w)];
    // Mostly small weights, sometimes the whole size.
    const std::int64_t n =
        r() % 8 == 0 ? size : static_cast<std::int64_t>(r() % 4);
    if (r() % 4 == 0) {
      if (!s.try_acquire(n)) {
        ++refused;
        return;
      }
    } else {
      s.acquire(n);
    }
    ++acquired;
    max_into(most, in_use.fetch_add(n) + n);
    if (r() % 4 == 0) gort::yield();
    in_use.fetch_sub(n);
    const std::int64_t first =
        n == 0 ? 0 : static_cast<std::int64_t>(r() % (n + 1));
    s.release(first);
    s.release(n - first);
  });
  EXPECT_LE(most.load(), size) << "over-committed";
  EXPECT_EQ(in_use.load(), 0);
  EXPECT_EQ(acquired + refused, static_cast<long>(goroutines + threads) * per);
  EXPECT_TRUE(s.try_acquire(size)) << "units were lost";
  EXPECT_FALSE(s.try_acquire(1)) << "units were created";
  s.release(size);
  s.acquire(size);
  s.release(size);
}

}  // namespace
