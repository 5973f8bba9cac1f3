// gort::cond: the examples of "Concurrency in Go" (a button's broadcast to
// three subscribers, a queue of two driven by signal), signal's FIFO order
// over goroutines and plain threads, broadcast, signals that are not saved
// for later waiters, misuse, the lock held when wait returns, and a seeded
// producer/consumer stress test for lost wake-ups.
//
// A waiter is known to be in the cond's list once the mutex is free again
// after it counted itself under the mutex: wait joins the list before it
// releases the mutex (sync/cond.cpp). Goroutines are known to be parked
// when stats() shows them with reason sync_cond_wait.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "gort/cond.hpp"
#include "gort/mutex.hpp"
#include "gort/sched.hpp"
#include "gort/stats.hpp"
#include "gort/wait_group.hpp"
#include "sched/internal/latch.hpp"
#include "support/procs_fixture.hpp"
#include "support/sanitizer.hpp"
#include "support/seed.hpp"
#include "support/usage_error.hpp"
#include "support/watchdog.hpp"

namespace {

using gort::internal::latch;
using lock_t = std::unique_lock<gort::mutex>;
using namespace std::chrono_literals;

class cond_test : public gort_test::procs_fixture {};
GORT_INSTANTIATE_PROCS(cond_test);

// cond_waiters is the number of goroutines parked in cond::wait.
std::size_t cond_waiters() {
  return gort_test::parked_for(gort::stats(),
                               gort::wait_reason::sync_cond_wait);
}

// finished waits, up to the watchdog, for a latch to open: a lost wake-up
// fails the test instead of hanging it.
bool finished(latch& l) {
  return gort_test::eventually([&] { return l.try_wait(); });
}

// wake_all_until broadcasts until `l` opens: after a failed check, it
// frees the waiters a lost or misdirected signal left behind, so that none
// outlives the test's locals.
void wake_all_until(gort::cond& c, latch& l) {
  while (!l.try_wait()) {
    c.broadcast();
    gort::sleep(std::chrono::milliseconds(1));
  }
}

// under reads `value` under `mu`.
template <class T>
T under(gort::mutex& mu, const T& value) {
  std::lock_guard<gort::mutex> g(mu);
  return value;
}

// "Concurrency in Go", sync.Cond: a Button whose Clicked cond has three
// subscribers; one broadcast runs every handler, each exactly once. The
// book broadcasts as soon as each subscriber's goroutine has signalled that
// it is running, which leaves a window before it reaches Wait; the test
// closes it by also waiting until all three are parked on the cond.
TEST_P(cond_test, button_broadcast_runs_every_subscriber) {
  struct button {
    gort::mutex mu;  // the book's Clicked.L
    gort::cond clicked;
  };
  gort::run([&] {
    button b;
    std::vector<std::string> shown;  // guarded by b.mu
    auto subscribe = [&](std::function<void()> fn) {
      gort::wait_group goroutine_running;
      goroutine_running.add(1);
      gort::go([&b, &goroutine_running, fn] {
        goroutine_running.done();
        lock_t lk(b.mu);
        b.clicked.wait(lk);
        fn();
      });
      goroutine_running.wait();
    };
    gort::wait_group click_registered;
    click_registered.add(3);
    subscribe([&] {
      shown.emplace_back("Maximizing window.");
      click_registered.done();
    });
    subscribe([&] {
      shown.emplace_back("Displaying annoying dialog box!");
      click_registered.done();
    });
    subscribe([&] {
      shown.emplace_back("Mouse clicked.");
      click_registered.done();
    });
    ASSERT_TRUE(gort_test::eventually([] { return cond_waiters() == 3; }))
        << gort_test::describe(gort::stats());
    EXPECT_TRUE(under(b.mu, shown).empty()) << "a handler ran before the click";

    b.clicked.broadcast();
    // broadcast() readies every waiter before it returns.
    EXPECT_EQ(cond_waiters(), 0u) << "broadcast left subscribers waiting";
    // After a failure, wake the rest so that none outlives the button.
    while (under(b.mu, shown).size() < 3) {
      b.clicked.broadcast();
      gort::sleep(1ms);
    }
    click_registered.wait();
    std::vector<std::string> got = under(b.mu, shown);
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, (std::vector<std::string>{"Displaying annoying dialog box!",
                                             "Maximizing window.",
                                             "Mouse clicked."}));
  });
}

