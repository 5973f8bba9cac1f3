// The waits that honour a context (API.md, "context"): mutex::lock(ctx),
// semaphore::acquire(ctx, n), wait_group::wait(ctx), cond::wait(lock, ctx)
// and sleep(ctx, d). For each: it completes (empty error_code) when the
// resource comes first; it returns ctx.err() (canceled, or
// deadline_exceeded) when the context ends while it is really asleep, on a
// goroutine or a plain thread, cancelled from a goroutine or a plain
// thread; it returns at once if the context is already done; and it leaves
// nothing behind: the primitive works exactly as before. Then a seeded
// stress test per primitive with invariants checked at the end.
//
// A waiting goroutine is known to be asleep when stats() counts it parked
// with the wait's reason; a plain thread, when the kernel shows it in
// futex(2) (support/plain_threads.hpp). The mutex and wait-group tests
// also read the primitives' words (Go's layouts, checked at compile time)
// to see that no waiter is left counted and no token left over.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <system_error>
#include <thread>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>

#include "gort/chan.hpp"
#include "gort/cond.hpp"
#include "gort/context.hpp"
#include "gort/mutex.hpp"
#include "gort/sched.hpp"
#include "gort/select.hpp"
#include "gort/semaphore.hpp"
#include "gort/stats.hpp"
#include "gort/time.hpp"
#include "gort/wait_group.hpp"
#include "sched/internal/latch.hpp"
#include "support/plain_threads.hpp"
#include "support/procs_fixture.hpp"
#include "support/sanitizer.hpp"
#include "support/seed.hpp"
#include "support/timer_count.hpp"
#include "support/usage_error.hpp"
#include "support/watchdog.hpp"

namespace {

using gort::wait_reason;
using gort::internal::latch;
using namespace std::chrono_literals;
using result_chan = gort::chan<std::error_code>;

const gort::context bg = gort::context::background();
const std::error_code ok;
const std::error_code canceled = gort::errc::canceled;
const std::error_code expired = gort::errc::deadline_exceeded;

class ctx_wait_test : public gort_test::procs_fixture {};
INSTANTIATE_TEST_SUITE_P(procs, ctx_wait_test, ::testing::Values(1, 4, 8),
                         gort_test::procs_name);

// ---- white-box views --------------------------------------------------------

// Go's layouts (sync/mutex.cpp, sync/wait_group.cpp): the state word first,
// the runtime semaphore's counter after it.
static_assert(std::is_standard_layout_v<gort::mutex> &&
              sizeof(gort::mutex) == 8);
static_assert(std::is_standard_layout_v<gort::wait_group> &&
              sizeof(gort::wait_group) == 16);
constexpr std::int32_t mutex_locked = 1;
constexpr std::int32_t mutex_starving = 4;
constexpr int mutex_waiter_shift = 3;

struct words {
  std::uint64_t state;
  std::uint32_t sema;
};

words peek(const gort::mutex& m) {
  const auto* base = reinterpret_cast<const char*>(&m);
  return {
      static_cast<std::uint32_t>(
          reinterpret_cast<const std::atomic<std::int32_t>*>(base)->load()),
      reinterpret_cast<const std::atomic<std::uint32_t>*>(base + 4)->load()};
}

words peek(const gort::wait_group& wg) {
  const auto* base = reinterpret_cast<const char*>(&wg);
  return {
      reinterpret_cast<const std::atomic<std::uint64_t>*>(base)->load(),
      reinterpret_cast<const std::atomic<std::uint32_t>*>(base + 8)->load()};
}

// g_case names the case a loop is on, for failure messages: SCOPED_TRACE
// keeps its stack per thread, and a goroutine may resume on another.
std::string g_case;

struct case_note {
  explicit case_note(std::string what) { g_case = " [" + what + "]"; }
  case_note(const case_note&) = delete;
  case_note& operator=(const case_note&) = delete;
  ~case_note() { g_case.clear(); }
};

// ---- helpers
// ------------------------------------------------------------------

std::size_t parked(wait_reason r) {
  return gort_test::parked_for(gort::stats(), r);
}

// recv_within receives from c, or gives up (nullopt) after the watchdog, so
// that a waiter left asleep fails the test instead of hanging it.
std::optional<std::error_code> recv_within(const result_chan& c) {
  std::optional<std::error_code> got;
  gort::select(
      gort::case_recv(c, [&](std::optional<std::error_code> v) { got = v; }),
      gort::case_recv(gort::after(gort_test::watchdog)));
  return got;
}

// How a waiter's context ends while it waits.
enum class ender { goroutine_cancel, thread_cancel, deadline };
struct how {
  bool on_thread;  // the waiter is a plain thread, else a goroutine
  ender by;
};
constexpr how all_hows[] = {
    {false, ender::goroutine_cancel}, {false, ender::thread_cancel},
    {false, ender::deadline},         {true, ender::goroutine_cancel},
    {true, ender::thread_cancel},     {true, ender::deadline},
};

std::string to_string(how h) {
  std::string s = h.on_thread ? "plain-thread waiter, " : "goroutine waiter, ";
  switch (h.by) {
    case ender::goroutine_cancel:
      return s + "cancelled by a goroutine";
    case ender::thread_cancel:
      return s + "cancelled by a plain thread";
    default:
      return s + "deadline";
  }
}

std::error_code expected(how h) {
  return h.by == ender::deadline ? expired : canceled;
}

// The deadline of the `deadline` case: long enough for the waiter to fall
// asleep first, as a rule.
constexpr auto deadline_after =
    gort_test::under_sanitizer ? std::chrono::milliseconds(300) : 50ms;

// waiter runs wait(ctx) on a goroutine or a plain thread and sends the
// result on `result`. asleep() says whether it is really waiting now:
// parked with `reason` (beyond the `base` already parked so) or blocked in
// the kernel.
class waiter {
 public:
  waiter(bool on_thread, wait_reason reason,
         std::function<std::error_code()> wait)
      : on_thread_(on_thread), reason_(reason), base_(parked(reason)) {
    if (on_thread_) {
      threads_.emplace_back([this, wait] {
        probe_.arm();
        result.send(wait());
      });
    } else {
      gort::go([r = result, wait] { r.send(wait()); });
    }
  }
  waiter(const waiter&) = delete;
  waiter& operator=(const waiter&) = delete;
  ~waiter() { gort_test::join_all(threads_); }

