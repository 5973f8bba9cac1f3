// gort::rwmutex: writers exclude each other and the readers, readers share
// the lock, a waiting writer holds back new readers and a relay of readers
// cannot starve it, the standard lock adaptors and the try variants,
// misuse, plain threads beside goroutines, and a seeded stress test. A
// goroutine is known to wait in an rwmutex when stats() shows it parked with
// reason sync_rwmutex_lock (a writer waiting for readers) or
// sync_rwmutex_rlock (a reader waiting for a writer).
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <random>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "gort/mutex.hpp"
#include "gort/rwmutex.hpp"
#include "gort/sched.hpp"
#include "gort/stats.hpp"
#include "sched/internal/latch.hpp"
#include "support/hammer.hpp"
#include "support/procs_fixture.hpp"
#include "support/sanitizer.hpp"
#include "support/seed.hpp"
#include "support/usage_error.hpp"
#include "support/watchdog.hpp"

namespace {

using gort::wait_reason;
using gort::internal::latch;

class rwmutex_test : public gort_test::procs_fixture {};
// 4 and 8 processors as well: more than the CI machine's 2 cores.
INSTANTIATE_TEST_SUITE_P(procs, rwmutex_test, ::testing::Values(1, 2, 4, 8),
                         ::gort_test::procs_name);

constexpr const char* unlock_msg = "sync: Unlock of unlocked RWMutex";
constexpr const char* runlock_msg = "sync: RUnlock of unlocked RWMutex";

std::size_t parked(wait_reason r) {
  return gort_test::parked_for(gort::stats(), r);
}

// wait_parked waits until exactly n goroutines are parked with reason r.
bool wait_parked(wait_reason r, std::size_t n) {
  return gort_test::eventually([=] { return parked(r) == n; });
}

// try_write and try_read report whether try_lock and try_lock_shared
// succeed, and give back at once what they took: a check that fails leaves
// the rwmutex as it was (and the test free to go on).
bool try_write(gort::rwmutex& mu) {
  if (!mu.try_lock()) return false;
  mu.unlock();
  return true;
}
bool try_read(gort::rwmutex& mu) {
  if (!mu.try_lock_shared()) return false;
  mu.unlock_shared();
  return true;
}

// The example in gort/rwmutex.hpp.
class table {
 public:
  int lookup(const std::string& k) {
    std::shared_lock<gort::rwmutex> lk(mu_);  // many readers at once
    auto it = table_.find(k);
    return it == table_.end() ? 0 : it->second;
  }
  void store(const std::string& k, int v) {
    std::lock_guard<gort::rwmutex> lk(mu_);  // one writer, no readers
    table_[k] = v;
  }