// "Concurrency in Go", sync.Cond with Signal: ten items go through a queue
// of at most two; the producer waits while it is full, and each remover
// takes one after a delay (1 ms here, 1 s in the book) and signals. When
// the producer's loop ends all ten are added and at least eight removed
// (the book's output shows exactly those eight before main returns); here
// the test then waits for the last two removals too.
TEST_P(cond_test, queue_of_two_driven_by_signal) {
  gort::run([&] {
    gort::mutex mu;  // the book's c.L
    gort::cond c;
    std::deque<int> queue;  // guarded by mu, as are the counts below
    int adds = 0, removes = 0, waits = 0;
    std::size_t longest = 0;
    gort::wait_group removers;
    auto remove_from_queue = [&](std::chrono::milliseconds delay) {
      gort::sleep(delay);
      lock_t lk(mu);
      queue.pop_front();
      ++removes;
      lk.unlock();
      c.signal();  // after the unlock, as in the book
      removers.done();
    };
    latch produced(1);
    int adds_at_end = 0, removes_at_end = 0;
    gort::go([&] {
      for (int i = 0; i < 10; ++i) {
        lock_t lk(mu);
        while (queue.size() == 2) {
          ++waits;
          c.wait(lk);
        }
        queue.push_back(i);
        ++adds;
        longest = std::max(longest, queue.size());
        removers.add(1);
        gort::go(remove_from_queue, 1ms);
      }
      std::lock_guard<gort::mutex> g(mu);
      adds_at_end = adds;
      removes_at_end = removes;
      produced.count_down();
    });
    ASSERT_TRUE(finished(produced)) << "the producer was never signalled";
    EXPECT_EQ(adds_at_end, 10);
    EXPECT_GE(removes_at_end, 8);
    removers.wait();
    std::lock_guard<gort::mutex> g(mu);
    EXPECT_EQ(adds, 10);
    EXPECT_EQ(removes, 10);
    EXPECT_TRUE(queue.empty());
    EXPECT_LE(longest, 2u) << "the queue held more than two";
    // On one processor the producer fills the queue before any remover
    // runs, so it must have filled it and waited; on more it almost always
    // does, but a remover may get in first on a loaded machine.
    if (procs() == 1) {
      EXPECT_EQ(longest, 2u);
      EXPECT_GE(waits, 1);
    }
  });
}

// Waiters that join one after another are signalled in that order, one per
// signal.
TEST_P(cond_test, signal_wakes_the_longest_waiter_first) {
  constexpr int n = 6;
  gort::run([&] {
    gort::mutex mu;
    gort::cond c;
    int joined = 0;         // guarded by mu
    std::vector<int> woke;  // guarded by mu
    latch done(n);
    for (int i = 0; i < n; ++i) {
      gort::go([&, i] {
        lock_t lk(mu);
        ++joined;
        c.wait(lk);
        woke.push_back(i);
        lk.unlock();
        done.count_down();
      });
      ASSERT_TRUE(
          gort_test::eventually([&] { return under(mu, joined) == i + 1; }));
      ASSERT_TRUE(gort_test::eventually(
          [&] { return cond_waiters() == static_cast<std::size_t>(i + 1); }));
    }
    for (int k = 0; k < n; ++k) {
      c.signal();
      const auto woken = static_cast<std::size_t>(k + 1);
      if (!gort_test::eventually(
              [&] { return under(mu, woke).size() >= woken; })) {
        ADD_FAILURE() << "signal " << k << " woke nobody";
        break;
      }
      // signal() has returned, so whoever it readied is no longer parked.
      EXPECT_EQ(cond_waiters(), static_cast<std::size_t>(n - k - 1))
          << "signal " << k << " woke more than one waiter";
      if (under(mu, woke).size() != woken) {
        ADD_FAILURE() << "signal " << k << " woke more than one waiter";
        break;
      }
    }
    wake_all_until(c, done);  // after a failure, leave no waiter behind
    std::vector<int> want(n);
    for (int i = 0; i < n; ++i) want[i] = i;
    EXPECT_EQ(under(mu, woke), want);
  });
}