  // asleep: for a goroutine, more parked with the reason than before it
  // started, so only meaningful while none of those earlier ones leaves.
  bool asleep() const {
    return on_thread_ ? probe_.blocked() : parked(reason_) > base_;
  }
  bool returned() const { return result.size() > 0; }
  // wait_asleep waits until the waiter is asleep or has returned; it
  // returns false if it has returned.
  bool wait_asleep() const {
    EXPECT_TRUE(gort_test::eventually([this] {
      return result.size() > 0 || asleep();
    })) << "the waiter neither slept nor returned"
        << g_case;
    return result.size() == 0;
  }

  result_chan result = gort::make_chan<std::error_code>(1);

 private:
  bool on_thread_;
  wait_reason reason_;
  std::size_t base_;
  gort_test::thread_probe probe_;
  std::vector<std::thread> threads_;
};

// end_while_waiting runs wait(ctx) as `h` says, waits until it is asleep,
// ends ctx (cancel from a goroutine or a plain thread, or its deadline)
// and returns what the wait returned. Inside gort::run.
std::error_code end_while_waiting(
    how h, wait_reason reason,
    const std::function<std::error_code(const gort::context&)>& wait) {
  auto [ctx, cancel] = h.by == ender::deadline
                           ? gort::with_timeout(bg, deadline_after)
                           : gort::with_cancel(bg);
  waiter w(h.on_thread, reason, [&wait, ctx = ctx] { return wait(ctx); });
  const bool slept = w.wait_asleep();
  if (h.by != ender::deadline) {
    EXPECT_TRUE(slept) << "returned before its context ended" << g_case;
  }
  std::vector<std::thread> ts;
  if (h.by == ender::goroutine_cancel) gort::go([c = cancel] { c(); });
  if (h.by == ender::thread_cancel) ts.emplace_back([c = cancel] { c(); });
  const std::optional<std::error_code> got = recv_within(w.result);
  gort_test::join_all(ts);
  EXPECT_TRUE(got.has_value()) << "the wait did not return" << g_case;
  if (got) {
    EXPECT_EQ(*got, ctx.err()) << g_case;
  }
  return got.value_or(std::error_code());
}

// done_contexts are contexts that have already ended, and how.
std::vector<std::pair<gort::context, std::error_code>> done_contexts() {
  auto [c1, cancel1] = gort::with_cancel(bg);
  cancel1();
  auto [c2, cancel2] =
      gort::with_deadline(bg, std::chrono::steady_clock::now());
  return {
      {c1, canceled}, {c2, expired}, {gort::with_cancel(c1).first, canceled}};
}

// The context a stress worker waits with: none, a short timeout, one a
// canceller goroutine cancels at a random moment, or one already done.
struct stress_ctx {
  gort::context ctx;
  gort::cancel_func cancel;
  bool done_already = false;
};

// With may_wait_forever false, only contexts that end soon.
stress_ctx pick_ctx(std::mt19937_64& rng,
                    const gort::chan<gort::cancel_func>& victims,
                    bool may_wait_forever = true) {
  stress_ctx s;
  switch (may_wait_forever ? rng() % 5 : 1 + rng() % 3) {
    case 0:
      s.ctx = bg;
      break;
    case 1:
      std::tie(s.ctx, s.cancel) =
          gort::with_timeout(bg, std::chrono::microseconds(rng() % 300));
      break;
    case 2:
      std::tie(s.ctx, s.cancel) = gort::with_cancel(bg);
      // Buffered, and the canceller drains it; if full, cancel it now.
      if (gort::select(gort::case_send(victims, s.cancel),
                       gort::case_default()) == 1)
        s.cancel();
      break;
    case 3:
      std::tie(s.ctx, s.cancel) = gort::with_cancel(bg);
      s.cancel();
      s.done_already = true;
      break;
    default:
      std::tie(s.ctx, s.cancel) = gort::with_timeout(bg, 1h);
  }
  return s;
}

// canceller cancels what it receives on victims, after a few yields, until
// victims is closed.
void canceller(gort::chan<gort::cancel_func> victims, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  for (gort::cancel_func f : victims) {
    for (int i = static_cast<int>(rng() % 4); i > 0; --i) gort::yield();
    f();
  }
}

// check_err checks a stress wait's result against its context.
::testing::AssertionResult check_err(const std::error_code& e,
                                     const stress_ctx& s) {
  if (s.done_already && e != canceled)
    return ::testing::AssertionFailure()
           << "a done context did not end the wait at once: " << e.message();
  if (e && e != s.ctx.err())
    return ::testing::AssertionFailure()
           << "returned " << e.message() << ", ctx.err() is "
           << s.ctx.err().message();
  return ::testing::AssertionSuccess();
}

// ---- mutex::lock(ctx)
// -----------------------------------------------------------

TEST_P(ctx_wait_test, mutex_lock_completes_when_the_mutex_comes_first) {
  gort::run([] {
    gort::mutex mu;
    auto [ctx, cancel] = gort::with_cancel(bg);
    EXPECT_EQ(mu.lock(ctx), ok) << g_case;  // free: taken at once
    EXPECT_FALSE(mu.try_lock()) << g_case;
    mu.unlock();
    EXPECT_EQ(mu.lock(bg), ok) << g_case;
    mu.unlock();
    for (const bool on_thread : {false, true}) {
      mu.lock();
      waiter w(on_thread, wait_reason::sync_mutex_lock,
               [&, ctx = ctx] { return mu.lock(ctx); });
      EXPECT_TRUE(w.wait_asleep()) << g_case;
      mu.unlock();
      EXPECT_EQ(recv_within(w.result), ok) << g_case;
      EXPECT_FALSE(mu.try_lock()) << "the waiter holds it now" << g_case;
      mu.unlock();
    }
    cancel();  // after the waits: nothing changes
    EXPECT_TRUE(mu.try_lock()) << g_case;
    mu.unlock();
    EXPECT_EQ(peek(mu).state, 0u) << g_case;
  });
}

// After a waiter gave up, the mutex is exactly as before: still held by its
// holder alone, no waiter counted, and it passes to the next party as usual.
void expect_mutex_clean_after_give_up(gort::mutex& mu, bool holder_holds) {
  if (holder_holds) {
    EXPECT_EQ(peek(mu).state, static_cast<std::uint64_t>(mutex_locked))
        << "a waiter that gave up is still counted" << g_case;
    EXPECT_FALSE(mu.try_lock()) << g_case;
    // A new waiter gets it when the holder unlocks.
    waiter w(false, wait_reason::sync_mutex_lock, [&] {
      mu.lock();
      mu.unlock();
      return std::error_code();
    });
    EXPECT_TRUE(w.wait_asleep()) << g_case;
    mu.unlock();
    EXPECT_EQ(recv_within(w.result), ok) << g_case;
  }
  EXPECT_TRUE(mu.try_lock()) << g_case;
  mu.unlock();
  EXPECT_EQ(mu.lock(bg), ok) << g_case;
  mu.unlock();
  EXPECT_EQ(peek(mu).state, 0u) << g_case;
  EXPECT_EQ(peek(mu).sema, 0u) << "a wake-up token was left over" << g_case;
}

TEST_P(ctx_wait_test, mutex_lock_returns_ctx_err_when_ended_while_waiting) {
  gort::run([] {
    for (const how h : all_hows) {
      const case_note note(to_string(h));
      gort::mutex mu;
      mu.lock();
      const std::error_code e =
          end_while_waiting(h, wait_reason::sync_mutex_lock,
                            [&](const gort::context& c) { return mu.lock(c); });
      EXPECT_EQ(e, expected(h)) << g_case;
      expect_mutex_clean_after_give_up(mu, true);
    }
  });
}

TEST_P(ctx_wait_test, mutex_lock_with_a_done_ctx_returns_at_once) {
  gort::run([] {
    for (const auto& [ctx, err] : done_contexts()) {
      gort::mutex mu;
      EXPECT_EQ(mu.lock(ctx), err) << "a free mutex, a done context" << g_case;
      EXPECT_TRUE(mu.try_lock()) << "it took the mutex anyway" << g_case;
      EXPECT_EQ(mu.lock(ctx), err) << "a held mutex, a done context" << g_case;
      expect_mutex_clean_after_give_up(mu, true);
    }
  });
}

// Two waiters; the first gives up: the second still gets the mutex, and
// the count of waiters comes out right.
TEST_P(ctx_wait_test, mutex_waiter_behind_one_that_gives_up_gets_it) {
  gort::run([] {
    for (const bool first_on_thread : {false, true}) {
      gort::mutex mu;
      mu.lock();
      auto [ctx, cancel] = gort::with_cancel(bg);
      waiter first(first_on_thread, wait_reason::sync_mutex_lock,
                   [&, ctx = ctx] { return mu.lock(ctx); });
      EXPECT_TRUE(first.wait_asleep()) << g_case;
      waiter second(false, wait_reason::sync_mutex_lock, [&] {
        mu.lock();
        return std::error_code();
      });
      EXPECT_TRUE(second.wait_asleep()) << g_case;
      cancel();
      EXPECT_EQ(recv_within(first.result), canceled) << g_case;
      mu.unlock();
      EXPECT_EQ(recv_within(second.result), ok) << g_case;
      EXPECT_EQ(peek(mu).state, static_cast<std::uint64_t>(mutex_locked))
          << g_case;
      mu.unlock();
      expect_mutex_clean_after_give_up(mu, false);
    }
  });
}

// A mutex in starvation mode whose last waiter gives up: the holder's
// unlock hands the mutex to nobody, and the next lock() or try_lock() must
// still get it. Starvation: the waiter waits > 1 ms, is woken by an unlock
// and finds the mutex taken again by the holder, so it sets the starving
// bit and sleeps again (if it wins the mutex instead, try again).
TEST_P(ctx_wait_test, mutex_starving_last_waiter_gives_up) {
  gort::run([] {
    for (const int then : {0, 1, 2}) {  // try_lock, lock, or a second waiter
      const case_note note(then == 0   ? "try_lock"
                           : then == 1 ? "lock"
                                       : "waiter");
      gort::mutex mu;
      bool starving = false;
      for (int attempt = 0; attempt < 50 && !starving; ++attempt) {
        auto [ctx, cancel] = gort::with_cancel(bg);
        mu.lock();
        waiter w(false, wait_reason::sync_mutex_lock, [&, ctx = ctx] {
          const std::error_code e = mu.lock(ctx);
          if (!e) mu.unlock();  // it won the mutex: no starvation this time
          return e;
        });
        EXPECT_TRUE(w.wait_asleep()) << g_case;
        gort::sleep(2ms);  // the waiter has now waited > 1 ms
        mu.unlock();
        mu.lock();  // barge in before the woken waiter runs
        ASSERT_TRUE(gort_test::eventually([&] {
          return w.result.size() > 0 ||
                 ((peek(mu).state & mutex_starving) != 0 && w.asleep());
        })) << g_case;
        if (w.result.size() > 0) {  // it got the mutex between the two
          EXPECT_EQ(recv_within(w.result), ok) << g_case;
          mu.unlock();
          continue;
        }
        starving = true;
        EXPECT_EQ(peek(mu).state,
                  static_cast<std::uint64_t>(mutex_locked | mutex_starving |
                                             1 << mutex_waiter_shift))
            << g_case;
        std::optional<waiter> second;
        if (then == 2) {
          second.emplace(false, wait_reason::sync_mutex_lock, [&] {
            mu.lock();
            return std::error_code();
          });
          EXPECT_TRUE(second->wait_asleep()) << g_case;
        }
        cancel();
        EXPECT_EQ(recv_within(w.result), canceled) << g_case;
        mu.unlock();  // hands off to the first waiter left, if any
        if (then == 0) {
          EXPECT_TRUE(mu.try_lock()) << "the hand-off meant for the waiter "
                                        "that gave up is lost"
                                     << g_case;
        } else if (then == 1) {
          waiter next(false, wait_reason::sync_mutex_lock, [&] {
            mu.lock();
            return std::error_code();
          });
          EXPECT_EQ(recv_within(next.result), ok)
              << "lock() after the last starving waiter gave up" << g_case;
        } else {
          EXPECT_EQ(recv_within(second->result), ok) << g_case;
        }
        mu.unlock();
        expect_mutex_clean_after_give_up(mu, false);
      }
      EXPECT_TRUE(starving) << "starvation mode never happened" << g_case;
    }
  });
}

// Seeded stress: goroutines and plain threads lock with no context, short
// timeouts, contexts a canceller ends at random, already-done contexts,
// and try_lock; holders sometimes keep it > 1 ms (starvation mode). At the
// end: exclusion held (a plain counter is exact), and the mutex is clean.
TEST_P(ctx_wait_test, mutex_seeded_stress) {
  const std::uint64_t seed = gort_test::test_seed();
  const int per = static_cast<int>(gort_test::scaled(3'000, 800, 150));
  gort::mutex mu;
  long counter = 0;
  std::atomic<long> entries{0}, gave_up{0};
  std::atomic<int> inside{0};
  gort::run([&] {
    auto victims = gort::make_chan<gort::cancel_func>(64);
    latch cancelled(1);
    gort::go([&] {
      canceller(victims, seed);
      cancelled.count_down();
    });
    auto body = [&](int w) {
      std::mt19937_64 rng(gort_test::mix(seed + static_cast<std::uint64_t>(w)));
      for (int k = 0; k < per; ++k) {
        bool got;
        if (rng() % 6 == 0) {
          got = mu.try_lock();
        } else {
          const stress_ctx s = pick_ctx(rng, victims);
          const std::error_code e = mu.lock(s.ctx);
          EXPECT_TRUE(check_err(e, s)) << "seed " << seed << g_case;
          got = !e;
        }
        if (!got) {
          gave_up.fetch_add(1);
          continue;
        }
        EXPECT_EQ(inside.fetch_add(1), 0)
            << "two inside, seed " << seed << g_case;
        ++counter;
        entries.fetch_add(1);
        const auto r = rng() % 256;
        if (r == 0) {
          gort_test::spin_for(1200us);  // starvation mode for the others
        } else if (r < 16) {
          gort::yield();
        }
        inside.fetch_sub(1);
        mu.unlock();
      }
    };
    constexpr int goroutines = 6, threads = 2;
    latch done(goroutines);
    for (int w = 0; w < goroutines; ++w) {
      gort::go([&, w] {
        body(w);
        done.count_down();
      });
    }
    std::vector<std::thread> ts;
    for (int w = goroutines; w < goroutines + threads; ++w)
      ts.emplace_back([&, w] { body(w); });
    gort_test::join_all(ts);
    done.wait();
    victims.close();
    cancelled.wait();
  });
  EXPECT_EQ(counter, entries.load()) << "seed " << seed << g_case;
  EXPECT_GT(gave_up.load(), 0) << g_case;
  EXPECT_TRUE(mu.try_lock()) << "seed " << seed << g_case;
  mu.unlock();
  EXPECT_EQ(peek(mu).state, 0u) << "seed " << seed << g_case;
  EXPECT_EQ(peek(mu).sema, 0u) << "seed " << seed << g_case;
}

// ---- semaphore::acquire(ctx, n)
// ----------------------------------------------------

TEST_P(ctx_wait_test, semaphore_acquire_completes_when_units_come_first) {
  gort::run([] {
    gort::semaphore sem(3);
    auto [ctx, cancel] = gort::with_cancel(bg);
    EXPECT_EQ(sem.acquire(ctx, 2), ok) << g_case;
    EXPECT_EQ(sem.acquire(ctx), ok) << g_case;
    EXPECT_FALSE(sem.try_acquire()) << g_case;
    EXPECT_EQ(sem.acquire(ctx, 0), ok) << g_case;
    for (const bool on_thread : {false, true}) {
      waiter w(on_thread, wait_reason::semacquire,
               [&, ctx = ctx] { return sem.acquire(ctx, 2); });
      EXPECT_TRUE(w.wait_asleep()) << g_case;
      sem.release(1);
      EXPECT_TRUE(w.asleep()) << "granted with one unit of two" << g_case;
      sem.release(2);
      EXPECT_EQ(recv_within(w.result), ok) << g_case;
      EXPECT_TRUE(sem.try_acquire(1)) << g_case;  // all three taken again
      EXPECT_FALSE(sem.try_acquire(1)) << g_case;
    }
    cancel();
    sem.release(3);
    EXPECT_TRUE(sem.try_acquire(3)) << g_case;
    sem.release(3);
  });
}

// After a request gave up, the counts are exact: all units free once the
// holders release, nobody queued, and a release beyond that throws.
void expect_semaphore_clean(gort::semaphore& sem, std::int64_t size) {
  EXPECT_TRUE(sem.try_acquire(0)) << "a request is still queued" << g_case;
  EXPECT_TRUE(sem.try_acquire(size)) << "units were lost" << g_case;
  sem.release(size);
  EXPECT_TRUE(gort_test::throws_usage_error([&] { sem.release(1); },
                                            "released more than held"))
      << "units were created" << g_case;
}

TEST_P(ctx_wait_test,
       semaphore_acquire_returns_ctx_err_when_ended_while_waiting) {
  gort::run([] {
    for (const how h : all_hows) {
      const case_note note(to_string(h));
      gort::semaphore sem(2);
      sem.acquire(2);
      const std::error_code e = end_while_waiting(
          h, wait_reason::semacquire,
          [&](const gort::context& c) { return sem.acquire(c, 1); });
      EXPECT_EQ(e, expected(h)) << g_case;
      EXPECT_FALSE(sem.try_acquire(1)) << "the request took a unit" << g_case;
      sem.release(2);
      expect_semaphore_clean(sem, 2);
    }
  });
}

TEST_P(ctx_wait_test, semaphore_acquire_with_a_done_ctx_returns_at_once) {
  gort::run([] {
    for (const auto& [ctx, err] : done_contexts()) {
      gort::semaphore sem(3);
      EXPECT_EQ(sem.acquire(ctx, 1), err)
          << "units free, a done context" << g_case;
      EXPECT_EQ(sem.acquire(ctx, 4), err) << "more than the size" << g_case;
      sem.acquire(3);
      EXPECT_EQ(sem.acquire(ctx, 1), err)
          << "no unit free, a done context" << g_case;
      sem.release(3);
      expect_semaphore_clean(sem, 3);
    }
  });
}

// A head request that does not fit holds back a smaller one behind it
// (FIFO); when the head gives up, the one behind goes through at once.
TEST_P(ctx_wait_test, semaphore_cancelled_head_lets_the_next_through) {
  gort::run([] {
    for (const how h : all_hows) {
      if (h.by == ender::deadline) continue;
      const case_note note(to_string(h));
      gort::semaphore sem(4);
      sem.acquire(3);  // one unit free
      auto [ctx, cancel] = gort::with_cancel(bg);
      waiter head(h.on_thread, wait_reason::semacquire,
                  [&, ctx = ctx] { return sem.acquire(ctx, 3); });
      EXPECT_TRUE(head.wait_asleep()) << g_case;
      auto [ctx2, cancel2] = gort::with_cancel(bg);
      waiter next(!h.on_thread, wait_reason::semacquire,
                  [&, ctx2 = ctx2] { return sem.acquire(ctx2, 1); });
      EXPECT_TRUE(next.wait_asleep()) << "it overtook the head" << g_case;
      std::vector<std::thread> ts;
      if (h.by == ender::goroutine_cancel) gort::go([c = cancel] { c(); });
      if (h.by == ender::thread_cancel) ts.emplace_back([c = cancel] { c(); });
      EXPECT_EQ(recv_within(head.result), canceled) << g_case;
      EXPECT_EQ(recv_within(next.result), ok)
          << "the request behind the cancelled head was not granted" << g_case;
      gort_test::join_all(ts);
      EXPECT_FALSE(sem.try_acquire(1)) << "4 of 4 taken" << g_case;
      sem.release(3);
      sem.release(1);
      expect_semaphore_clean(sem, 4);
      cancel2();
    }
  });
}

// A request larger than the size can never be granted: it waits for its
// context alone; with a context that cannot end it throws.
TEST_P(ctx_wait_test, semaphore_acquire_larger_than_the_size_waits_for_ctx) {
  gort::run([] {
    gort::semaphore sem(2);
    const std::error_code e = end_while_waiting(
        {false, ender::goroutine_cancel}, wait_reason::chan_receive,
        [&](const gort::context& c) { return sem.acquire(c, 3); });
    EXPECT_EQ(e, canceled) << g_case;
    EXPECT_THROW(sem.acquire(bg, 3), gort::usage_error) << g_case;
    EXPECT_THROW(sem.acquire(3), gort::usage_error) << g_case;
    expect_semaphore_clean(sem, 2);
  });
}

// Seeded stress: requests of 1..size units with every kind of context,
// and try_acquire. The semaphore is never over-committed, and at the end
// its full size is free and nothing is queued.
TEST_P(ctx_wait_test, semaphore_seeded_stress) {
  const std::uint64_t seed = gort_test::test_seed();
  const int per = static_cast<int>(gort_test::scaled(3'000, 800, 150));
  constexpr std::int64_t size = 5;
  gort::semaphore sem(size);
  std::atomic<std::int64_t> in_use{0};
  std::atomic<long> granted{0}, gave_up{0};
  gort::run([&] {
    auto victims = gort::make_chan<gort::cancel_func>(64);
    latch cancelled(1);
    gort::go([&] {
      canceller(victims, seed);
      cancelled.count_down();
    });
    auto body = [&](int w) {
      std::mt19937_64 rng(gort_test::mix(seed + static_cast<std::uint64_t>(w)));
      for (int k = 0; k < per; ++k) {
        const std::int64_t n = 1 + static_cast<std::int64_t>(rng() % size);
        bool got;
        if (rng() % 6 == 0) {
          got = sem.try_acquire(n);
        } else {
          const stress_ctx s = pick_ctx(rng, victims);
          const std::error_code e = sem.acquire(s.ctx, n);
          EXPECT_TRUE(check_err(e, s)) << "seed " << seed << g_case;
          got = !e;
        }
        if (!got) {
          gave_up.fetch_add(1);
          continue;
        }
        granted.fetch_add(1);
        EXPECT_LE(in_use.fetch_add(n) + n, size)
            << "over-committed, seed " << seed << g_case;
        if (rng() % 8 == 0) gort::yield();
        in_use.fetch_sub(n);
        sem.release(n);
      }
    };
    constexpr int goroutines = 6, threads = 2;
    latch done(goroutines);
    for (int w = 0; w < goroutines; ++w) {
      gort::go([&, w] {
        body(w);
        done.count_down();
      });
    }
    std::vector<std::thread> ts;
    for (int w = goroutines; w < goroutines + threads; ++w)
      ts.emplace_back([&, w] { body(w); });
    gort_test::join_all(ts);
    done.wait();
    victims.close();
    cancelled.wait();
  });
  EXPECT_GT(granted.load(), 0) << g_case;
  EXPECT_GT(gave_up.load(), 0) << g_case;
  EXPECT_EQ(in_use.load(), 0) << g_case;
  expect_semaphore_clean(sem, size);
}

// ---- wait_group::wait(ctx)
// -------------------------------------------------------

TEST_P(ctx_wait_test, wait_group_wait_completes_when_the_counter_comes_first) {
  gort::run([] {
    gort::wait_group wg;
    auto [ctx, cancel] = gort::with_cancel(bg);
    EXPECT_EQ(wg.wait(ctx), ok) << "counter zero: at once" << g_case;
    for (const bool on_thread : {false, true}) {
      wg.add(2);
      waiter w(on_thread, wait_reason::sync_wait_group_wait,
               [&, ctx = ctx] { return wg.wait(ctx); });
      EXPECT_TRUE(w.wait_asleep()) << g_case;
      wg.done();
      EXPECT_TRUE(w.asleep()) << g_case;
      wg.done();
      EXPECT_EQ(recv_within(w.result), ok) << g_case;
    }
    cancel();
    EXPECT_EQ(peek(wg).state, 0u) << g_case;
    EXPECT_EQ(peek(wg).sema, 0u) << g_case;
  });
}

// After a waiter gave up (the counter still positive): it is not counted.
// The counter's last done() releases no token for it, a later round's
// waiter sleeps until that round's done(), and a wait with the counter at
// zero returns at once.
void expect_wait_group_clean(gort::wait_group& wg) {
  EXPECT_EQ(peek(wg).state >> 32, 1u) << "the counter changed" << g_case;
  EXPECT_EQ(static_cast<std::uint32_t>(peek(wg).state), 0u)
      << "a waiter that gave up is still counted" << g_case;
  wg.done();
  EXPECT_EQ(peek(wg).sema, 0u) << "a token was released for it" << g_case;
  wg.wait();
  EXPECT_EQ(wg.wait(bg), ok) << g_case;
  for (int round = 0; round < 3; ++round) {
    wg.add(1);
    waiter w(round == 1, wait_reason::sync_wait_group_wait,
             [&] { return wg.wait(bg); });
    EXPECT_TRUE(w.wait_asleep())
        << "a later round's wait returned early" << g_case;
    wg.done();
    EXPECT_EQ(recv_within(w.result), ok) << g_case;
  }
  EXPECT_EQ(peek(wg).state, 0u) << g_case;
  EXPECT_EQ(peek(wg).sema, 0u) << g_case;
}

TEST_P(ctx_wait_test,
       wait_group_wait_returns_ctx_err_when_ended_while_waiting) {
  gort::run([] {
    for (const how h : all_hows) {
      const case_note note(to_string(h));
      gort::wait_group wg;
      wg.add(1);
      const std::error_code e =
          end_while_waiting(h, wait_reason::sync_wait_group_wait,
                            [&](const gort::context& c) { return wg.wait(c); });
      EXPECT_EQ(e, expected(h)) << g_case;
      expect_wait_group_clean(wg);
    }
  });
}

TEST_P(ctx_wait_test, wait_group_wait_with_a_done_ctx_returns_at_once) {
  gort::run([] {
    for (const auto& [ctx, err] : done_contexts()) {
      gort::wait_group wg;
      EXPECT_EQ(wg.wait(ctx), err) << "counter zero, a done context" << g_case;
      wg.add(1);
      EXPECT_EQ(wg.wait(ctx), err) << "counter one, a done context" << g_case;
      expect_wait_group_clean(wg);
    }
  });
}

// Waiters that give up do not keep the others from being released.
TEST_P(ctx_wait_test, wait_group_others_are_released_after_some_give_up) {
  gort::run([] {
    gort::wait_group wg;
    wg.add(2);
    auto [c1, cancel1] = gort::with_cancel(bg);
    auto [c2, cancel2] = gort::with_cancel(bg);
    auto [live, cancel_live] = gort::with_cancel(bg);
    constexpr auto r = wait_reason::sync_wait_group_wait;
    // One at a time, each asleep before the next starts.
    waiter quit1(false, r, [&, c = c1] { return wg.wait(c); });
    EXPECT_TRUE(quit1.wait_asleep()) << g_case;
    waiter stay1(false, r, [&] { return wg.wait(bg); });
    EXPECT_TRUE(stay1.wait_asleep()) << g_case;
    waiter quit2(true, r, [&, c = c2] { return wg.wait(c); });
    EXPECT_TRUE(quit2.wait_asleep()) << g_case;
    waiter stay2(true, r, [&, c = live] { return wg.wait(c); });
    EXPECT_TRUE(stay2.wait_asleep()) << g_case;
    waiter stay3(false, r, [&, c = live] { return wg.wait(c); });
    EXPECT_TRUE(stay3.wait_asleep()) << g_case;
    cancel1();
    cancel2();
    EXPECT_EQ(recv_within(quit1.result), canceled) << g_case;
    EXPECT_EQ(recv_within(quit2.result), canceled) << g_case;
    EXPECT_EQ(static_cast<std::uint32_t>(peek(wg).state), 3u) << g_case;
    wg.done();
    EXPECT_FALSE(stay1.returned()) << g_case;
    wg.done();
    for (waiter* w : {&stay1, &stay2, &stay3})
      EXPECT_EQ(recv_within(w->result), ok) << g_case;
    EXPECT_EQ(peek(wg).state, 0u) << g_case;
    EXPECT_EQ(peek(wg).sema, 0u) << g_case;
    cancel_live();
  });
}

// Seeded stress: rounds of add(k) and k done() calls while goroutines and
// a plain thread wait with every kind of context. Every wait returns; one
// that returns empty saw all k done() calls; the next round starts when
// every wait of this one has returned (the reuse rule).
TEST_P(ctx_wait_test, wait_group_seeded_stress) {
  const std::uint64_t seed = gort_test::test_seed();
  const int rounds = static_cast<int>(gort_test::scaled(300, 80, 20));
  gort::wait_group wg;
  std::atomic<long> completed{0}, gave_up{0};
  gort::run([&] {
    auto victims = gort::make_chan<gort::cancel_func>(64);
    latch cancelled(1);
    gort::go([&] {
      canceller(victims, seed);
      cancelled.count_down();
    });
    std::mt19937_64 rng(seed);
    for (int round = 0; round < rounds; ++round) {
      const int k = 1 + static_cast<int>(rng() % 4);
      std::atomic<int> dones{0};
      wg.add(k);
      constexpr int goroutines = 5, threads = 1;
      latch finished(goroutines + k);
      auto wait_one = [&](std::uint64_t stream) {
        std::mt19937_64 r(gort_test::mix(seed ^ stream));
        const stress_ctx s = pick_ctx(r, victims);
        const std::error_code e = wg.wait(s.ctx);
        EXPECT_TRUE(check_err(e, s)) << "seed " << seed << g_case;
        if (e) {
          gave_up.fetch_add(1);
        } else {
          completed.fetch_add(1);
          EXPECT_EQ(dones.load(), k)
              << "returned early, seed " << seed << g_case;
        }
      };
      for (int w = 0; w < goroutines; ++w) {
        gort::go([&, w] {
          wait_one(static_cast<std::uint64_t>(round * 64 + w));
          finished.count_down();
        });
      }
      std::vector<std::thread> ts;
      for (int w = 0; w < threads; ++w)
        ts.emplace_back([&, w] {
          wait_one(static_cast<std::uint64_t>(round * 64 + 32 + w));
        });
      for (int d = 0; d < k; ++d) {
        const int yields = static_cast<int>(rng() % 3) + d;
        gort::go([&, yields] {
          for (int y = yields; y > 0; --y) gort::yield();
          dones.fetch_add(1);
          wg.done();
          finished.count_down();
        });
      }
      gort_test::join_all(ts);
      finished.wait();
    }
    victims.close();
    cancelled.wait();
  });
  EXPECT_GT(completed.load(), 0) << g_case;
  EXPECT_GT(gave_up.load(), 0) << g_case;
  EXPECT_EQ(peek(wg).state, 0u) << "seed " << seed << g_case;
  EXPECT_EQ(peek(wg).sema, 0u) << "seed " << seed << g_case;
  EXPECT_EQ(wg.wait(bg), ok) << g_case;
}

// ---- cond::wait(lock, ctx)
// -------------------------------------------------------

TEST_P(ctx_wait_test, cond_wait_completes_when_signalled_first) {
  gort::run([] {
    gort::mutex mu;
    gort::cond cv;
    auto [ctx, cancel] = gort::with_cancel(bg);
    for (const bool on_thread : {false, true}) {
      for (const bool broadcast : {false, true}) {
        waiter w(on_thread, wait_reason::sync_cond_wait, [&, ctx = ctx] {
          std::unique_lock<gort::mutex> lk(mu);
          const std::error_code e = cv.wait(lk, ctx);
          EXPECT_TRUE(lk.owns_lock()) << g_case;
          return e;
        });
        EXPECT_TRUE(w.wait_asleep()) << g_case;
        if (broadcast) {
          cv.broadcast();
        } else {
          cv.signal();
        }
        EXPECT_EQ(recv_within(w.result), ok) << g_case;
      }
    }
    cancel();
    EXPECT_TRUE(mu.try_lock()) << g_case;
    mu.unlock();
  });
}

// wait_in_cond waits on cv under mu with ctx, checks that it holds the
// mutex again on return, and releases it.
std::error_code wait_in_cond(gort::mutex& mu, gort::cond& cv,
                             const gort::context& ctx) {
  std::unique_lock<gort::mutex> lk(mu);
  const std::error_code e = cv.wait(lk, ctx);
  EXPECT_TRUE(lk.owns_lock()) << g_case;
  EXPECT_FALSE(mu.try_lock()) << "returned without the mutex" << g_case;
  return e;
}

TEST_P(ctx_wait_test, cond_wait_returns_ctx_err_when_ended_while_waiting) {
  gort::run([] {
    for (const how h : all_hows) {
      const case_note note(to_string(h));
      gort::mutex mu;
      gort::cond cv;
      const std::error_code e = end_while_waiting(
          h, wait_reason::sync_cond_wait,
          [&](const gort::context& c) { return wait_in_cond(mu, cv, c); });
      EXPECT_EQ(e, expected(h)) << g_case;
      EXPECT_TRUE(mu.try_lock()) << g_case;
      mu.unlock();
      // The cancelled waiter left the queue: the next waiter gets the
      // next signal.
      cv.signal();  // nobody waits: lost, as in Go
      waiter w(false, wait_reason::sync_cond_wait,
               [&] { return wait_in_cond(mu, cv, bg); });
      EXPECT_TRUE(w.wait_asleep()) << g_case;
      cv.signal();
      EXPECT_EQ(recv_within(w.result), ok) << g_case;
    }
  });
}

TEST_P(ctx_wait_test, cond_wait_with_a_done_ctx_returns_at_once) {
  gort::run([] {
    for (const auto& [ctx, err] : done_contexts()) {
      gort::mutex mu;
      gort::cond cv;
      std::unique_lock<gort::mutex> lk(mu);
      EXPECT_EQ(cv.wait(lk, ctx), err) << g_case;
      EXPECT_TRUE(lk.owns_lock()) << g_case;
      lk.unlock();
      EXPECT_TRUE(gort_test::throws_usage_error([&] { (void)cv.wait(lk, ctx); },
                                                "without holding the lock"))
          << g_case;
      waiter w(false, wait_reason::sync_cond_wait,
               [&] { return wait_in_cond(mu, cv, bg); });
      EXPECT_TRUE(w.wait_asleep()) << g_case;
      cv.signal();
      EXPECT_EQ(recv_within(w.result), ok) << g_case;
    }
  });
}

// Three waiters in order; one gives up (the first, or the middle one):
// each signal after that wakes the longest remaining waiter, and none is
// swallowed by the waiter that left.
TEST_P(ctx_wait_test, cond_cancelled_waiter_does_not_swallow_a_signal) {
  gort::run([] {
    for (const int quitter : {0, 1}) {
      for (const bool on_thread : {false, true}) {
        const case_note note(std::string(quitter ? "middle" : "first") +
                             " quits, " +
                             (on_thread ? "a plain thread" : "a goroutine"));
        gort::mutex mu;
        gort::cond cv;
        auto [ctx, cancel] = gort::with_cancel(bg);
        auto [live, cancel_live] = gort::with_cancel(bg);
        std::vector<std::unique_ptr<waiter>> ws;
        for (int i = 0; i < 3; ++i) {  // one at a time: FIFO order known
          const gort::context c = i == quitter ? ctx : live;
          ws.push_back(std::make_unique<waiter>(
              i == quitter && on_thread, wait_reason::sync_cond_wait,
              [&, c] { return wait_in_cond(mu, cv, c); }));
          EXPECT_TRUE(ws.back()->wait_asleep()) << g_case;
        }
        cancel();
        EXPECT_EQ(recv_within(ws[quitter]->result), canceled) << g_case;
        for (int i = 0; i < 3; ++i) {
          if (i == quitter) continue;
          cv.signal();
          EXPECT_EQ(recv_within(ws[i]->result), ok)
              << "waiter " << i << " missed its signal" << g_case;
          for (int j = i + 1; j < 3; ++j) {
            if (j != quitter) {
              EXPECT_FALSE(ws[j]->returned()) << "not FIFO" << g_case;
            }
          }
        }
        cancel_live();
      }
    }
  });
}

// Seeded stress: producers push items and signal once each; consumers wait
// on a predicate with every kind of context (some leave after one wait
// whatever happened); at the end every item was consumed (no signal lost),
// no more successful wakes than signals, and three fresh waiters take
// exactly three signals (nothing of the cancelled ones is left queued).
TEST_P(ctx_wait_test, cond_seeded_stress) {
  const std::uint64_t seed = gort_test::test_seed();
  const int items = static_cast<int>(gort_test::scaled(20'000, 5'000, 800));
  gort::mutex mu;
  gort::cond cv;
  std::deque<int> q;
  long produced = 0, consumed = 0;  // under mu
  bool stop = false;                // under mu
  std::atomic<long> signals{0}, wakes{0}, gave_up{0};
  gort::run([&] {
    auto victims = gort::make_chan<gort::cancel_func>(64);
    latch cancelled(1);
    gort::go([&] {
      canceller(victims, seed);
      cancelled.count_down();
    });
    auto [live, cancel_live] = gort::with_cancel(bg);
    std::atomic<bool> producing{true};
    // A persistent consumer takes items until stop.
    auto consume = [&, live = live](std::uint64_t stream) {
      std::mt19937_64 rng(gort_test::mix(seed ^ stream));
      std::unique_lock<gort::mutex> lk(mu);
      for (;;) {
        while (q.empty() && !stop) {
          // While items are still coming, any context; afterwards only one
          // that never ends, so that a lost signal leaves an item behind.
          lk.unlock();
          const stress_ctx s =
              producing.load() ? pick_ctx(rng, victims) : stress_ctx{live, {}};
          lk.lock();
          if (!q.empty() || stop) break;
          const std::error_code e = cv.wait(lk, s.ctx);
          EXPECT_TRUE(check_err(e, s)) << "seed " << seed << g_case;
          if (e) {
            gave_up.fetch_add(1);
          } else if (!stop) {
            wakes.fetch_add(1);
          }
        }
        if (q.empty()) return;  // stop
        q.pop_front();
        ++consumed;
      }
    };
    // A flaky waiter waits once, with a short timeout or a cancel; if
    // woken it takes an item if there is one, and leaves either way.
    auto flaky = [&](std::uint64_t stream) {
      std::mt19937_64 rng(gort_test::mix(seed ^ stream));
      for (int i = 0; i < items / 20; ++i) {
        const stress_ctx s = pick_ctx(rng, victims, false);
        std::unique_lock<gort::mutex> lk(mu);
        if (stop) return;
        const std::error_code e = cv.wait(lk, s.ctx);
        EXPECT_TRUE(check_err(e, s)) << "seed " << seed << g_case;
        if (e) {
          gave_up.fetch_add(1);
          continue;
        }
        if (!stop) wakes.fetch_add(1);
        if (!q.empty()) {
          q.pop_front();
          ++consumed;
        }
      }
    };
    auto produce = [&](std::uint64_t stream, int n) {
      std::mt19937_64 rng(gort_test::mix(seed ^ stream));
      for (int i = 0; i < n; ++i) {
        {
          std::lock_guard<gort::mutex> g(mu);
          q.push_back(i);
          ++produced;
        }
        signals.fetch_add(1);
        cv.signal();
        if (rng() % 4 == 0) gort::yield();
      }
    };
    constexpr int consumers = 3, flakies = 3, producers = 3;
    latch consumers_done(consumers);
    latch others_done(flakies + producers);
    std::vector<std::thread> consumer_threads, other_threads;
    for (int i = 0; i < consumers; ++i) {
      gort::go([&, i] {
        consume(static_cast<std::uint64_t>(100 + i));
        consumers_done.count_down();
      });
    }
    consumer_threads.emplace_back([&] { consume(150); });
    for (int i = 0; i < flakies; ++i) {
      gort::go([&, i] {
        flaky(static_cast<std::uint64_t>(200 + i));
        others_done.count_down();
      });
    }
    other_threads.emplace_back([&] { flaky(250); });
    const int per = items / (producers + 1);
    for (int i = 0; i < producers; ++i) {
      gort::go([&, i] {
        produce(static_cast<std::uint64_t>(300 + i), per);
        others_done.count_down();
      });
    }
    other_threads.emplace_back([&] { produce(350, per); });
    gort_test::join_all(other_threads);
    others_done.wait();
    producing.store(false);
    // Every item is taken, by the persistent consumers if nobody else: a
    // signal that a waiter leaving swallowed would strand one.
    EXPECT_TRUE(gort_test::eventually([&] {
      std::lock_guard<gort::mutex> g(mu);
      return consumed == produced;
    })) << "items left: a signal was lost, seed "
        << seed << g_case;
    {
      std::lock_guard<gort::mutex> g(mu);
      EXPECT_EQ(produced, static_cast<long>(per) * (producers + 1)) << g_case;
      stop = true;
    }
    cv.broadcast();
    gort_test::join_all(consumer_threads);
    consumers_done.wait();
    EXPECT_LE(wakes.load(), signals.load()) << "seed " << seed << g_case;
    // Nothing of the waiters that left is queued: three new waiters take
    // three signals, one each.
    std::vector<std::unique_ptr<waiter>> ws;
    for (int i = 0; i < 3; ++i) {
      ws.push_back(std::make_unique<waiter>(
          i == 2, wait_reason::sync_cond_wait,
          [&, live = live] { return wait_in_cond(mu, cv, live); }));
      EXPECT_TRUE(ws.back()->wait_asleep()) << g_case;
    }
    for (auto& w : ws) {
      cv.signal();
      EXPECT_EQ(recv_within(w->result), ok) << "seed " << seed << g_case;
    }
    cancel_live();
    victims.close();
    cancelled.wait();
  });
  EXPECT_GT(gave_up.load(), 0) << g_case;
}

// ---- sleep(ctx, d)
// -------------------------------------------------------------

TEST_P(ctx_wait_test, sleep_completes_when_the_time_passes_first) {
  gort::run([] {
    auto [ctx, cancel] = gort::with_cancel(bg);
    auto [timed, cancel_timed] = gort::with_timeout(bg, 1h);
    for (const gort::context& c : {bg, ctx, timed}) {
      const auto t0 = std::chrono::steady_clock::now();
      EXPECT_EQ(gort::sleep(c, 2ms), ok) << g_case;
      EXPECT_GE(std::chrono::steady_clock::now() - t0, 2ms)
          << "woke early" << g_case;
      EXPECT_EQ(gort::sleep(c, 0ns), ok) << g_case;
      EXPECT_EQ(gort::sleep(c, -1s), ok) << g_case;
    }
    for (const bool on_thread : {false, true}) {
      waiter w(on_thread, wait_reason::select,
               [ctx = ctx] { return gort::sleep(ctx, 3ms); });
      EXPECT_EQ(recv_within(w.result), ok) << g_case;
    }
    cancel();
    cancel_timed();
  });
}

TEST_P(ctx_wait_test, sleep_returns_ctx_err_when_ended_while_sleeping) {
  gort::run([] {
    for (const how h : all_hows) {
      const case_note note(to_string(h));
      const std::size_t base = gort_test::pending_timers();
      const auto t0 = std::chrono::steady_clock::now();
      const std::error_code e = end_while_waiting(
          h, wait_reason::select,
          [](const gort::context& c) { return gort::sleep(c, 1h); });
      EXPECT_EQ(e, expected(h)) << g_case;
      EXPECT_LT(std::chrono::steady_clock::now() - t0, gort_test::watchdog)
          << g_case;
      // The hour's timer is gone (so it will not fire later), and so is
      // the deadline's.
      EXPECT_TRUE(gort_test::eventually([base] {
        return gort_test::pending_timers() <= base;
      })) << gort_test::pending_timers() - base
          << " timers left behind" << g_case;
    }
  });
}

TEST_P(ctx_wait_test, sleep_with_a_done_ctx_returns_at_once) {
  gort::run([] {
    for (const auto& [ctx, err] : done_contexts()) {
      EXPECT_EQ(gort::sleep(ctx, 1h), err) << g_case;
      EXPECT_EQ(gort::sleep(ctx, 0ns), err) << g_case;
    }
  });
}

}  // namespace
