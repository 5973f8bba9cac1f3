// park()/ready() and block()/wake() used directly (sched/internal/park.hpp,
// wait_queue.hpp): goroutines and plain threads wait and wake each other in
// all four combinations, and stats() shows the parked goroutines.
#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "gort/sched.hpp"
#include "sched/internal/latch.hpp"
#include "sched/internal/park.hpp"
#include "sched/internal/wait_queue.hpp"
#include "support/procs_fixture.hpp"
#include "support/sanitizer.hpp"

namespace {

using gort::wait_reason;
using gort::internal::g;
using gort::internal::latch;
using gort::internal::wait_queue;
using gort::internal::waiter;
namespace gi = gort::internal;

class park_test : public gort_test::procs_fixture {};
GORT_INSTANTIATE_PROCS(park_test);

std::size_t parked_internal() {
  return gort_test::parked_for(gort::stats(), wait_reason::internal_wait);
}

// pop_one takes the first waiter out of q, or nullptr.
waiter* pop_one(wait_queue& q) {
  std::lock_guard<gi::rt_mutex> lock(q.lock);
  return q.pop_front();
}

TEST_P(park_test, current_g_identifies_the_goroutine) {
  EXPECT_EQ(gi::current_g(), nullptr) << "a plain thread has no g";
  gort::run([] {
    g* self = gi::current_g();
    ASSERT_NE(self, nullptr);
    EXPECT_EQ(gi::goroutine_id_of(self), gort::goroutine_id());
  });
}

// Goroutines park with park_unlock on a queue; this plain thread sees them
// parked (reason internal_wait), then pops and readies each one.
TEST_P(park_test, goroutine_parks_and_plain_thread_readies_it) {
  constexpr int n = 100;
  wait_queue q;
  latch done(n);
  std::atomic<int> resumed{0};
  for (int i = 0; i < n; ++i) {
    gort::go([&] {
      waiter w;
      w.gp = gi::current_g();
      q.lock.lock();
      q.push_back(&w);
      gi::park_unlock(wait_reason::internal_wait, q.lock);
      resumed.fetch_add(1);
      done.count_down();
    });
  }
  EXPECT_TRUE(gort_test::eventually([] { return parked_internal() >= n; }))
      << gort_test::describe(gort::stats());
  EXPECT_EQ(resumed.load(), 0) << "a goroutine resumed without ready()";
  int readied = 0;
  EXPECT_TRUE(gort_test::eventually([&] {
    while (true) {
      g* gp = nullptr;
      {
        std::lock_guard<gi::rt_mutex> lock(q.lock);
        waiter* w = q.pop_front();
        if (w == nullptr) break;
        gp = w->gp;  // read before the lock goes: w dies once gp runs
      }
      gi::ready(gp);
      ++readied;
    }
    return readied == n;
  }));
  EXPECT_EQ(readied, n);
  done.wait();
  EXPECT_EQ(resumed.load(), n);
}

// The reverse: this plain thread blocks with block(); a goroutine finds its
// waiter and wakes it.
TEST_P(park_test, plain_thread_blocks_and_goroutine_wakes_it) {
  wait_queue q;
  waiter w;
  latch done(1);
  gort::go([&] {
    waiter* found = nullptr;
    EXPECT_TRUE(
        gort_test::eventually([&] { return (found = pop_one(q)) != nullptr; }));
    if (found != nullptr) {
      found->success = true;
      gi::wake(*found);
    }
    done.count_down();
  });
  q.lock.lock();
  q.push_back(&w);
  gi::block(w, q.lock, wait_reason::internal_wait);
  EXPECT_TRUE(w.success);
  done.wait();
}

// A one-slot hand-off built on block()/wake(): post() wakes the first
// waiter or, if none waits, leaves a permit that the next wait() takes.
struct baton {
  wait_queue q;
  bool permit = false;  // protected by q.lock