// The same order holds when goroutines and plain threads wait side by side,
// and either kind may signal: here a plain thread signals the first half,
// a goroutine the rest.
TEST_P(cond_test, signal_order_is_fifo_across_goroutines_and_threads) {
  constexpr int n = 6;
  gort::run([&] {
    gort::mutex mu;
    gort::cond c;
    int joined = 0;         // guarded by mu
    std::vector<int> woke;  // guarded by mu
    auto waiter = [&](int i) {
      lock_t lk(mu);
      ++joined;
      c.wait(lk);
      woke.push_back(i);
    };
    latch goroutines_done(n / 2);
    std::vector<std::thread> threads;
    for (int i = 0; i < n; ++i) {
      if (i % 2 == 0) {
        gort::go([&, i] {
          waiter(i);
          goroutines_done.count_down();
        });
      } else {
        threads.emplace_back(waiter, i);
      }
      ASSERT_TRUE(
          gort_test::eventually([&] { return under(mu, joined) == i + 1; }));
    }
    auto signal_and_check = [&](int k) {
      c.signal();
      const auto woken = static_cast<std::size_t>(k + 1);
      EXPECT_TRUE(gort_test::eventually([&] {
        return under(mu, woke).size() >= woken;
      })) << "signal "
          << k << " woke nobody";
      EXPECT_EQ(under(mu, woke).size(), woken)
          << "signal " << k << " woke more than one waiter";
    };
    // The goroutine waiters it wakes need a processor: join in blocking().
    std::thread signaller([&] {
      for (int k = 0; k < n / 2; ++k) signal_and_check(k);
    });
    gort::blocking([&] { signaller.join(); });
    latch rest(1);
    gort::go([&] {
      for (int k = n / 2; k < n; ++k) signal_and_check(k);
      rest.count_down();
    });
    EXPECT_TRUE(finished(rest));
    // After a failure, wake whoever is left so that the threads can be
    // joined.
    while (under(mu, woke).size() < static_cast<std::size_t>(n)) {
      c.broadcast();
      gort::sleep(1ms);
    }
    wake_all_until(c, goroutines_done);
    gort::blocking([&] {
      for (auto& t : threads) t.join();
    });
    std::vector<int> want(n);
    for (int i = 0; i < n; ++i) want[i] = i;
    EXPECT_EQ(under(mu, woke), want);
  });
}

// broadcast wakes every waiter, goroutines and plain threads, and the cond
// works again for a second round.
TEST_P(cond_test, broadcast_wakes_every_waiter) {
  constexpr int goroutines = 20, threads = 2, all = goroutines + threads;
  gort::run([&] {
    gort::mutex mu;
    gort::cond c;
    for (int round = 0; round < 2; ++round) {
      int joined = 0, woke = 0;  // guarded by mu
      latch done(goroutines);
      auto waiter = [&] {
        lock_t lk(mu);
        ++joined;
        c.wait(lk);
        ++woke;
      };
      for (int i = 0; i < goroutines; ++i)
        gort::go([&] {
          waiter();
          done.count_down();
        });
      std::vector<std::thread> ts;
      for (int i = 0; i < threads; ++i) ts.emplace_back(waiter);
      ASSERT_TRUE(
          gort_test::eventually([&] { return under(mu, joined) == all; }));
      ASSERT_TRUE(gort_test::eventually([&] {
        return cond_waiters() == static_cast<std::size_t>(goroutines);
      }));
      EXPECT_EQ(under(mu, woke), 0);
      c.broadcast();
      // broadcast() readies every waiter before it returns.
      const std::size_t left = cond_waiters();
      EXPECT_EQ(left, 0u) << "round " << round << ": broadcast left " << left
                          << " goroutines waiting";
      if (left == 0) {
        EXPECT_TRUE(gort_test::eventually([&] {
          return under(mu, woke) == all;
        })) << "round "
            << round << ": broadcast woke " << under(mu, woke) << " of " << all;
      }
      // After a failure, wake the rest so that the threads can be joined.
      while (under(mu, woke) < all) {
        c.broadcast();
        gort::sleep(1ms);
      }
      wake_all_until(c, done);
      gort::blocking([&] {
        for (auto& t : ts) t.join();
      });
    }
  });
}

