// The runtime semaphore (sync/internal/sema.hpp), which every sync type
// will park on: mutual exclusion and counting, FIFO order of waiters and
// the lifo flag, hand-off, addresses that share a table root, plain threads
// beside goroutines, and a seeded stress test. Waiters are known to be
// queued when stats() shows them parked with reason semacquire.
#include <atomic>
#include <cstdint>
#include <mutex>
#include <new>
#include <random>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "gort/sched.hpp"
#include "gort/stats.hpp"
#include "sched/internal/latch.hpp"
#include "support/hammer.hpp"
#include "support/procs_fixture.hpp"
#include "support/sanitizer.hpp"
#include "support/seed.hpp"
#include "support/watchdog.hpp"
#include "sync/internal/sema.hpp"

namespace {

using gort::internal::latch;
using gort::internal::sema_acquire;
using gort::internal::sema_release;
using gort::internal::sema_try_acquire;
using sema_t = std::atomic<std::uint32_t>;

class sema_test : public gort_test::procs_fixture {};
GORT_INSTANTIATE_PROCS(sema_test);

void acquire(sema_t* s, bool lifo = false) {
  sema_acquire(s, lifo, gort::wait_reason::semacquire);
}

// wait_queued waits until n goroutines are parked on a semaphore.
bool wait_queued(std::size_t n) {
  return gort_test::eventually([n] {
    return gort_test::parked_for(gort::stats(),
                                 gort::wait_reason::semacquire) >= n;
  });
}

// A semaphore of 1 is a lock: 8 goroutines x N increments of a plain int.
TEST_P(sema_test, count_of_one_excludes) {
  const int per = static_cast<int>(gort_test::scaled(20'000, 5'000, 2'000));
  sema_t s{1};
  long counter = 0;
  gort_test::hammer(8, 0, per, [&](int, int k) {
    acquire(&s);
    ++counter;
    if (k % 64 == 0) gort::yield();  // hold it across a switch
    sema_release(&s, false);
  });
  EXPECT_EQ(counter, 8L * per);
  EXPECT_EQ(s.load(), 1u);
}

// A count of k lets at most k parties in at once, and k do get in.
TEST_P(sema_test, count_of_k_admits_k) {
  constexpr int k = 3;
  sema_t s{k};
  std::atomic<int> inside{0}, most{0};
  gort::run([&] {
    latch done(16);
    for (int i = 0; i < 16; ++i) {
      gort::go([&] {
        for (int n = 0; n < 200; ++n) {
          acquire(&s);
          const int now = inside.fetch_add(1) + 1;
          int m = most.load();
          while (now > m && !most.compare_exchange_weak(m, now)) {
          }
          gort::yield();
          inside.fetch_sub(1);
          sema_release(&s, false);
        }
        done.count_down();
      });
    }
    done.wait();
  });
  EXPECT_LE(most.load(), k);
  EXPECT_EQ(s.load(), static_cast<std::uint32_t>(k));
  // And k do get in at once: k holders each wait to see all k inside.
  gort::run([&] {
    latch done(k);
    std::atomic<int> all_in{0};
    inside = 0;
    for (int i = 0; i < k; ++i) {
      gort::go([&] {
        acquire(&s);
        ++inside;
        if (gort_test::eventually([&] { return inside.load() == k; })) ++all_in;
        sema_release(&s, false);
        done.count_down();
      });
    }
    done.wait();
    EXPECT_EQ(all_in.load(), k) << "fewer than k inside at once";
  });
}

// Waiters are woken in arrival order; a lifo waiter goes to the front.
TEST_P(sema_test, waiters_are_fifo_and_lifo_jumps_the_queue) {
  for (bool handoff : {false, true}) {
    SCOPED_TRACE(handoff ? "handoff" : "no handoff");
    sema_t s{0};
    std::vector<int> order;
    std::mutex mu;
    gort::run([&] {
      constexpr int n = 6;
      latch done(n + 1);
      for (int i = 0; i < n; ++i) {
        gort::go([&, i] {
          acquire(&s);
          {
            std::lock_guard<std::mutex> lk(mu);
            order.push_back(i);
          }
          done.count_down();
        });
        ASSERT_TRUE(wait_queued(static_cast<std::size_t>(i) + 1));
      }
      gort::go([&] {
        acquire(&s, /*lifo=*/true);
        {
          std::lock_guard<std::mutex> lk(mu);
          order.push_back(99);
        }
        done.count_down();
      });
      ASSERT_TRUE(wait_queued(n + 1));
      for (int i = 0; i <= n; ++i) {
        sema_release(&s, handoff);
        // One at a time, so the order seen is the wake order.
        const std::size_t want = static_cast<std::size_t>(i) + 1;
        ASSERT_TRUE(gort_test::eventually([&] {
          std::lock_guard<std::mutex> lk(mu);
          return order.size() >= want;
        }));
      }
      done.wait();
    });
    EXPECT_EQ(order, (std::vector<int>{99, 0, 1, 2, 3, 4, 5}));
    EXPECT_EQ(s.load(), 0u);
  }
}

// With hand-off the woken waiter owns the count: a barging try_acquire
// right after the release cannot take it.
TEST_P(sema_test, handoff_gives_the_count_to_the_waiter) {
  sema_t s{0};
  gort::run([&] {
    latch done(1);
    std::atomic<bool> got{false};
    gort::go([&] {
      acquire(&s);
      got = true;
      done.count_down();
    });
    ASSERT_TRUE(wait_queued(1));
    sema_release(&s, true);
    EXPECT_FALSE(sema_try_acquire(&s)) << "the count was not handed off";
    done.wait();
    EXPECT_TRUE(got.load());
  });
  EXPECT_EQ(s.load(), 0u);
}

// Two counters in the same table root: releasing one never wakes the
// other's waiter.
TEST_P(sema_test, addresses_sharing_a_root_are_separate) {
  // The root is (address / 8) mod 251: 8 * 251 bytes apart share one.
  alignas(8) static unsigned char space[8 * 251 + 8];
  auto* a = new (space) sema_t{0};
  auto* b = new (space + 8 * 251) sema_t{0};
  gort::run([&] {
    latch done(2);
    std::atomic<int> woke_a{0}, woke_b{0};
    gort::go([&] {
      acquire(a);
      ++woke_a;
      done.count_down();
    });
    gort::go([&] {
      acquire(b);
      ++woke_b;
      done.count_down();
    });
    ASSERT_TRUE(wait_queued(2));
    EXPECT_EQ(gort::internal::sema_waiters(a), 2u) << "not the same root";
    sema_release(b, false);
    ASSERT_TRUE(gort_test::eventually([&] { return woke_b.load() == 1; }));
    EXPECT_EQ(woke_a.load(), 0);
    sema_release(a, false);
    done.wait();
    EXPECT_EQ(woke_a.load(), 1);
  });
}

// Plain threads and goroutines acquire and release the same semaphore.
TEST_P(sema_test, plain_threads_and_goroutines_share_it) {
  const int per = static_cast<int>(gort_test::scaled(5'000, 2'000, 500));
  sema_t s{1};
  long counter = 0;
  gort_test::hammer(4, 2, per, [&](int w, int k) {
    acquire(&s);
    ++counter;
    sema_release(&s, (k + w) % 2 == 0);  // with and without hand-off
  });
  EXPECT_EQ(counter, 6L * per);
}

// Seeded stress: goroutines take random weights from a counting semaphore
// (one unit at a time, with random hand-offs and lifo retries) and the
// units in use never exceed the count.
TEST_P(sema_test, seeded_stress_never_overcommits) {
  const std::uint64_t seed = gort_test::test_seed();
  const int rounds = static_cast<int>(gort_test::scaled(2'000, 600, 300));
  constexpr std::uint32_t units = 4;
  sema_t s{units};
  std::atomic<int> in_use{0};
  std::atomic<bool> over{false};
  gort::run([&] {
    constexpr int n = 12;
    latch done(n);
    for (int i = 0; i < n; ++i) {
      gort::go([&, i] {
        std::mt19937_64 rng(seed + static_cast<std::uint64_t>(i));
        for (int r = 0; r < rounds; ++r) {
          const bool lifo = rng() % 4 == 0;
          if (rng() % 3 == 0 ? !sema_try_acquire(&s)
                             : (acquire(&s, lifo), false))
            continue;
          if (in_use.fetch_add(1) + 1 > static_cast<int>(units)) over = true;
          if (rng() % 2 == 0) gort::yield();
          in_use.fetch_sub(1);
          sema_release(&s, rng() % 2 == 0);
        }
        done.count_down();
      });
    }
    done.wait();
  });
  EXPECT_FALSE(over.load()) << "seed " << seed;
  EXPECT_EQ(s.load(), units) << "seed " << seed;
}

}  // namespace
