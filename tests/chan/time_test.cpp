// Time channels (gort/time.hpp): after, tick, timer and ticker. Timing is
// checked only from below (nothing arrives early) and with generous upper
// bounds; "nothing arrives" is a select against a later after(). Go 1.23
// semantics: size() and capacity() are 0, a slow ticker receiver loses
// ticks, and after stop() or reset() no value from before the call is
// received.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <functional>
#include <optional>
#include <thread>
#include <vector>

#include <unistd.h>

#include <gtest/gtest.h>

#include "gort/chan.hpp"
#include "gort/select.hpp"
#include "gort/time.hpp"
#include "sched/internal/latch.hpp"
#include "support/procs_fixture.hpp"
#include "support/sanitizer.hpp"
#include "support/watchdog.hpp"

namespace {

using namespace std::chrono_literals;
using gort::case_default;
using gort::case_recv;
using gort::time_point;
using gort::internal::latch;
using clock_type = std::chrono::steady_clock;
using ns = std::chrono::nanoseconds;

constexpr auto slack = gort_test::under_sanitizer ? 20s : 2s;

class time_test : public gort_test::procs_fixture {};
GORT_INSTANTIATE_PROCS(time_test);

// arrives_within receives from c, waiting at most d; false if nothing came.
bool arrives_within(const gort::recv_chan<time_point>& c, ns d) {
  return gort::select(case_recv(c), case_recv(gort::after(d))) == 0;
}

// ready_now receives from c if a value is there, without waiting.
bool ready_now(const gort::recv_chan<time_point>& c) {
  return gort::select(case_recv(c), case_default()) == 0;
}

void expect_size_zero(const gort::recv_chan<time_point>& c) {
  EXPECT_EQ(c.size(), 0u);
  EXPECT_EQ(c.capacity(), 0u);
}

void after_delivers_once() {
  const auto t0 = clock_type::now();
  auto c = gort::after(20ms);
  expect_size_zero(c);
  const auto v = c.recv();
  const auto t1 = clock_type::now();
  ASSERT_TRUE(v);
  EXPECT_GE(*v, t0 + 20ms) << "delivered a time before start + d";
  EXPECT_LE(*v, t1) << "delivered a time from the future";
  EXPECT_GE(t1 - t0, 20ms);
  EXPECT_LT(t1 - t0, 20ms + slack);
  EXPECT_FALSE(arrives_within(c, 50ms)) << "after delivered twice";
}

TEST_P(time_test, after_delivers_once_and_not_early) {
  gort::run(after_delivers_once);
  after_delivers_once();  // from this plain thread
}

TEST_P(time_test, after_zero_or_negative_fires_at_once) {
  gort::run([] {
    for (ns d : {ns(0), ns(-1ms), ns(-1h), ns::min()}) {
      const auto t0 = clock_type::now();
      EXPECT_TRUE(gort::after(d).recv()) << d.count();
      EXPECT_LT(clock_type::now() - t0, slack) << d.count();
    }
  });
}

// now + d overflows for the largest durations; such a timer must be far in
// the future, not in the past (Go's when() clamps).
TEST_P(time_test, after_of_the_largest_duration_never_fires) {
  gort::run([] {
    EXPECT_FALSE(arrives_within(gort::after(ns::max()), 20ms));
    gort::timer t(ns::max());
    EXPECT_FALSE(arrives_within(t.c(), 20ms));
    EXPECT_TRUE(t.stop()) << "a timer for ns::max() is pending";
  });
}

// The i-th tick received is at least i periods after the start.
TEST_P(time_test, tick_delivers_repeatedly_and_tick_of_zero_is_nil) {
  gort::run([] {
    const auto t0 = clock_type::now();
    auto c = gort::tick(2ms);
    expect_size_zero(c);
    time_point prev = t0;
    for (int i = 1; i <= 5; ++i) {
      const auto v = c.recv();
      ASSERT_TRUE(v);
      EXPECT_GE(*v, t0 + i * 2ms) << "tick " << i << " early";
      EXPECT_GT(*v, prev);
      prev = *v;
    }
    EXPECT_LT(clock_type::now() - t0, 10ms + slack);
    EXPECT_TRUE(gort::tick(0ns).nil());
    EXPECT_TRUE(gort::tick(-1ms).nil());
  });
}

TEST_P(time_test, timer_fires_once_then_stop_returns_false) {
  gort::run([] {
    const auto t0 = clock_type::now();
    gort::timer t(10ms);
    expect_size_zero(t.c());
    const auto v = t.c().recv();
    ASSERT_TRUE(v);
    EXPECT_GE(*v, t0 + 10ms);
    EXPECT_FALSE(t.stop()) << "the timer had fired";
    EXPECT_FALSE(arrives_within(t.c(), 30ms)) << "fired twice";
  });
}

// Go 1.23: a timer channel is synchronous to the program, so a timer that
// fired while nobody received has not delivered; stop() discards the value
// and reports it stopped the timer.
TEST_P(time_test, stop_of_a_fired_but_unreceived_timer_returns_true) {
  gort::run([] {
    gort::timer t(1ms);
    // Wait until the timer has left the heap (fired into its slot).
    gort::timer guard(1h);  // keeps one pending timer: ours is the other
    const auto deadline = clock_type::now() + 5s;
    while (clock_type::now() < deadline) {
      std::size_t n = 0;
      for (const auto& p : gort::stats().procs) n += p.timers;
      if (n <= 1) break;
      gort::sleep(1ms);
    }
    EXPECT_TRUE(t.stop()) << "an undelivered value counts as pending";
    EXPECT_FALSE(t.stop());
    EXPECT_FALSE(arrives_within(t.c(), 30ms)) << "stale value after stop";
    EXPECT_TRUE(guard.stop());
  });
}

TEST_P(time_test, stopping_a_pending_timer_returns_true_and_nothing_arrives) {
  gort::run([] {
    gort::timer t(20ms);
    EXPECT_TRUE(t.stop());
    EXPECT_FALSE(t.stop()) << "already stopped";
    EXPECT_FALSE(arrives_within(t.c(), 100ms)) << "a stopped timer fired";
  });
}

TEST_P(time_test, reset_makes_a_fired_stopped_or_pending_timer_fire_again) {
  gort::run([] {
    gort::timer fired(1ms);
    ASSERT_TRUE(fired.c().recv());
    gort::timer stopped(1h);
    EXPECT_TRUE(stopped.stop());
    gort::timer pending(1h);
    const auto t0 = clock_type::now();
    EXPECT_FALSE(fired.reset(5ms));
    EXPECT_FALSE(stopped.reset(5ms));
    EXPECT_TRUE(pending.reset(5ms));
    for (gort::timer* t : {&fired, &stopped, &pending}) {
      const auto v = t->c().recv();
      ASSERT_TRUE(v);
      EXPECT_GE(*v, t0 + 5ms);
      EXPECT_LT(clock_type::now() - t0, 5ms + slack);
      expect_size_zero(t->c());
    }
  });
}

// Go 1.23: a timer that fired with nobody receiving holds its value (and
// still reports size 0); stop() or reset() discards it.
TEST_P(time_test, no_stale_value_after_stop_or_reset) {
  gort::run([] {
    gort::timer reset_me(1ms), stop_me(1ms);
    gort::ticker tick_reset(1ms), tick_stop(1ms);
    gort::timer kept(1ms);
    gort::sleep(20ms);  // all have fired at least once, none received
    expect_size_zero(reset_me.c());
    expect_size_zero(tick_reset.c());
    reset_me.reset(1h);
    stop_me.stop();
    tick_reset.reset(1h);
    tick_stop.stop();
    EXPECT_FALSE(ready_now(reset_me.c())) << "stale value after reset";
    EXPECT_FALSE(ready_now(stop_me.c())) << "stale value after stop";
    EXPECT_FALSE(ready_now(tick_reset.c())) << "stale tick after reset";
    EXPECT_FALSE(ready_now(tick_stop.c())) << "stale tick after stop";
    EXPECT_TRUE(arrives_within(kept.c(), slack))
        << "an unreceived value was lost";
  });
}

// Ticks are dropped, not queued, for a slow receiver: after 50 periods
// without receiving, a drain finds at most one tick, plus any that fall due
// while it runs; then ticks go on.
TEST_P(time_test, ticker_drops_ticks_for_a_slow_receiver) {
  gort::run([] {
    gort::ticker k(1ms);
    gort::sleep(50ms);
    const auto t0 = clock_type::now();
    int n = 0;
    while (ready_now(k.c()) && n < 100) ++n;
    const auto drain = clock_type::now() - t0;
    EXPECT_LE(n, 2 + drain / 1ms) << "ticks piled up";
    EXPECT_TRUE(k.c().recv()) << "no tick after the drain";
  });
}

TEST_P(time_test, ticker_stop_returns_true_then_false_and_ticks_end) {
  gort::run([] {
    gort::ticker k(1ms);
    ASSERT_TRUE(k.c().recv());
    EXPECT_TRUE(k.stop());
    EXPECT_FALSE(k.stop());
    EXPECT_FALSE(arrives_within(k.c(), 30ms)) << "tick after stop";
  });
}

TEST_P(time_test, ticker_reset_changes_the_period) {
  gort::run([] {
    gort::ticker k(1h);
    const auto t0 = clock_type::now();
    k.reset(5ms);
    for (int i = 1; i <= 3; ++i) {
      const auto v = k.c().recv();
      ASSERT_TRUE(v);
      EXPECT_GE(*v, t0 + i * 5ms);
    }
    EXPECT_LT(clock_type::now() - t0, 15ms + slack);
    k.reset(1h);
    EXPECT_FALSE(arrives_within(k.c(), 30ms)) << "the old period goes on";
  });
}

// A receiver already blocked on c() sees a reset that brings the timer
// or ticker forward from an hour to 5 ms.
TEST_P(time_test, reset_reaches_a_receiver_already_waiting) {
  gort::run([] {
    gort::timer t(1h);
    gort::ticker k(1h);
    std::atomic<int> got{0};
    latch done(2);
    for (const auto* c : {&t.c(), &k.c()}) {
      gort::go([&, c] {
        if (c->recv()) ++got;
        done.count_down();
      });
    }
    EXPECT_TRUE(gort_test::eventually([] {
      return gort_test::parked_for(gort::stats(),
                                   gort::wait_reason::chan_receive) == 2;
    }));
    const auto t0 = clock_type::now();
    t.reset(5ms);
    k.reset(5ms);
    done.wait();
    EXPECT_EQ(got.load(), 2);
    EXPECT_GE(clock_type::now() - t0, 5ms);
    EXPECT_LT(clock_type::now() - t0, 5ms + slack);
  });
}

// stop() racing with the firing, with a receiver waiting: if stop()
// returns true the timer had not fired, so the receiver got nothing; and
// after stop() nothing arrives either way.
TEST_P(time_test, stop_racing_the_firing_is_consistent) {
  const int n = static_cast<int>(gort_test::scaled(2'000, 500, 200));
  std::atomic<int> both{0}, stopped{0}, received{0};
  gort::run([&] {
    for (int i = 0; i < n; ++i) {
      gort::timer t(std::chrono::microseconds(i % 200));
      auto quit = gort::make_chan<int>();
      std::atomic<bool> got{false};
      latch done(1);
      gort::go([&] {
        got = gort::select(case_recv(t.c()), case_recv(quit)) == 0;
        done.count_down();
      });
      gort::sleep(std::chrono::microseconds(i % 150));
      const bool s = t.stop();
      quit.close();
      done.wait();
      both += s && got;
      stopped += s;
      received += got;
      EXPECT_FALSE(ready_now(t.c())) << "a value arrived after stop()";
    }
  });
  EXPECT_EQ(both.load(), 0) << "stop() returned true, yet the value came";
  EXPECT_GT(stopped.load() + received.load(), 0);
}

TEST_P(time_test, ticker_of_zero_or_negative_period_throws) {
  EXPECT_THROW(gort::ticker{0ns}, gort::usage_error);
  EXPECT_THROW(gort::ticker{-1ms}, gort::usage_error);
  gort::ticker k(1h);
  EXPECT_THROW(k.reset(0ns), gort::usage_error);
  EXPECT_THROW(k.reset(-5ms), gort::usage_error);
}

std::size_t pending_timers() {
  std::size_t n = 0;
  for (const auto& p : gort::stats().procs) n += p.timers;
  return n;
}

// A time channel nothing refers to stops its timer (time.hpp): dropping
// 10,000 after(1h) leaves no timer behind, and channels dropped before or
// while they fire, or abandoned by a select, are freed cleanly (ASan).
TEST_P(time_test, dropped_time_channels_stop_their_timers) {
  constexpr std::size_t n = 10'000;
  gort::run([] {
    const std::size_t base = pending_timers();
    {
      std::vector<gort::recv_chan<time_point>> held;
      for (std::size_t i = 0; i < n; ++i) held.push_back(gort::after(1h));
      EXPECT_GE(pending_timers(), base + n) << "stats() misses the timers";
    }
    for (std::size_t i = 0; i < n; ++i) (void)gort::after(1h);
    EXPECT_TRUE(gort_test::eventually([base] {
      return pending_timers() <= base + 10;
    })) << pending_timers()
        << " timers pending after their channels went";
    for (int i = 0; i < 1'000; ++i)
      (void)gort::after(std::chrono::microseconds(i % 50));
    { gort::timer t(1ms); }
    { gort::ticker k(1ms); }
    auto c = gort::make_chan<int>(1);
    for (int i = 0; i < 100; ++i) {  // the after() loses, mostly
      c.send(i);
      if (gort::select(case_recv(c), case_recv(gort::after(1ms))) == 1)
        (void)c.recv();
    }
    gort::sleep(20ms);  // whatever fires now finds its channel gone
  });
}

// Regression: a time channel dropped while its timer is firing must wait
// for the firing before freeing it. remove_sync once saw the timer gone from
// its heap without seeing it running, and freed it under the firing
// (TSan: data race in run_expired against chan_unref's delete). Many tiny
// timers dropped at once keep the two racing.
TEST_P(time_test, dropping_a_time_channel_while_it_fires_is_safe) {
  const int per = static_cast<int>(gort_test::scaled(20'000, 5'000, 3'000));
  gort::run([per] {
    gort::internal::latch done(4);
    for (int g = 0; g < 4; ++g) {
      gort::go([&done, per] {
        for (int i = 0; i < per; ++i)
          (void)gort::after(std::chrono::nanoseconds(i % 3'000));
        done.count_down();
      });
    }
    done.wait();
  });
}

// after, timer, ticker and a select with a timeout, from a plain thread.
void plain_thread_timers(std::atomic<int>& ok) {
  const auto t0 = clock_type::now();
  const auto v = gort::after(5ms).recv();
  gort::timer t(5ms);
  gort::ticker k(1ms);
  const bool timer_ok = t.c().recv().has_value();
  const bool ticks_ok = k.c().recv() && k.c().recv() && k.stop();
  const bool sel_ok = gort::select(case_recv(gort::make_chan<int>()),
                                   case_recv(gort::after(5ms))) == 1;
  if (v && *v >= t0 + 5ms && timer_ok && ticks_ok && sel_ok) ++ok;
}

TEST_P(time_test, time_channels_work_from_plain_threads) {
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back(plain_thread_timers, std::ref(ok));
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 4);
}

// In a fresh process (threadsafe death-test style re-executes the binary),
// a plain thread uses time channels before anything has started the
// runtime.
TEST(time_fresh_process_test, time_channels_work_before_any_run) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        ::alarm(60);  // a hang kills the child: the test fails
        std::atomic<int> ok{0};
        std::thread(plain_thread_timers, std::ref(ok)).join();
        std::_Exit(ok.load() == 1 ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

}  // namespace