// start_lone_waiter starts a goroutine that, under mu, sets joined, waits
// on c once, sets woke and opens done.
void start_lone_waiter(gort::mutex& mu, gort::cond& c, bool& joined, bool& woke,
                       latch& done) {
  gort::go([&] {
    lock_t lk(mu);
    joined = true;
    c.wait(lk);
    woke = true;
    lk.unlock();
    done.count_down();
  });
}

// signal and broadcast with nobody waiting do nothing: a waiter that comes
// later is not woken by them (a cond is not a semaphore).
TEST_P(cond_test, signal_and_broadcast_without_waiters_are_not_saved) {
  gort::run([&] {
    gort::mutex mu;
    gort::cond c;
    c.signal();
    c.broadcast();
    c.signal();
    bool joined = false, woke = false;  // guarded by mu
    latch done(1);
    start_lone_waiter(mu, c, joined, woke, done);
    ASSERT_TRUE(gort_test::eventually([&] { return under(mu, joined); }));
    // A saved signal would let wait return at once, without parking.
    ASSERT_TRUE(gort_test::eventually(
        [&] { return under(mu, woke) || cond_waiters() == 1; }));
    EXPECT_FALSE(under(mu, woke)) << "woken by a signal made before it waited";
    EXPECT_EQ(cond_waiters(), 1u);
    c.signal();
    EXPECT_EQ(cond_waiters(), 0u) << "signal() returned before readying it";
    ASSERT_TRUE(finished(done));
    EXPECT_TRUE(under(mu, woke));
  });
}

// wait without the lock held throws and leaves the mutex and the cond as
// they were: the mutex free, nothing queued (one signal then reaches the
// next real waiter). From a plain thread and from a goroutine.
TEST_P(cond_test, wait_without_the_lock_throws) {
  constexpr const char* msg = "sync: Cond.Wait without holding the lock";
  gort::mutex mu;
  gort::cond c;
  auto misuse = [&] {
    lock_t none;  // no mutex at all
    EXPECT_TRUE(gort_test::throws_usage_error([&] { c.wait(none); }, msg));
    lock_t deferred(mu, std::defer_lock);
    EXPECT_TRUE(gort_test::throws_usage_error([&] { c.wait(deferred); }, msg));
    EXPECT_TRUE(gort_test::throws_usage_error(
        [&] { c.wait(deferred, [] { return false; }); }, msg));
    EXPECT_FALSE(deferred.owns_lock());
    ASSERT_TRUE(mu.try_lock()) << "the failed wait left the mutex locked";
    mu.unlock();
  };
  misuse();
  gort::run([&] {
    misuse();
    bool joined = false, woke = false;  // guarded by mu
    latch done(1);
    start_lone_waiter(mu, c, joined, woke, done);
    ASSERT_TRUE(gort_test::eventually([&] { return under(mu, joined); }));
    ASSERT_TRUE(gort_test::eventually([] { return cond_waiters() == 1; }));
    c.signal();
    // signal() readies its waiter before it returns.
    EXPECT_EQ(cond_waiters(), 0u) << "the signal went to a failed wait";
    wake_all_until(c, done);  // after a failure, leave no waiter behind
    EXPECT_TRUE(under(mu, woke));
  });
}