  void wait() {
    q.lock.lock();
    if (permit) {
      permit = false;
      q.lock.unlock();
      return;
    }
    waiter w;
    q.push_back(&w);
    gi::block(w, q.lock, wait_reason::internal_wait);
  }
  void post() {
    q.lock.lock();
    waiter* w = q.pop_front();
    if (w == nullptr) permit = true;
    q.lock.unlock();
    if (w != nullptr) gi::wake(*w);  // W2: lock not held
  }
};

enum class party { goroutine, thread };

// ping_pong runs `rounds` round trips between a pinger and a ponger of the
// given kinds; returns the number of round trips the ponger saw.
int ping_pong(party pinger, party ponger, int rounds) {
  baton ping;
  baton pong;
  std::atomic<int> seen{0};
  latch done(2);
  auto pinger_body = [&] {
    for (int r = 0; r < rounds; ++r) {
      ping.post();
      pong.wait();
    }
    done.count_down();
  };
  auto ponger_body = [&] {
    for (int r = 0; r < rounds; ++r) {
      ping.wait();
      seen.fetch_add(1, std::memory_order_relaxed);
      pong.post();
    }
    done.count_down();
  };
  std::vector<std::thread> threads;
  if (pinger == party::goroutine) {
    gort::go(pinger_body);  // a named callable: a call, not a declaration
  } else {
    threads.emplace_back(pinger_body);
  }
  if (ponger == party::goroutine) {
    gort::go(ponger_body);
  } else {
    threads.emplace_back(ponger_body);
  }
  done.wait();
  for (auto& t : threads) t.join();
  return seen.load();
}

TEST_P(park_test, block_and_wake_ping_pong_in_all_combinations) {
  const int rounds = static_cast<int>(gort_test::scaled(5'000, 500));
  EXPECT_EQ(ping_pong(party::goroutine, party::goroutine, rounds), rounds);
  EXPECT_EQ(ping_pong(party::goroutine, party::thread, rounds), rounds);
  EXPECT_EQ(ping_pong(party::thread, party::goroutine, rounds), rounds);
  EXPECT_EQ(ping_pong(party::thread, party::thread, rounds), rounds);
  gort::run([&] {  // and from a main goroutine
    EXPECT_EQ(ping_pong(party::goroutine, party::goroutine, rounds), rounds);
  });
}

// park() whose commit calls the park off: the goroutine resumes at once,
// and commit ran on the far side of the switch.
TEST_P(park_test, park_with_failing_commit_resumes_at_once) {
  gort::run([] {
    struct ctx {
      g* self;
      bool called = false;
      bool saw_self = false;
    } c{gi::current_g()};
    gi::park(
        wait_reason::internal_wait,
        [](g* gp, void* arg) {
          auto* cx = static_cast<ctx*>(arg);
          cx->called = true;
          cx->saw_self = gp == cx->self;
          return false;
        },
        &c);
    EXPECT_TRUE(c.called);
    EXPECT_TRUE(c.saw_self);
  });
}

// park() with a commit that publishes g; wakers ready it from a goroutine,
// with next true and false, and from a plain thread.
TEST_P(park_test, park_with_commit_publishing_g_is_readied_by_any_waker) {
  constexpr int rounds = 300;
  std::atomic<g*> slot{nullptr};
  auto parker = [&] {
    for (int r = 0; r < rounds; ++r) {
      gi::park(
          wait_reason::internal_wait,
          [](g* gp, void* arg) {
            static_cast<std::atomic<g*>*>(arg)->store(
                gp, std::memory_order_release);
            return true;
          },
          &slot);
    }
  };
  auto take = [&]() -> g* {
    g* gp = nullptr;
    EXPECT_TRUE(gort_test::eventually([&] {
      gp = slot.exchange(nullptr, std::memory_order_acquire);
      return gp != nullptr;
    }));
    return gp;
  };
  gort::run([&] {
    latch done(2);
    gort::go([&] {
      parker();
      done.count_down();
    });
    gort::go([&] {  // waker goroutine
      for (int r = 0; r < rounds; ++r) {
        if (g* gp = take()) gi::ready(gp, r % 2 == 0);
      }
      done.count_down();
    });
    done.wait();
  });
  latch done(1);
  gort::go([&] {
    parker();
    done.count_down();
  });
  for (int r = 0; r < rounds; ++r) {  // waker plain thread
    if (g* gp = take()) gi::ready(gp);
  }
  done.wait();
}

TEST_P(park_test, parks_are_counted_per_processor) {
  auto sum_parks = [] {
    std::uint64_t n = 0;
    for (const auto& p : gort::stats().procs) n += p.parks;
    return n;
  };
  const auto before = sum_parks();
  gort::run([] {
    latch done(1);
    gort::go([&] {
      gort::sleep(std::chrono::milliseconds(1));
      done.count_down();
    });
    done.wait();
  });
  EXPECT_GT(sum_parks(), before);
}

TEST_P(park_test, wait_queue_is_fifo_and_removes_from_middle) {
  wait_queue q;
  waiter a, b, c;
  std::lock_guard<gi::rt_mutex> lock(q.lock);
  EXPECT_TRUE(q.empty());
  q.push_back(&a);
  q.push_back(&b);
  q.push_back(&c);
  q.remove(&b);
  EXPECT_EQ(q.pop_front(), &a);
  EXPECT_EQ(q.pop_front(), &c);
  EXPECT_EQ(q.pop_front(), nullptr);
  EXPECT_TRUE(q.empty());
  q.push_back(&a);
  q.remove(&a);
  EXPECT_TRUE(q.empty());
}

}  // namespace