 private:
  gort::rwmutex mu_;
  std::map<std::string, int> table_;  // guarded by mu_
};

// 1. Writers exclude each other: 8 goroutines x 100,000 increments.
TEST_P(rwmutex_test, eight_writers_increment_under_the_lock) {
  const int per = static_cast<int>(gort_test::scaled(100'000, 20'000, 5'000));
  gort::rwmutex mu;
  long counter = 0;
  gort_test::hammer(8, 0, per, [&](int, int k) {
    std::lock_guard<gort::rwmutex> lk(mu);
    ++counter;
    if (k % 1024 == 0) gort::yield();  // hold it across a switch
  });
  EXPECT_EQ(counter, 8L * per);
}

// 1. Two writers change a and b with a switch in between; six readers read
// a, switch, read b. Outside a writer a == b, so a reader that sees them
// differ saw a writer's half-done update (or a writer came in while it read).
TEST_P(rwmutex_test, readers_never_see_a_half_done_update) {
  const int per = static_cast<int>(gort_test::scaled(20'000, 5'000, 1'000));
  gort::rwmutex mu;
  long a = 0;  // guarded by mu
  long b = 0;  // guarded by mu
  std::atomic<long> torn{0};
  gort_test::hammer(8, 0, per, [&](int w, int k) {
    if (w < 2) {
      std::lock_guard<gort::rwmutex> lk(mu);
      ++a;
      if (k % 4 == 0) gort::yield();  // half done, across a switch
      ++b;
    } else {
      std::shared_lock<gort::rwmutex> lk(mu);
      const long seen = a;
      if (k % 4 == 0) gort::yield();
      if (seen != b) ++torn;
    }
  });
  EXPECT_EQ(torn.load(), 0) << "readers saw half-done updates";
  EXPECT_EQ(a, 2L * per);
  EXPECT_EQ(b, 2L * per);
}

// 2. Readers share the lock (Go's TestParallelReaders): no reader leaves
// before all have entered, so when the count of entries reaches n all n
// are inside at once. If readers excluded one another the first would wait
// here until the watchdog.
TEST_P(rwmutex_test, readers_are_inside_together) {
  constexpr int n = 4;
  gort::rwmutex mu;
  std::atomic<int> entered{0};
  std::atomic<int> saw_all{0};
  gort_test::hammer(n, 0, 1, [&](int, int) {
    mu.lock_shared();
    ++entered;
    if (gort_test::eventually([&] { return entered.load() == n; })) ++saw_all;
    mu.unlock_shared();
  });
  EXPECT_EQ(saw_all.load(), n) << "readers did not share the lock";
}

// 2. The same with a goroutine and plain threads as the readers: the main
// goroutine holds the read lock and parks until both threads are inside.
TEST_P(rwmutex_test, goroutine_and_thread_readers_are_inside_together) {
  gort::rwmutex mu;
  std::atomic<int> entered{0};
  std::atomic<int> saw_all{0};
  auto reader = [&] {
    mu.lock_shared();
    ++entered;
    if (gort_test::eventually([&] { return entered.load() == 3; })) ++saw_all;
    mu.unlock_shared();
  };
  gort::run([&] {
    std::vector<std::thread> ts;
    for (int i = 0; i < 2; ++i) ts.emplace_back(reader);
    reader();
    gort::blocking([&] {
      for (auto& t : ts) t.join();
    });
  });
  EXPECT_EQ(saw_all.load(), 3) << "readers did not share the lock";
}

// 3. Go's rule "a blocked Lock call excludes new readers". The main
// goroutine reads; a writer comes and waits for it; a reader that arrives
// now waits behind the writer although only a reader is inside, and gets in
// only after the writer has been in and out.
TEST_P(rwmutex_test, waiting_writer_holds_back_new_readers) {
  gort::rwmutex mu;
  std::atomic<bool> writer_in{false};
  std::atomic<bool> newcomer_in{false};
  bool newcomer_after_writer = false;
  gort::run([&] {
    mu.lock_shared();
    latch done(2);
    gort::go([&] {
      mu.lock();
      writer_in = true;
      mu.unlock();
      done.count_down();
    });
    EXPECT_TRUE(wait_parked(wait_reason::sync_rwmutex_lock, 1))
        << "the writer does not wait for the reader inside";
    gort::go([&] {
      mu.lock_shared();
      newcomer_after_writer = writer_in.load();
      newcomer_in = true;
      mu.unlock_shared();
      done.count_down();
    });
    EXPECT_TRUE(wait_parked(wait_reason::sync_rwmutex_rlock, 1))
        << "the new reader does not wait for the waiting writer";
    EXPECT_FALSE(newcomer_in.load());
    EXPECT_FALSE(writer_in.load());
    EXPECT_FALSE(try_read(mu));
    mu.unlock_shared();
    done.wait();
  });
  EXPECT_TRUE(newcomer_after_writer) << "the new reader got in first";
}

// 3. A relay of two readers keeps the read lock held without a break: each
// enters before the other leaves. A reader-preferring lock would never let
// the writer in. Here, once the writer waits, the next reader to enter
// parks behind it (the holder sees that in stats() and leaves), and the
// writer gets in. If it has not within the watchdog, the readers are told
// to stop so that the test ends.
TEST_P(rwmutex_test, relay_of_readers_cannot_starve_a_writer) {
  gort::rwmutex mu;
  std::atomic<int> entered{0};  // turns taken: reader t % 2 takes turn t
  std::atomic<bool> writer_done{false};
  std::atomic<bool> stop{false};
  bool writer_got_in = false;
  auto over = [&] { return writer_done.load() || stop.load(); };
  gort::run([&] {
    latch done(3);
    for (int me = 0; me < 2; ++me) {
      gort::go([&, me] {
        for (int t = me;; t += 2) {
          // My turn: the other reader is inside (it took turn t - 1).
          while (entered.load() < t && !over()) gort_test::poll_pause();
          if (over()) break;
          mu.lock_shared();
          entered = t + 1;
          // Hold until the other is inside too, or parked behind a writer.
          while (entered.load() < t + 2 && !over() &&
                 parked(wait_reason::sync_rwmutex_rlock) == 0)
            gort_test::poll_pause();
          mu.unlock_shared();
        }
        done.count_down();
      });
    }
    gort::go([&] {
      while (entered.load() < 8) gort_test::poll_pause();  // relay running
      mu.lock();
      writer_done = true;
      mu.unlock();
      done.count_down();
    });
    writer_got_in = gort_test::eventually([&] { return writer_done.load(); });
    stop = true;
    done.wait();
  });
  EXPECT_TRUE(writer_got_in) << "readers starved the writer";
}

// 4. The adaptors: std::scoped_lock of two rwmutexes (and a mutex) in
// either order, std::lock of two std::unique_locks (these take the second
// lock with try_lock), std::shared_lock, and the header's example. Writers
// change x and y with a switch in between; readers of `a` check x == y.
TEST_P(rwmutex_test, standard_lock_adaptors_and_the_header_example) {
  const int per = static_cast<int>(gort_test::scaled(5'000, 2'000, 500));
  gort::rwmutex a, b;
  gort::mutex m;
  long x = 0;  // written under a and b; read under a
  long y = 0;  // written under a and b; read under a
  std::atomic<long> bad{0};
  table tab;
  auto update = [&](int k) {
    ++x;
    if (k % 4 == 0) gort::yield();
    ++y;
  };
  gort_test::hammer(4, 0, per, [&](int w, int k) {
    switch (w) {
      case 0: {
        std::scoped_lock lk(a, b);
        update(k);
        break;
      }
      case 1: {
        std::scoped_lock lk(b, m, a);
        update(k);
        break;
      }
      case 2: {
        std::unique_lock<gort::rwmutex> la(a, std::defer_lock);
        std::unique_lock<gort::rwmutex> lb(b, std::defer_lock);
        std::lock(lb, la);
        update(k);
        break;
      }
      default: {
        std::shared_lock<gort::rwmutex> lk(a);
        const long seen = x;
        if (k % 4 == 0) gort::yield();
        if (seen != y) ++bad;
        break;
      }
    }
    const std::string key(1, static_cast<char>('a' + w));
    tab.store(key, k);
    if (tab.lookup(key) != k) ++bad;
  });
  EXPECT_EQ(x, 3L * per);
  EXPECT_EQ(y, 3L * per);
  EXPECT_EQ(bad.load(), 0);
}

// 4. try_lock succeeds only on a free rwmutex; try_lock_shared fails while
// a writer holds it or waits for it, and succeeds beside other readers.
TEST_P(rwmutex_test, try_variants_follow_the_state) {
  gort::rwmutex mu;
  gort::run([&] {
    ASSERT_TRUE(mu.try_lock());
    EXPECT_FALSE(try_write(mu)) << "a writer holds it";
    EXPECT_FALSE(try_read(mu)) << "a writer holds it";
    mu.unlock();

    ASSERT_TRUE(mu.try_lock_shared());
    ASSERT_TRUE(mu.try_lock_shared()) << "readers share";
    EXPECT_FALSE(try_write(mu)) << "readers are inside";
    mu.unlock_shared();
    EXPECT_FALSE(try_write(mu)) << "a reader is inside";
    mu.unlock_shared();

    {
      std::shared_lock<gort::rwmutex> r(mu, std::try_to_lock);
      EXPECT_TRUE(r.owns_lock());
      std::unique_lock<gort::rwmutex> w(mu, std::try_to_lock);
      EXPECT_FALSE(w.owns_lock());
    }
    {
      std::unique_lock<gort::rwmutex> w(mu, std::try_to_lock);
      EXPECT_TRUE(w.owns_lock());
      std::shared_lock<gort::rwmutex> r(mu, std::try_to_lock);
      EXPECT_FALSE(r.owns_lock());
    }

    // A writer waits for the reader inside: both try variants fail.
    mu.lock_shared();
    latch wrote(1);
    gort::go([&] {
      mu.lock();
      mu.unlock();
      wrote.count_down();
    });
    EXPECT_TRUE(wait_parked(wait_reason::sync_rwmutex_lock, 1));
    EXPECT_FALSE(try_read(mu)) << "a waiting writer holds back readers";
    EXPECT_FALSE(try_write(mu)) << "another writer waits";
    mu.unlock_shared();
    wrote.wait();
    EXPECT_TRUE(try_write(mu));
    EXPECT_TRUE(try_read(mu));
  });
}

// 4b. rlocker() (Go's RLocker) is a lockable on the read side: two of them
// are held at once, they keep a writer out, a writer keeps their try_lock
// out, and unlocking one that holds nothing throws as unlock_shared does.
TEST_P(rwmutex_test, rlocker_locks_for_reading) {
  gort::rwmutex mu;
  gort::run([&] {
    auto r1 = mu.rlocker();
    gort::rwmutex::read_locker r2 = r1;  // copies refer to the same mutex
    {
      std::lock_guard a(r1);
      std::lock_guard b(r2);  // readers share
      EXPECT_FALSE(try_write(mu)) << "two readers are inside";
    }
    EXPECT_TRUE(try_write(mu)) << "the read_lockers released the lock";
    mu.lock();
    EXPECT_FALSE(r1.try_lock()) << "a writer holds it";
    latch read(1);
    gort::go([&] {
      std::lock_guard lk(r2);  // waits for the writer
      read.count_down();
    });
    EXPECT_TRUE(wait_parked(wait_reason::sync_rwmutex_rlock, 1));
    mu.unlock();
    read.wait();
    EXPECT_TRUE(
        gort_test::throws_usage_error([&] { r1.unlock(); }, runlock_msg));
    EXPECT_TRUE(try_write(mu)) << "a failed unlock changed the state";
  });
}

// 5. Misuse throws and leaves the rwmutex as it was: on a fresh one, while
// a writer holds it, while readers hold it, and after every lock is gone.
TEST_P(rwmutex_test, unlock_of_unlocked_throws_and_changes_nothing) {
  gort::rwmutex mu;
  gort::run([&] {
    EXPECT_TRUE(
        gort_test::throws_usage_error([&] { mu.unlock(); }, unlock_msg));
    EXPECT_TRUE(gort_test::throws_usage_error([&] { mu.unlock_shared(); },
                                              runlock_msg));
    ASSERT_TRUE(mu.try_lock()) << "a failed unlock changed the state";

    EXPECT_TRUE(gort_test::throws_usage_error([&] { mu.unlock_shared(); },
                                              runlock_msg));
    EXPECT_FALSE(try_read(mu)) << "the writer lost the lock";
    mu.unlock();
    EXPECT_TRUE(
        gort_test::throws_usage_error([&] { mu.unlock(); }, unlock_msg));

    mu.lock_shared();
    mu.lock_shared();
    EXPECT_TRUE(
        gort_test::throws_usage_error([&] { mu.unlock(); }, unlock_msg));
    EXPECT_FALSE(try_write(mu)) << "the readers lost the lock";
    mu.unlock_shared();
    mu.unlock_shared();
    EXPECT_TRUE(gort_test::throws_usage_error([&] { mu.unlock_shared(); },
                                              runlock_msg));

    // Still usable, waits included: a writer waits for a reader.
    EXPECT_TRUE(try_write(mu));
    mu.lock_shared();
    latch wrote(1);
    gort::go([&] {
      mu.lock();
      mu.unlock();
      wrote.count_down();
    });
    EXPECT_TRUE(wait_parked(wait_reason::sync_rwmutex_lock, 1));
    mu.unlock_shared();
    wrote.wait();
    ASSERT_TRUE(mu.try_lock());
    EXPECT_TRUE(gort_test::throws_usage_error([&] { mu.unlock_shared(); },
                                              runlock_msg));
    mu.unlock();
  });
}

// 6. Not owned: another goroutine or a plain thread may unlock.
TEST_P(rwmutex_test, another_goroutine_or_thread_may_unlock) {
  gort::rwmutex mu;
  gort::run([&] {
    mu.lock();
    latch unlocked(1);
    gort::go([&] {
      mu.unlock();
      unlocked.count_down();
    });
    unlocked.wait();
    ASSERT_TRUE(mu.try_lock_shared());
    gort::blocking([&] { std::thread([&] { mu.unlock_shared(); }).join(); });
    ASSERT_TRUE(mu.try_lock());
    gort::blocking([&] { std::thread([&] { mu.unlock(); }).join(); });
    EXPECT_TRUE(try_read(mu));
  });
}

// 6. Goroutines and plain threads, each both readers and writers (even
// workers write, odd ones read), with the half-done update check.
TEST_P(rwmutex_test, plain_threads_and_goroutines_mix_readers_and_writers) {
  const int per = static_cast<int>(gort_test::scaled(20'000, 5'000, 1'000));
  gort::rwmutex mu;
  long a = 0;  // guarded by mu
  long b = 0;  // guarded by mu
  std::atomic<long> torn{0};
  gort_test::hammer(4, 2, per, [&](int w, int k) {
    if (w % 2 == 0) {
      std::unique_lock<gort::rwmutex> lk(mu);
      ++a;
      if (k % 16 == 0) gort::yield();
      ++b;
    } else {
      std::shared_lock<gort::rwmutex> lk(mu);
      const long seen = a;
      if (k % 16 == 0) gort::yield();
      if (seen != b) ++torn;
    }
  });
  EXPECT_EQ(torn.load(), 0);
  EXPECT_EQ(a, 3L * per);
  EXPECT_EQ(b, 3L * per);
}

// 6. A plain thread holds the write lock; goroutine readers park until it
// unlocks, and then see what it wrote.
TEST_P(rwmutex_test, plain_thread_writer_holds_back_goroutine_readers) {
  constexpr int n = 3;
  gort::rwmutex mu;
  long value = 0;  // guarded by mu
  std::atomic<int> saw{0};
  gort::run([&] {
    latch writer_in(1), release_writer(1), done(n);
    std::thread t([&] {
      mu.lock();
      writer_in.count_down();
      release_writer.wait();
      value = 7;
      mu.unlock();
    });
    writer_in.wait();
    for (int i = 0; i < n; ++i) {
      gort::go([&] {
        mu.lock_shared();
        if (value == 7) ++saw;
        mu.unlock_shared();
        done.count_down();
      });
    }
    EXPECT_TRUE(wait_parked(wait_reason::sync_rwmutex_rlock, n))
        << "readers do not wait for a plain thread's write lock";
    release_writer.count_down();
    done.wait();
    gort::blocking([&] { t.join(); });
  });
  EXPECT_EQ(saw.load(), n);
}

// 6. A plain thread reads; a goroutine writer waits for it and a goroutine
// reader waits behind the writer; the thread's unlock_shared lets the
// writer in, and the writer's unlock the reader.
TEST_P(rwmutex_test, goroutine_writer_waits_for_a_plain_thread_reader) {
  gort::rwmutex mu;
  long value = 0;  // guarded by mu
  long newcomer_saw = -1;
  gort::run([&] {
    latch reader_in(1), release_reader(1), done(2);
    std::thread t([&] {
      mu.lock_shared();
      reader_in.count_down();
      release_reader.wait();
      mu.unlock_shared();
    });
    reader_in.wait();
    gort::go([&] {
      mu.lock();
      value = 42;
      mu.unlock();
      done.count_down();
    });
    EXPECT_TRUE(wait_parked(wait_reason::sync_rwmutex_lock, 1));
    gort::go([&] {
      mu.lock_shared();
      newcomer_saw = value;
      mu.unlock_shared();
      done.count_down();
    });
    EXPECT_TRUE(wait_parked(wait_reason::sync_rwmutex_rlock, 1));
    release_reader.count_down();
    done.wait();
    gort::blocking([&] { t.join(); });
  });
  EXPECT_EQ(newcomer_saw, 42) << "the reader got in before the writer";
}

// 7. Seeded stress: goroutines and plain threads pick lock, try_lock,
// lock_shared, try_lock_shared (directly or through the adaptors) at
// random. Inside, atomic counts of readers and writers check exclusion, and
// a plain word written by writers and read by readers lets TSan check the
// happens-before edges.
TEST_P(rwmutex_test, seeded_stress_keeps_readers_and_writers_apart) {
  const std::uint64_t seed = gort_test::test_seed();
  const int rounds =
      static_cast<int>(gort_test::scaled(100'000, 20'000, 8'000));
  constexpr int goroutines = 8;
  constexpr int threads = 2;
  gort::rwmutex mu;
  std::atomic<int> readers{0};
  std::atomic<int> writers{0};
  std::atomic<long> violations{0};
  std::atomic<long> writes{0};
  long data = 0;  // guarded by mu
  std::vector<std::mt19937_64> rngs;
  for (int w = 0; w < goroutines + threads; ++w)
    rngs.emplace_back(gort_test::mix(seed + static_cast<std::uint64_t>(w)));

  // violation reports the first one at once: a broken lock may go on to
  // lose a wake-up and hang, and the watchdog's report would not say why.
  auto violation = [&] {
    if (violations.fetch_add(1) == 0)
      ADD_FAILURE() << "a writer was inside with another party; seed " << seed;
  };
  auto write = [&](std::mt19937_64& rng) {
    if (writers.fetch_add(1) != 0 || readers.load() != 0) violation();
    ++data;
    ++writes;
    if (rng() % 8 == 0) gort::yield();
    if (readers.load() != 0) violation();
    writers.fetch_sub(1);
  };
  auto read = [&](std::mt19937_64& rng) {
    readers.fetch_add(1);
    if (writers.load() != 0) violation();
    if (data < 0) violation();
    if (rng() % 8 == 0) gort::yield();
    if (writers.load() != 0) violation();
    readers.fetch_sub(1);
  };
  gort_test::hammer(goroutines, threads, rounds, [&](int w, int) {
    std::mt19937_64& rng = rngs[static_cast<std::size_t>(w)];
    switch (rng() % 6) {
      case 0: {
        std::lock_guard<gort::rwmutex> lk(mu);
        write(rng);
        break;
      }
      case 1:
        if (mu.try_lock()) {
          write(rng);
          mu.unlock();
        }
        break;
      case 2:
      case 3: {
        std::shared_lock<gort::rwmutex> lk(mu);
        read(rng);
        break;
      }
      case 4:
        mu.lock_shared();
        read(rng);
        mu.unlock_shared();
        break;
      default:
        if (mu.try_lock_shared()) {
          read(rng);
          mu.unlock_shared();
        }
        break;
    }
  });
  EXPECT_EQ(violations.load(), 0) << "seed " << seed;
  EXPECT_EQ(data, writes.load()) << "seed " << seed;
  EXPECT_TRUE(try_write(mu)) << "seed " << seed;
}

}  // namespace