// wait returns with the lock held: the unique_lock owns it, the mutex is
// locked (a gort::mutex has no owner, so try_lock fails for anyone), and a
// waiter signalled while the signaller holds the mutex does not return
// until the signaller unlocks it. For a goroutine and a plain thread.
TEST_P(cond_test, wait_returns_with_the_lock_held) {
  gort::run([&] {
    gort::mutex mu;
    gort::cond c;
    for (const bool thread : {false, true}) {
      // Not SCOPED_TRACE: gtest keeps traces per thread, and this goroutine
      // may resume on another one.
      const char* who = thread ? "plain thread: " : "goroutine: ";
      bool joined = false;  // guarded by mu
      std::atomic<bool> returned{false}, owned{false}, try_failed{false};
      latch let_go(1), done(1);
      auto waiter = [&] {
        lock_t lk(mu);
        joined = true;
        c.wait(lk);
        owned = lk.owns_lock();
        try_failed = !mu.try_lock();
        returned = true;
        let_go.wait();  // holding the mutex
      };
      std::thread t;
      if (thread) {
        t = std::thread(waiter);
      } else {
        gort::go([&] {
          waiter();
          done.count_down();
        });
      }
      ASSERT_TRUE(gort_test::eventually([&] { return under(mu, joined); }))
          << who;
      {
        std::lock_guard<gort::mutex> g(mu);
        c.signal();
        if (!thread) {
          // Granted, it now waits for the mutex this goroutine holds.
          EXPECT_TRUE(gort_test::eventually([&] {
            return returned.load() ||
                   gort_test::parked_for(
                       gort::stats(), gort::wait_reason::sync_mutex_lock) == 1;
          }));
        }
        EXPECT_FALSE(returned.load()) << who << "returned without the mutex";
      }
      EXPECT_TRUE(gort_test::eventually([&] { return returned.load(); }))
          << who;
      EXPECT_TRUE(owned.load()) << who << "the unique_lock does not own it";
      EXPECT_TRUE(try_failed.load()) << who << "try_lock took it after wait";
      EXPECT_FALSE(mu.try_lock())
          << who << "the mutex is not locked after wait";
      let_go.count_down();
      if (thread) {
        gort::blocking([&] { t.join(); });
      } else {
        ASSERT_TRUE(finished(done)) << who;
      }
      // The waiter's unique_lock released it on the way out.
      ASSERT_TRUE(mu.try_lock()) << who;
      mu.unlock();
    }
  });
}

// A goroutine and a plain thread take turns through one cond, each waiting
// (wait(lock, pred)) for its turn and signalling the other: every turn must
// reach the other side.
TEST_P(cond_test, goroutine_and_plain_thread_take_turns) {
  const int turns = static_cast<int>(gort_test::scaled(2'000, 500, 200));
  gort::run([&] {
    gort::mutex mu;
    gort::cond c;
    int turn = 0;  // guarded by mu; even: the goroutine's, odd: the thread's
    auto player = [&](int parity) {
      for (int k = 0; k < turns; ++k) {
        lock_t lk(mu);
        c.wait(lk, [&] { return turn % 2 == parity; });
        ++turn;
        lk.unlock();
        c.signal();
      }
    };
    latch done(1);
    gort::go([&] {
      player(0);
      done.count_down();
    });
    std::thread t(player, 1);
    const bool ok = finished(done);
    if (!ok) {
      // A lost wake-up: free the thread so that it can be joined.
      ADD_FAILURE() << "stuck at turn " << under(mu, turn);
      while (under(mu, turn) < 2 * turns) {
        c.broadcast();
        gort::sleep(1ms);
      }
    }
    t.join();
    EXPECT_EQ(under(mu, turn), 2 * turns);
  });
}

// Seeded stress: producers and consumers, goroutines and plain threads, on
// a bounded buffer with one cond for "not full" and one for "not empty",
// signal only (each cond's waiters are all of one kind, so one signal per
// change is enough). A lost wake-up leaves a party waiting with work to do
// and the run never finishes; otherwise every item is consumed exactly
// once and the buffer never overflows.
TEST_P(cond_test, seeded_producers_and_consumers_lose_no_wakeup) {
  const std::uint64_t seed = gort_test::test_seed();
  std::mt19937_64 rng(seed);
  const std::size_t capacity = 1 + rng() % 3;
  const int producer_goroutines = 1 + static_cast<int>(rng() % 4);
  const int consumer_goroutines = 1 + static_cast<int>(rng() % 4);
  const int producer_threads = static_cast<int>(rng() % 2);
  const int consumer_threads = 1 + static_cast<int>(rng() % 2);
  const int producers = producer_goroutines + producer_threads;
  const int consumers = consumer_goroutines + consumer_threads;
  const long total =
      static_cast<long>(gort_test::scaled(40'000, 10'000, 8'000));
  // quota(i, n) splits total among n parties.
  auto quota = [total](int i, int n) {
    return total / n + (i < total % n ? 1 : 0);
  };
  SCOPED_TRACE("seed " + std::to_string(seed));

  gort::mutex mu;
  gort::cond not_full, not_empty;
  std::deque<long> buffer;  // guarded by mu, as are the counts below
  std::size_t longest = 0;
  long consumed = 0, consumed_sum = 0;
  std::atomic<int> finished_parties{0};

  auto produce = [&](int i) {
    std::mt19937_64 r(gort_test::mix(seed + static_cast<std::uint64_t>(i)));
    const long first = [&] {
      long f = 0;
      for (int j = 0; j < i; ++j) f += quota(j, producers);
      return f;
    }();
    const long n = quota(i, producers);
    for (long v = first; v < first + n; ++v) {
      lock_t lk(mu);
      not_full.wait(lk, [&] { return buffer.size() < capacity; });
      buffer.push_back(v);
      longest = std::max(longest, buffer.size());
      if (r() % 8 == 0) gort::yield();  // hold the mutex across a switch
      if (r() % 2 == 0) {
        not_empty.signal();  // under the mutex
      } else {
        lk.unlock();
        not_empty.signal();
      }
    }
    ++finished_parties;
  };
  auto consume = [&](int i) {
    std::mt19937_64 r(gort_test::mix(~seed + static_cast<std::uint64_t>(i)));
    const long n = quota(i, consumers);
    for (long k = 0; k < n; ++k) {
      lock_t lk(mu);
      not_empty.wait(lk, [&] { return !buffer.empty(); });
      consumed_sum += buffer.front();
      buffer.pop_front();
      ++consumed;
      if (r() % 2 == 0) {
        lk.unlock();
        not_full.signal();
      } else {
        not_full.signal();  // under the mutex
      }
      if (r() % 16 == 0) gort::yield();
    }
    ++finished_parties;
  };

  gort::run([&] {
    std::vector<std::thread> threads;
    for (int i = 0; i < producer_threads; ++i)
      threads.emplace_back(produce, producer_goroutines + i);
    for (int i = 0; i < consumer_threads; ++i)
      threads.emplace_back(consume, consumer_goroutines + i);
    for (int i = 0; i < producer_goroutines; ++i) gort::go(produce, i);
    for (int i = 0; i < consumer_goroutines; ++i) gort::go(consume, i);
    const int parties = producers + consumers;
    if (!gort_test::eventually([&] { return finished_parties == parties; })) {
      std::lock_guard<gort::mutex> g(mu);
      ADD_FAILURE() << "lost wake-up: " << finished_parties.load() << " of "
                    << parties << " finished, " << consumed << " of " << total
                    << " consumed, " << buffer.size() << " buffered\n"
                    << gort_test::describe(gort::stats());
    }
    // After a failure, wake everyone until all have finished, so that the
    // threads can be joined.
    while (finished_parties < parties) {
      not_full.broadcast();
      not_empty.broadcast();
      gort::sleep(1ms);
    }
    for (auto& t : threads) t.join();
  });
  EXPECT_EQ(consumed, total);
  EXPECT_EQ(consumed_sum, total * (total - 1) / 2);
  EXPECT_TRUE(buffer.empty());
  EXPECT_LE(longest, capacity);
}

}  // namespace
