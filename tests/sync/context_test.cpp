// gort::context, Go's context package: background; with_cancel trees (who
// is cancelled, err() and its messages, cancel_func's copy / const /
// concurrent use, done() in select and range-for); with_deadline and
// with_timeout (expiry, deadlines inherited from parents, the first error
// winning, dropped contexts never firing); typed values; a long-lived
// parent holding none of a million short-lived children; a chain 100,000
// deep on a goroutine's small stack; a seeded stress test of random trees;
// and all of it from plain threads, also in a process that never called run.
//
// The white-box check of detaching arms a probe hook of the test's own on
// the parent (sync/internal/cancel.hpp): hooks are an intrusive list, so
// the probe's neighbours say whether anything else is still registered.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <system_error>
#include <thread>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include "gort/chan.hpp"
#include "gort/context.hpp"
#include "gort/sched.hpp"
#include "gort/select.hpp"
#include "gort/stats.hpp"
#include "gort/time.hpp"
#include "sched/internal/latch.hpp"
#include "support/plain_threads.hpp"
#include "support/procs_fixture.hpp"
#include "support/sanitizer.hpp"
#include "support/seed.hpp"
#include "support/timer_count.hpp"
#include "support/watchdog.hpp"
#include "sync/internal/cancel.hpp"

namespace {

using gort::internal::latch;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

const gort::context bg = gort::context::background();

// closed_now reports whether c.done() is closed, without waiting.
bool closed_now(const gort::context& c) {
  const gort::recv_chan<std::monostate> d = c.done();
  if (d.nil()) return false;
  bool closed = false;
  gort::select(
      gort::case_recv(
          d, [&](std::optional<std::monostate> v) { closed = !v.has_value(); }),
      gort::case_default());
  return closed;
}

// rss_bytes is the process's resident set size (/proc/self/statm).
std::size_t rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

// probe is a cancel hook of the test's own, armed on ctx's nearest
// cancellable node. Hooks go in front of the node's intrusive list, so
// once every hook armed after the probe has left, the probe has no
// neighbours: alone() is the proof that the node holds nothing else.
// Read only while nothing else touches the node.
struct probe {
  explicit probe(const gort::context& ctx) {
    hook.fn = [](gort::internal::cancel_hook* h) noexcept {
      static_cast<probe*>(h->owner)->fired.fetch_add(1);
    };
    hook.owner = this;
    armed = gort::internal::arm(ctx, hook);
  }
  probe(const probe&) = delete;
  probe& operator=(const probe&) = delete;
  ~probe() { gort::internal::disarm(hook); }

  bool alone() const { return hook.prev == nullptr && hook.next == nullptr; }

  gort::internal::cancel_hook hook;
  std::atomic<int> fired{0};
  bool armed = false;
};

// in_goroutine runs f on a fresh goroutine (a small stack) and waits.
template <class F>
void in_goroutine(F f) {
  latch done(1);
  gort::go([&] {
    f();
    done.count_down();
  });
  done.wait();
}

// ---- background and errc ------------------------------------------------

TEST(context_basics, background_is_never_done_and_holds_nothing) {
  gort::context_key<int> key;
  for (const gort::context& c :
       {bg, gort::context(), gort::with_value(bg, key, 1)}) {
    EXPECT_FALSE(c.err());
    EXPECT_EQ(c.err(), std::error_code());
    EXPECT_EQ(c.deadline(), std::nullopt);
    EXPECT_TRUE(c.done().nil()) << "done() of background is the nil channel";
    // A receive on the nil channel never proceeds: select takes the default.
    EXPECT_EQ(gort::select(gort::case_recv(c.done()), gort::case_default()),
              1u);
  }
  EXPECT_EQ(bg.value(key), nullptr);
  gort::context_key<std::string> skey;
  EXPECT_EQ(bg.value(skey), nullptr);
  gort::cancel_func none;
  none();  // a default-constructed cancel_func does nothing
}

TEST(context_basics, errc_is_an_error_code_enum_with_gos_messages) {
  static_assert(std::is_error_code_enum_v<gort::errc>);
  const std::error_code canceled = gort::errc::canceled;
  const std::error_code expired = gort::errc::deadline_exceeded;
  EXPECT_TRUE(canceled);
  EXPECT_TRUE(canceled == gort::errc::canceled);  // compiles, as API.md says
  EXPECT_FALSE(canceled == gort::errc::deadline_exceeded);
  EXPECT_NE(canceled, expired);
  EXPECT_EQ(canceled.message(), "context canceled");
  EXPECT_EQ(expired.message(), "context deadline exceeded");
  EXPECT_STREQ(canceled.category().name(), "context");
  EXPECT_EQ(&canceled.category(), &gort::context_category());
  EXPECT_EQ(&expired.category(), &gort::context_category());
}

// ---- with_value -----------------------------------------------------------

gort::context_key<int> g_int_a;  // namespace-scope keys, as in a library
gort::context_key<int> g_int_b;

TEST(context_basics, values_nearest_wins_through_cancels_and_deadlines) {
  gort::context_key<std::string> name;
  const gort::context v1 = gort::with_value(bg, g_int_a, 1);
  auto [c1, cancel1] = gort::with_cancel(v1);
  const gort::context v2 = gort::with_value(c1, g_int_b, 2);
  auto [d1, cancel_d1] = gort::with_timeout(v2, 1h);
  const gort::context v3 = gort::with_value(d1, g_int_a, 3);
  const gort::context v4 = gort::with_value(v3, name, "gort");
  auto [leaf, cancel_leaf] = gort::with_cancel(v4);

  // Nearest wins; two keys of the same type do not collide.
  ASSERT_NE(leaf.value(g_int_a), nullptr);
  EXPECT_EQ(*leaf.value(g_int_a), 3);
  ASSERT_NE(leaf.value(g_int_b), nullptr);
  EXPECT_EQ(*leaf.value(g_int_b), 2);
  ASSERT_NE(leaf.value(name), nullptr);
  EXPECT_EQ(*leaf.value(name), "gort");
  EXPECT_EQ(*d1.value(g_int_a), 1);  // above v3: the older value
  EXPECT_EQ(v1.value(g_int_b), nullptr);
  EXPECT_EQ(v3.value(name), nullptr);
  gort::context_key<int> unused;
  EXPECT_EQ(leaf.value(unused), nullptr) << "a key nobody set";
  // The pointer is the stored value, the same through every descendant.
  EXPECT_EQ(leaf.value(g_int_b), d1.value(g_int_b));
  EXPECT_EQ(leaf.value(g_int_b), v2.value(g_int_b));

  // Values do not change cancellation: a value node answers for the
  // nearest cancellable node above it.
  cancel1();
  EXPECT_EQ(v2.err(), gort::errc::canceled);
  EXPECT_EQ(v4.err(), gort::errc::canceled);
  EXPECT_FALSE(v1.err());
  EXPECT_EQ(*leaf.value(g_int_a), 3) << "values survive cancellation";
  EXPECT_EQ(v4.deadline(), d1.deadline());
  cancel_d1();
  cancel_leaf();
}

// counted counts live instances, to show that values die with their
// contexts (no leak, no double destruction).
struct counted {
  static inline std::atomic<long> alive{0};
  int v = 0;
  explicit counted(int x) : v(x) { ++alive; }
  counted(const counted& o) : v(o.v) { ++alive; }
  counted(counted&& o) noexcept : v(o.v) { ++alive; }
  ~counted() { --alive; }
};

TEST(context_basics, values_may_be_move_only_or_non_trivial) {
  gort::context_key<std::unique_ptr<int>> owner;
  gort::context_key<std::string> text;
  gort::context_key<counted> count;
  const long before = counted::alive.load();
  {
    std::string lvalue(1000, 'x');  // copied, not moved from
    gort::context c = gort::with_value(bg, owner, std::make_unique<int>(42));
    c = gort::with_value(c, text, lvalue);
    c = gort::with_value(c, count, counted(7));
    auto [cc, cancel] = gort::with_cancel(c);
    EXPECT_EQ(lvalue.size(), 1000u);
    ASSERT_NE(cc.value(owner), nullptr);
    ASSERT_NE(*cc.value(owner), nullptr);
    EXPECT_EQ(**cc.value(owner), 42);
    EXPECT_EQ(*cc.value(text), lvalue);
    EXPECT_EQ(cc.value(count)->v, 7);
    EXPECT_EQ(counted::alive.load(), before + 1);
    const gort::context copy = cc;  // a copy sees the same object
    EXPECT_EQ(copy.value(owner), cc.value(owner));
    cancel();
  }
  EXPECT_EQ(counted::alive.load(), before) << "a value outlived its contexts";
}

// ---- with_cancel ----------------------------------------------------------

class context_test : public gort_test::procs_fixture {};
INSTANTIATE_TEST_SUITE_P(procs, context_test, ::testing::Values(1, 4, 8),
                         gort_test::procs_name);

TEST_P(context_test, cancel_reaches_descendants_not_ancestors_or_siblings) {
  gort::run([] {
    gort::context_key<int> key;
    auto [root, cancel_root] = gort::with_cancel(bg);
    auto [a, cancel_a] = gort::with_cancel(root);
    auto [b, cancel_b] = gort::with_cancel(root);
    auto [a1, cancel_a1] = gort::with_cancel(gort::with_value(a, key, 1));
    auto [a11, cancel_a11] = gort::with_timeout(a1, 1h);
    auto [b1, cancel_b1] = gort::with_cancel(b);
    gort::context a1v = gort::with_value(a1, key, 2);

    cancel_a();
    for (const gort::context* c : {&a, &a1, &a11, &a1v}) {
      EXPECT_EQ(c->err(), gort::errc::canceled);
      EXPECT_EQ(c->err().message(), "context canceled");
      EXPECT_TRUE(closed_now(*c));
    }
    for (const gort::context* c : {&root, &b, &b1}) {
      EXPECT_FALSE(c->err()) << "cancel reached a parent or a sibling";
      EXPECT_FALSE(closed_now(*c));
    }
    cancel_root();
    for (const gort::context* c : {&root, &b, &b1})
      EXPECT_EQ(c->err(), gort::errc::canceled);
    EXPECT_EQ(a11.err(), gort::errc::canceled) << "the first error stays";
    cancel_a1();
    cancel_a11();
    cancel_b();
    cancel_b1();
  });
}

TEST_P(context_test, cancel_is_idempotent_copyable_and_const_callable) {
  gort::run([] {
    auto [ctx, cancel] = gort::with_cancel(bg);
    const gort::cancel_func copy = cancel;  // copyable
    const gort::cancel_func& cref = copy;
    cref();  // through a const reference
    EXPECT_EQ(ctx.err(), gort::errc::canceled);
    const gort::recv_chan<std::monostate> d = ctx.done();
    cref();
    cancel();
    gort::cancel_func assigned;
    assigned = cancel;
    assigned();
    EXPECT_EQ(ctx.err(), gort::errc::canceled);
    EXPECT_TRUE(ctx.done() == d) << "done() is one channel";
    EXPECT_EQ(d.recv(), std::nullopt);
    // A copy of the context outlives the cancel functions; a copy of a
    // cancel function outlives the context.
    gort::cancel_func survivor;
    gort::context kept;
    {
      auto [c2, k2] = gort::with_cancel(bg);
      survivor = k2;
      kept = c2;
    }
    survivor();
    EXPECT_EQ(kept.err(), gort::errc::canceled);
  });
}

// Copies of one cancel_func called at once from goroutines and plain
// threads, while others call done() before and after: err is set once,
// done() is one channel closed once, every receiver is released. TSan
// checks the publication.
TEST_P(context_test, concurrent_cancels_and_done_calls) {
  const int rounds = static_cast<int>(gort_test::scaled(200, 50, 20));
  gort::run([&] {
    for (int r = 0; r < rounds; ++r) {
      auto [ctx, cancel] = gort::with_cancel(bg);
      auto [child, cancel_child] = gort::with_cancel(ctx);
      constexpr int goroutines = 6, threads = 2;
      latch done(goroutines);
      std::atomic<int> go_now{0};
      std::atomic<int> closed{0};
      auto body = [&, ctx = ctx, cancel = cancel, child = child](int i) {
        go_now.fetch_add(1);
        while (go_now.load() < goroutines + threads) gort::yield();
        // The child is checked only through its own done(): a cancel() that
        // loses the race may return before the child is cancelled (see
        // a_second_cancel_returns_after_the_descendants_are_cancelled).
        const gort::context& c = i % 3 == 0 || i % 2 == 0 ? ctx : child;
        if (i % 3 == 0) {
          cancel();
        } else {
          // done() races with cancel: created before or after, it closes.
          const auto d = c.done();
          if (d.recv() == std::nullopt) closed.fetch_add(1);
        }
        EXPECT_EQ(c.err(), gort::errc::canceled);
        EXPECT_TRUE(closed_now(c));
      };
      for (int i = 0; i < goroutines; ++i) {
        gort::go([&, i] {
          body(i);
          done.count_down();
        });
      }
      std::vector<std::thread> ts;
      for (int i = goroutines; i < goroutines + threads; ++i)
        ts.emplace_back([&, i] { body(i); });
      gort_test::join_all(ts);
      done.wait();
      EXPECT_EQ(closed.load(), 5);  // the workers that did not cancel
      EXPECT_EQ(ctx.err(), gort::errc::canceled);
      cancel_child();
    }
  });
}

// cancel() cancels the context and its descendants (API.md): when it
// returns, they are cancelled, also when another party's cancel of the
// same context is still under way (Go: the loser of the race waits on the
// context's lock, which the winner holds until every child is cancelled).
// Here a plain thread cancels a parent with many children; the main
// goroutine calls cancel() as soon as it sees the parent's err() set, and
// checks the children as soon as its own call returns.
TEST_P(context_test,
       a_second_cancel_returns_after_the_descendants_are_cancelled) {
  const int n = static_cast<int>(gort_test::scaled(200'000, 50'000, 20'000));
  gort::run([&] {
    auto [parent, cancel] = gort::with_cancel(bg);
    const auto parent_done = parent.done();
    std::vector<gort::context> children;
    children.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i)
      children.push_back(gort::with_cancel(parent).first);
    const auto last_done = children.back().done();
    std::vector<std::thread> ts;
    ts.emplace_back([cancel = cancel] { cancel(); });
    while (!parent.err()) {
    }
    cancel();  // the second call: returns when everything is cancelled
    const bool parent_closed = closed_now(parent);
    int live = 0;
    for (const auto& c : children) live += !c.err();
    const bool last_closed = closed_now(children.back());
    EXPECT_EQ(live, 0) << "cancel() returned with descendants not cancelled";
    EXPECT_TRUE(last_closed) << "cancel() returned, a child's done() open";
    // The winner closes the parent's channel just after setting err(): the
    // loser sees it open only now and then.
    EXPECT_TRUE(parent_closed) << "cancel() returned with done() open";
    gort_test::join_all(ts);
  });
}

// done() called for the first time after the cancel makes the channel
// and closes it. Parties racing to call it must all get it closed: a
// channel handed out before it is closed would make select() take its
// default although err() is set (Go: Done() of a cancelled context is
// already closed). Several threads call done() at once on each of many
// cancelled contexts that have no channel yet.
TEST_P(context_test, done_first_called_after_cancel_is_closed_for_everyone) {
  const int rounds = static_cast<int>(gort_test::scaled(50'000, 10'000, 2'000));
  constexpr int threads = 3;
  std::vector<gort::context> ctxs;
  for (int r = 0; r < rounds; ++r) {
    auto [c, cancel] = gort::with_cancel(bg);
    cancel();
    ctxs.push_back(c);
  }
  std::atomic<int> arrived{0}, open{0};
  gort::run([&] {
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; ++t) {
      ts.emplace_back([&] {
        for (int r = 0; r < rounds; ++r) {
          arrived.fetch_add(1);  // a barrier: all call done() at once
          while (arrived.load() < (r + 1) * threads) std::this_thread::yield();
          const auto d = ctxs[static_cast<std::size_t>(r)].done();
          if (gort::select(gort::case_recv(d), gort::case_default()) != 0)
            open.fetch_add(1);
        }
      });
    }
    gort_test::join_all(ts);
  });
  EXPECT_EQ(open.load(), 0) << "done() of a cancelled context handed out "
                               "before it was closed";
}

TEST_P(context_test, child_of_a_cancelled_parent_is_born_cancelled) {
  gort::run([] {
    gort::context_key<int> key;
    auto [p, cancel_p] = gort::with_cancel(bg);
    (void)p.done();  // the parent's channel exists before the cancel
    cancel_p();
    auto [c, cancel_c] = gort::with_cancel(p);
    EXPECT_EQ(c.err(), gort::errc::canceled);
    EXPECT_TRUE(closed_now(c));
    auto [d, cancel_d] = gort::with_timeout(gort::with_value(p, key, 1), 1h);
    EXPECT_EQ(d.err(), gort::errc::canceled) << "the parent's error, at once";
    EXPECT_TRUE(closed_now(d));
    auto [e, cancel_e] = gort::with_deadline(p, steady::now() - 1s);
    EXPECT_EQ(e.err(), gort::errc::canceled) << "the parent's error came first";
    // A parent that expired passes deadline_exceeded to a new child.
    auto [x, cancel_x] = gort::with_deadline(bg, steady::now() - 1ms);
    auto [y, cancel_y] = gort::with_cancel(x);
    EXPECT_EQ(y.err(), gort::errc::deadline_exceeded);
    cancel_c();
    cancel_d();
    cancel_e();
    cancel_x();
    cancel_y();
  });
}

TEST_P(context_test, done_is_closed_after_cancel_for_select_and_range_for) {
  gort::run([] {
    auto [ctx, cancel] = gort::with_cancel(bg);
    const auto before = ctx.done();  // created before the cancel
    EXPECT_FALSE(before.nil());
    EXPECT_EQ(gort::select(gort::case_recv(before), gort::case_default()), 1u)
        << "done() is open while the context lives";
    cancel();
    const auto after = ctx.done();
    EXPECT_TRUE(before == after);
    EXPECT_EQ(gort::select(gort::case_recv(after), gort::case_default()), 0u);
    int iterations = 0;
    for (std::monostate v : ctx.done()) {  // ends at once: closed, empty
      (void)v;
      ++iterations;
    }
    EXPECT_EQ(iterations, 0);
    // done() first called after the cancel is closed too.
    auto [c2, cancel2] = gort::with_cancel(bg);
    cancel2();
    EXPECT_EQ(c2.done().recv(), std::nullopt);
    std::optional<std::monostate> got{std::monostate{}};
    EXPECT_EQ(
        gort::select(
            gort::case_recv(c2.done(),
                            [&](std::optional<std::monostate> v) { got = v; }),
            gort::case_recv(gort::after(1h))),
        0u);
    EXPECT_EQ(got, std::nullopt);
  });
}

// Goroutines and plain threads that wait on done() (in recv, select and
// range-for) before the cancel are all released by it.
TEST_P(context_test, done_releases_goroutines_and_threads_waiting_on_it) {
  gort::run([] {
    auto [ctx, cancel] = gort::with_cancel(bg);
    auto [child, cancel_child] = gort::with_cancel(ctx);
    constexpr int n = 6;
    latch done(n);
    std::atomic<int> released{0};
    auto wait_one = [&, ctx = ctx, child = child](int i) {
      const gort::context& c = i % 2 ? child : ctx;
      switch (i % 3) {
        case 0:
          EXPECT_EQ(c.done().recv(), std::nullopt);
          break;
        case 1:
          EXPECT_EQ(gort::select(gort::case_recv(c.done()),
                                 gort::case_recv(gort::after(1h))),
                    0u);
          break;
        default:
          for (std::monostate v : c.done()) (void)v;
      }
      EXPECT_TRUE(c.err());
      released.fetch_add(1);
    };
    for (int i = 0; i < n; ++i) {
      gort::go([&, i] {
        wait_one(i);
        done.count_down();
      });
    }
    std::vector<std::thread> ts;
    for (int i = 0; i < 3; ++i) ts.emplace_back([&, i] { wait_one(i); });
    EXPECT_TRUE(gort_test::eventually([] {
      const auto s = gort::stats();
      return gort_test::parked_for(s, gort::wait_reason::chan_receive) +
                 gort_test::parked_for(s, gort::wait_reason::select) >=
             n;
    }));
    EXPECT_EQ(released.load(), 0);
    cancel();
    done.wait();
    gort_test::join_all(ts);
    EXPECT_EQ(released.load(), n + 3);
    cancel_child();
  });
}

// ---- deadlines ------------------------------------------------------------

TEST_P(context_test, deadline_expires_with_deadline_exceeded) {
  gort::run([] {
    gort::context_key<int> key;
    const auto t0 = steady::now();
    auto [ctx, cancel] = gort::with_timeout(bg, 20ms);
    const auto t1 = steady::now();
    ASSERT_TRUE(ctx.deadline().has_value());
    EXPECT_GE(*ctx.deadline(), t0 + 20ms);
    EXPECT_LE(*ctx.deadline(), t1 + 20ms);
    const gort::context v = gort::with_value(ctx, key, 1);
    EXPECT_EQ(v.deadline(), ctx.deadline());
    EXPECT_FALSE(ctx.err());
    EXPECT_EQ(v.done().recv(), std::nullopt);  // waits for the deadline
    EXPECT_GE(steady::now(), *ctx.deadline()) << "fired early";
    EXPECT_EQ(ctx.err(), gort::errc::deadline_exceeded);
    EXPECT_EQ(ctx.err().message(), "context deadline exceeded");
    EXPECT_EQ(v.err(), gort::errc::deadline_exceeded);
    cancel();  // after expiry: the first error wins
    EXPECT_EQ(ctx.err(), gort::errc::deadline_exceeded);

    const auto d = steady::now() + 10ms;
    auto [c2, cancel2] = gort::with_deadline(bg, d);
    EXPECT_EQ(c2.deadline(), d);
    EXPECT_EQ(gort::select(gort::case_recv(c2.done()),
                           gort::case_recv(gort::after(1h))),
              0u);
    EXPECT_EQ(c2.err(), gort::errc::deadline_exceeded);
    cancel2();
  });
}

TEST_P(context_test, deadline_already_past_cancels_at_once) {
  gort::run([] {
    for (const auto d :
         {steady::now() - 1h, steady::now(), steady::time_point::min()}) {
      auto [ctx, cancel] = gort::with_deadline(bg, d);
      EXPECT_EQ(ctx.err(), gort::errc::deadline_exceeded);
      EXPECT_TRUE(closed_now(ctx));
      EXPECT_EQ(ctx.deadline(), d);
      cancel();
      EXPECT_EQ(ctx.err(), gort::errc::deadline_exceeded);
    }
    for (const auto t : {-1s, 0s}) {
      auto [ctx, cancel] = gort::with_timeout(bg, t);
      EXPECT_EQ(ctx.err(), gort::errc::deadline_exceeded);
      cancel();
    }
  });
}

// with_timeout takes any std::chrono duration. One longer than
// steady_clock can represent from now is the far future (never fires), one
// as negative is the past (cancelled at once): neither may overflow on its
// way to nanoseconds. Run in a child process, so that UBSan's report of a
// signed overflow (ASan+UBSan build) fails this test alone.
[[noreturn]] void huge_timeouts_child() {
  std::string failed;
  auto far = [&failed](const char* what, auto d) {
    auto [ctx, cancel] = gort::with_timeout(bg, d);
    if (ctx.err() || !ctx.deadline() ||
        *ctx.deadline() < steady::now() + std::chrono::hours(24 * 365 * 100))
      failed += std::string(" with_timeout(") + what + "): " +
                (ctx.err() ? ctx.err().message() : "deadline too early") + ";";
    cancel();
  };
  auto past = [&failed](const char* what, auto d) {
    auto [ctx, cancel] = gort::with_timeout(bg, d);
    if (ctx.err() != gort::errc::deadline_exceeded)
      failed += std::string(" with_timeout(") + what + "): not expired;";
    cancel();
  };
  far("nanoseconds::max()", std::chrono::nanoseconds::max());
  far("duration<double>(1e30)", std::chrono::duration<double>(1e30));
  far("hours::max()", std::chrono::hours::max());
  far("seconds::max()", std::chrono::seconds::max());
  far("years(1000)", std::chrono::years(1000));
  past("nanoseconds::min()", std::chrono::nanoseconds::min());
  past("-hours::max()", -std::chrono::hours::max());
  past("-years(1000)", -std::chrono::years(1000));
  if (!failed.empty()) {
    std::fprintf(stderr, "overflow:%s\n", failed.c_str());
    std::_Exit(1);
  }
  std::_Exit(0);
}

TEST(context_death_test, timeouts_of_any_length_do_not_overflow) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(huge_timeouts_child(), ::testing::ExitedWithCode(0), "");
}

TEST_P(context_test, child_deadline_is_never_later_than_its_parents) {
  gort::run([] {
    gort::context_key<int> key;
    auto [p, cancel_p] = gort::with_timeout(bg, 1h);
    const auto pd = *p.deadline();
    auto [later, c1] = gort::with_deadline(p, pd + 1h);
    EXPECT_EQ(later.deadline(), pd) << "a child reports the earlier deadline";
    auto [same, c2] = gort::with_deadline(p, pd);
    EXPECT_EQ(same.deadline(), pd);
    auto [later2, c3] = gort::with_timeout(gort::with_value(p, key, 1), 2h);
    EXPECT_EQ(later2.deadline(), pd);
    auto [earlier, c4] = gort::with_timeout(p, 1min);
    ASSERT_TRUE(earlier.deadline().has_value());
    EXPECT_LT(*earlier.deadline(), pd);
    auto [plain, c5] = gort::with_cancel(earlier);
    EXPECT_EQ(plain.deadline(), earlier.deadline());
    EXPECT_EQ(gort::with_value(plain, key, 2).deadline(), earlier.deadline());
    for (auto* c : {&cancel_p, &c1, &c2, &c3, &c4, &c5}) (*c)();
  });
}

TEST_P(context_test, parent_deadline_cancels_children_with_deadline_exceeded) {
  gort::run([] {
    gort::context_key<int> key;
    auto [p, cancel_p] = gort::with_timeout(bg, 10ms);
    auto [c, cancel_c] = gort::with_cancel(p);
    auto [longer, cancel_longer] = gort::with_timeout(p, 1h);
    auto [gc, cancel_gc] = gort::with_cancel(gort::with_value(c, key, 1));
    EXPECT_EQ(gc.done().recv(), std::nullopt);  // waits for p's deadline
    for (const gort::context* x : {&p, &c, &longer, &gc})
      EXPECT_EQ(x->err(), gort::errc::deadline_exceeded);
    for (auto* f : {&cancel_p, &cancel_c, &cancel_longer, &cancel_gc}) (*f)();
    EXPECT_EQ(gc.err(), gort::errc::deadline_exceeded);
  });
}

// Cancelled before its deadline: canceled, and the deadline passing later
// never changes it. b has a later deadline than a, so once b has expired,
// a's deadline has passed too.
TEST_P(context_test, cancel_before_the_deadline_wins_over_it) {
  gort::run([] {
    auto [p, cancel_p] = gort::with_cancel(bg);
    const auto d = steady::now() + 5ms;
    auto [a, cancel_a] = gort::with_deadline(p, d);
    auto [a_child, cancel_a_child] = gort::with_cancel(a);
    auto [b, cancel_b] = gort::with_deadline(p, d + 5ms);
    cancel_a();
    EXPECT_EQ(a.err(), gort::errc::canceled);
    EXPECT_EQ(b.done().recv(), std::nullopt);
    EXPECT_GT(steady::now(), d);
    EXPECT_EQ(b.err(), gort::errc::deadline_exceeded);
    EXPECT_EQ(a.err(), gort::errc::canceled) << "the deadline overrode cancel";
    EXPECT_EQ(a_child.err(), gort::errc::canceled);
    cancel_p();
    EXPECT_EQ(a.err(), gort::errc::canceled);
    EXPECT_EQ(b.err(), gort::errc::deadline_exceeded);
    cancel_b();
    cancel_a_child();
  });
}

// A with_timeout child made while another thread cancels its parent: the
// child is born cancelled or is cancelled by the parent, and either way
// has no timer left in the heap. The parent's canceller reaches the child
// as soon as the child is on the parent's list, so whatever the child sets
// up after that (its timer) races with the canceller (TSan).
TEST_P(context_test, timeout_child_made_while_its_parent_is_cancelled) {
  const int rounds = static_cast<int>(gort_test::scaled(20'000, 5'000, 1'000));
  std::vector<gort::context> parents,
      children(static_cast<std::size_t>(rounds));
  std::vector<gort::cancel_func> cancels;
  for (int r = 0; r < rounds; ++r) {
    auto [p, cancel] = gort::with_cancel(bg);
    parents.push_back(p);
    cancels.push_back(cancel);
  }
  gort::run([&] {
    const std::size_t base = gort_test::pending_timers();
    std::atomic<int> arrived{0};
    auto barrier = [&](int r) {
      arrived.fetch_add(1);
      while (arrived.load() < 2 * (r + 1)) std::this_thread::yield();
    };
    std::vector<std::thread> ts;
    ts.emplace_back([&] {
      for (int r = 0; r < rounds; ++r) {
        barrier(r);
        children[static_cast<std::size_t>(r)] =
            gort::with_timeout(parents[static_cast<std::size_t>(r)], 1h).first;
      }
    });
    ts.emplace_back([&] {
      for (int r = 0; r < rounds; ++r) {
        barrier(r);
        cancels[static_cast<std::size_t>(r)]();
      }
    });
    gort_test::join_all(ts);
    int live = 0;
    for (const auto& c : children) live += c.err() != gort::errc::canceled;
    EXPECT_EQ(live, 0);
    EXPECT_LE(gort_test::pending_timers(), base)
        << "cancelled children kept their timers";
  });
}

// Contexts dropped (or cancelled) before their deadline leave no timer
// behind: 10,000 with_timeout(1h) dropped at once, and 10,000 kept but
// cancelled through their parent. Under ASan a timer that fired into a
// freed node would be a use after free.
TEST_P(context_test, dropped_or_cancelled_timeouts_leave_no_timer) {
  const int n = static_cast<int>(gort_test::scaled(10'000, 10'000, 2'000));
  gort::run([&] {
    const std::size_t base = gort_test::pending_timers();
    auto [p, cancel_p] = gort::with_cancel(bg);
    for (int i = 0; i < n; ++i) {
      auto [c, cancel] = gort::with_timeout(i % 2 ? p : bg, 1h);
      if (i % 4 == 0) cancel();
    }
    EXPECT_LE(gort_test::pending_timers(), base)
        << "dropped contexts kept their timers";
    std::vector<gort::context> kept;
    for (int i = 0; i < n; ++i) kept.push_back(gort::with_timeout(p, 1h).first);
    EXPECT_GE(gort_test::pending_timers(), base + static_cast<std::size_t>(n));
    cancel_p();
    EXPECT_LE(gort_test::pending_timers(), base)
        << "contexts cancelled by their parent kept their timers";
    for (const auto& c : kept) ASSERT_EQ(c.err(), gort::errc::canceled);
    kept.clear();
    EXPECT_LE(gort_test::pending_timers(), base);
  });
}

// Short timeouts dropped right around their deadline, from goroutines and
// plain threads, under a cancellable parent: the timer's cancel and the
// node's destructor both leave the parent's hook list, and race. Nothing
// may hang, crash or be touched after it is freed (ASan).
TEST_P(context_test, timeouts_dropped_as_they_fire) {
  const std::uint64_t seed = gort_test::test_seed();
  const int per = static_cast<int>(gort_test::scaled(1'000, 300, 100));
  gort::run([&] {
    auto [p, cancel_p] = gort::with_cancel(bg);
    constexpr int goroutines = 4, threads = 2;
    latch done(goroutines);
    auto body = [&, p = p](int w) {
      std::mt19937_64 rng(gort_test::mix(seed + static_cast<std::uint64_t>(w)));
      for (int i = 0; i < per; ++i) {
        auto [c, cancel] =
            gort::with_timeout(p, std::chrono::microseconds(rng() % 200));
        if (rng() % 2 == 0) (void)c.done();
        // Wait until it has fired, or not: drop it at a random moment.
        // Yielding lets a processor run its expired timers meanwhile.
        const auto spin = std::chrono::microseconds(rng() % 250);
        const auto until = steady::now() + spin;
        while (!c.err() && steady::now() < until) gort::yield();
        if (rng() % 3 == 0) c.done().recv();
      }
    };
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
    probe pr(p);
    EXPECT_TRUE(pr.armed);
    EXPECT_TRUE(pr.alone()) << "a dropped child is still on its parent";
    cancel_p();
    EXPECT_EQ(pr.fired.load(), 1);
  });
}

// ---- detaching --------------------------------------------------------------

// One long-lived parent, a million short-lived children (with_cancel,
// with_timeout, and with_cancel under a value), each cancelled: the parent
// holds none afterwards. The proof is the probe (armed first, so every
// child's hook went in front of it): alone() at the end. RSS stays flat
// too, in builds without a sanitizer's quarantine. Cancelling the parent
// afterwards fires the probe once and touches no freed child (ASan).
TEST_P(context_test, million_cancelled_children_detach_from_parent) {
  const int n = static_cast<int>(gort_test::scaled(1'000'000, 100'000, 50'000));
  gort::run([&] {
    gort::context_key<int> key;
    auto [parent, cancel_parent] = gort::with_cancel(bg);
    probe pr(parent);
    ASSERT_TRUE(pr.armed);
    const gort::context valued = gort::with_value(parent, key, 1);
    // Warm the allocator before measuring.
    for (int i = 0; i < 1000; ++i) gort::with_cancel(parent).second();
    const std::size_t rss0 = rss_bytes();
    for (int i = 0; i < n; ++i) {
      std::pair<gort::context, gort::cancel_func> c;
      switch (i % 3) {
        case 0:
          c = gort::with_cancel(parent);
          break;
        case 1:
          c = gort::with_timeout(parent, 1h);
          break;
        default:
          c = gort::with_cancel(valued);
      }
      if (i % 1024 == 0) {
        ASSERT_FALSE(pr.alone()) << "the live child is not on its parent";
      }
      c.second();
      ASSERT_EQ(c.first.err(), gort::errc::canceled);
    }
    EXPECT_TRUE(pr.alone()) << "the parent still holds cancelled children";
    const std::size_t rss1 = rss_bytes();
    if (!gort_test::under_sanitizer) {
      EXPECT_LT(rss1, rss0 + (32u << 20))
          << "resident memory grew by " << (rss1 - rss0) / 1024 << " KiB";
    }
    EXPECT_FALSE(parent.err());
    cancel_parent();
    EXPECT_EQ(pr.fired.load(), 1);
    EXPECT_EQ(valued.err(), gort::errc::canceled);
  });
}

// Children dropped without being cancelled (context and cancel_func both
// destroyed) leave their parent too; so do children whose cancel_func went
// first and whose context went later.
TEST_P(context_test, dropped_uncancelled_children_detach_from_parent) {
  const int n = static_cast<int>(gort_test::scaled(200'000, 50'000, 20'000));
  gort::run([&] {
    auto [parent, cancel_parent] = gort::with_cancel(bg);
    probe pr(parent);
    ASSERT_TRUE(pr.armed);
    std::vector<gort::context> later;
    for (int i = 0; i < n; ++i) {
      auto c =
          i % 2 ? gort::with_cancel(parent) : gort::with_timeout(parent, 1h);
      if (i % 5 == 0) {
        later.push_back(std::move(c.first));  // cancel_func dropped first
      }
    }
    EXPECT_FALSE(pr.alone()) << "the kept children are registered";
    later.clear();
    EXPECT_TRUE(pr.alone()) << "the parent still holds dropped children";
    cancel_parent();
    EXPECT_EQ(pr.fired.load(), 1);
  });
}

// ---- deep chains ------------------------------------------------------------

// 100,000 nested with_cancel on a goroutine (a small stack), cancelled
// from the root: every level is cancelled and its done() closed, and no
// step recurses per level: neither the cancel nor freeing the chain (the
// vector is destroyed front to back, so the leaf frees the whole chain).
TEST_P(context_test, deep_chain_cancelled_from_root_on_a_goroutine) {
  const int depth = 100'000;
  gort::run([&] {
    in_goroutine([&] {
      std::vector<gort::context> chain;
      chain.reserve(depth + 1);
      auto [root, cancel_root] = gort::with_cancel(bg);
      chain.push_back(root);
      for (int i = 0; i < depth; ++i)
        chain.push_back(gort::with_cancel(chain.back()).first);
      std::vector<gort::recv_chan<std::monostate>> dones;
      for (int i = 0; i <= depth; i += 997) dones.push_back(chain[i].done());
      dones.push_back(chain.back().done());
      cancel_root();
      int bad = 0;
      for (const auto& c : chain) bad += c.err() != gort::errc::canceled;
      EXPECT_EQ(bad, 0) << "levels not cancelled";
      for (const auto& d : dones) ASSERT_EQ(d.recv(), std::nullopt);
      dones.clear();
      chain.clear();
    });
  });
}

// Only the leaf of a deep chain held, never cancelled, mixing with_cancel,
// with_timeout and with_value, then dropped on a goroutine: the whole chain
// is freed (values' destructors run) without recursing per level.
TEST_P(context_test, deep_chain_held_by_its_leaf_is_freed_on_a_goroutine) {
  const int depth = 100'000;
  gort::context_key<counted> key;
  const long before = counted::alive.load();
  gort::run([&] {
    in_goroutine([&] {
      auto [root, cancel_root] = gort::with_cancel(bg);
      gort::context leaf = root;
      for (int i = 0; i < depth; ++i) {
        switch (i % 3) {
          case 0:
            leaf = gort::with_cancel(leaf).first;
            break;
          case 1:
            leaf = gort::with_timeout(leaf, 1h).first;
            break;
          default:
            leaf = gort::with_value(leaf, key, counted(i));
        }
      }
      EXPECT_EQ(counted::alive.load(), before + depth / 3);
      EXPECT_FALSE(leaf.err());
      cancel_root();
      EXPECT_EQ(leaf.err(), gort::errc::canceled);
      leaf = gort::context();
      EXPECT_EQ(counted::alive.load(), before);
    });
  });
}

// ---- seeded stress
// ------------------------------------------------------------

// Random trees built and cut concurrently by goroutines and plain threads:
// with_cancel, short and long with_timeout, deadlines already past, values.
// At the end every node's err() is set iff an ancestor-or-self was
// cancelled or expired, its code is its own cause's or its parent's, it
// never changed after it was first seen, and done() is closed iff err() is
// set.
TEST_P(context_test, seeded_stress_random_trees) {
  const std::uint64_t seed = gort_test::test_seed();
  const int slots = static_cast<int>(gort_test::scaled(20'000, 5'000, 2'000));
  enum kind : int { k_cancel, k_short, k_long, k_past, k_value, k_kinds };
  struct node {
    gort::context ctx;
    gort::cancel_func cancel;
    int parent = -1;  // -1: background
    int kind = k_cancel;
    std::atomic<bool> cancelled{false};
    std::atomic<int> seen{0};  // the first err() value a worker saw
    std::atomic<bool> ready{false};
  };
  auto nodes = std::make_unique<node[]>(static_cast<std::size_t>(slots));
  std::atomic<int> next{0};
  gort::context_key<int> key;

  auto work = [&](int w) {
    std::mt19937_64 rng(gort_test::mix(seed ^ static_cast<std::uint64_t>(w)));
    // pick returns a published node below `limit`, or -1: a parent's index
    // is below its children's.
    auto pick = [&](int limit) -> int {
      const int n = std::min(limit, next.load(std::memory_order_relaxed));
      if (n <= 0 || rng() % 16 == 0) return -1;
      const int j = static_cast<int>(rng() % static_cast<std::uint64_t>(n));
      return nodes[j].ready.load(std::memory_order_acquire) ? j : -1;
    };
    for (;;) {
      if (rng() % 4 != 0) {
        const int i = next.fetch_add(1);
        if (i >= slots) return;
        node& x = nodes[i];
        x.parent = pick(i);
        const gort::context& up = x.parent < 0 ? bg : nodes[x.parent].ctx;
        x.kind = static_cast<int>(rng() % k_kinds);
        switch (x.kind) {
          case k_cancel:
            std::tie(x.ctx, x.cancel) = gort::with_cancel(up);
            break;
          case k_short:
            std::tie(x.ctx, x.cancel) =
                gort::with_timeout(up, std::chrono::microseconds(rng() % 2000));
            break;
          case k_long:
            std::tie(x.ctx, x.cancel) = gort::with_timeout(up, 1h);
            break;
          case k_past:
            std::tie(x.ctx, x.cancel) = gort::with_deadline(up, steady::now());
            break;
          default:
            x.ctx = gort::with_value(up, key, i);
        }
        x.ready.store(true, std::memory_order_release);
      } else if (const int j = pick(slots); j >= 0) {
        node& x = nodes[j];
        if (x.kind == k_value) continue;
        x.cancelled.store(true);
        x.cancel();
        const int e = x.ctx.err().value();
        int zero = 0;
        x.seen.compare_exchange_strong(zero, e);
        EXPECT_NE(e, 0) << "cancel() returned with err() empty";
      } else if (rng() % 8 == 0) {
        gort::yield();
      }
    }
  };

  gort::run([&] {
    const std::size_t timers_before = gort_test::pending_timers();
    constexpr int goroutines = 6, threads = 2;
    latch done(goroutines);
    for (int w = 0; w < goroutines; ++w) {
      gort::go([&, w] {
        work(w);
        done.count_down();
      });
    }
    std::vector<std::thread> ts;
    for (int w = goroutines; w < goroutines + threads; ++w)
      ts.emplace_back([&, w] { work(w); });
    gort_test::join_all(ts);
    done.wait();

    // The causes on each node's path to the root.
    std::vector<char> cancel_on_path(static_cast<std::size_t>(slots));
    std::vector<char> expiry_on_path(static_cast<std::size_t>(slots));
    for (int i = 0; i < slots; ++i) {  // parents come before children
      const node& x = nodes[i];
      const bool own_expiry = x.kind == k_short || x.kind == k_past;
      cancel_on_path[i] =
          x.cancelled.load() || (x.parent >= 0 && cancel_on_path[x.parent]);
      expiry_on_path[i] =
          own_expiry || (x.parent >= 0 && expiry_on_path[x.parent]);
      if (cancel_on_path[i] || expiry_on_path[i]) {
        ASSERT_EQ(x.ctx.done().recv(), std::nullopt);  // the short timers
      }
    }
    const std::error_code canceled = gort::errc::canceled;
    const std::error_code expired = gort::errc::deadline_exceeded;
    int mismatches = 0;
    for (int i = 0; i < slots && mismatches < 10; ++i) {
      const node& x = nodes[i];
      const std::error_code e = x.ctx.err();
      const std::error_code up =
          x.parent < 0 ? std::error_code() : nodes[x.parent].ctx.err();
      const bool any_cause = cancel_on_path[i] || expiry_on_path[i];
      bool ok = static_cast<bool>(e) == any_cause;
      if (e) {
        ok = ok && (e == canceled || e == expired);
        if (!expiry_on_path[i]) ok = ok && e == canceled;
        if (!cancel_on_path[i]) ok = ok && e == expired;
        const bool own =
            (x.cancelled.load() && e == canceled) ||
            ((x.kind == k_short || x.kind == k_past) && e == expired);
        ok = ok && (own || e == up);  // its own cause or its parent's
        if (x.kind == k_value) ok = ok && e == up;
      }
      if (x.seen.load() != 0) ok = ok && x.seen.load() == e.value();
      ok = ok && closed_now(x.ctx) == static_cast<bool>(e);
      if (!ok) {
        ++mismatches;
        ADD_FAILURE() << "node " << i << " kind " << x.kind << " parent "
                      << x.parent << ": err " << e.message() << ", parent's "
                      << up.message() << ", cancelled on path "
                      << int{cancel_on_path[i]} << ", expiry on path "
                      << int{expiry_on_path[i]} << ", first seen "
                      << x.seen.load() << " (seed " << seed << ")";
      }
    }
    EXPECT_EQ(mismatches, 0);
    // The only timers left are those of live nodes with their own deadline
    // (an hour away): with_timeout(1h) under no earlier deadline. Every
    // cancelled or expired node took its timer out of the heap.
    std::vector<char> deadline_above(static_cast<std::size_t>(slots));
    std::size_t live_timers = 0;
    for (int i = 0; i < slots; ++i) {
      const node& x = nodes[i];
      const bool above = x.parent >= 0 && deadline_above[x.parent];
      deadline_above[i] = above || (x.kind != k_cancel && x.kind != k_value);
      if (x.kind == k_long && !above && !x.ctx.err()) ++live_timers;
    }
    EXPECT_EQ(gort_test::pending_timers(), timers_before + live_timers)
        << "timers of cancelled contexts left in the heap (seed " << seed
        << ")";
  });
}

// ---- plain threads
// ------------------------------------------------------------

// Plain threads create, cancel and wait on contexts, and one waits for a
// deadline, with goroutines beside them.
TEST_P(context_test, plain_threads_cancel_wait_and_expire) {
  gort::run([] {
    auto [root, cancel_root] = gort::with_cancel(bg);
    gort::chan<gort::context> handoff = gort::make_chan<gort::context>(1);
    gort::chan<int> results = gort::make_chan<int>(4);
    std::vector<std::thread> ts;
    // A thread makes a child and hands it to a goroutine, which waits; then
    // the thread waits for a deadline.
    ts.emplace_back([&, root = root] {
      auto [c, cancel] = gort::with_cancel(root);
      handoff.send(c);
      auto [t, cancel_t] = gort::with_timeout(bg, 5ms);
      results.send(t.done().recv() == std::nullopt &&
                           t.err() == gort::errc::deadline_exceeded
                       ? 1
                       : 0);
      cancel_t();
    });
    gort::go([&] {
      const gort::context c = *handoff.recv();
      results.send(c.done().recv() == std::nullopt &&
                           c.err() == gort::errc::canceled
                       ? 1
                       : 0);
    });
    ts.emplace_back([&, root = root] {
      results.send(root.done().recv() == std::nullopt ? 1 : 0);
    });
    EXPECT_EQ(results.recv(), 1);  // the deadline, on the plain thread
    ts.emplace_back([&] { cancel_root(); });
    EXPECT_EQ(results.recv().value_or(0) + results.recv().value_or(0), 2);
    gort_test::join_all(ts);
  });
}

// The child has never started the runtime: plain threads build a tree,
// cancel it from another thread, wait on done(), let a deadline expire,
// read values, cancel a 100,000-deep chain, and detach many children.
[[noreturn]] void contexts_before_run_child() {
  int step = 10;
  auto check = [&step](bool ok) {
    ++step;
    if (!ok) std::_Exit(step);
  };
  gort::context_key<int> key;
  check(!bg.err() && bg.done().nil() && !bg.deadline() &&
        bg.value(key) == nullptr);
  auto [root, cancel_root] = gort::with_cancel(gort::with_value(bg, key, 7));
  auto [a, cancel_a] = gort::with_cancel(root);
  auto [b, cancel_b] = gort::with_cancel(root);
  check(*a.value(key) == 7);
  std::thread waiter([a = a] {
    if (a.done().recv() != std::nullopt) std::_Exit(2);
  });
  std::thread canceller([cancel_a = cancel_a] { cancel_a(); });
  canceller.join();
  waiter.join();
  check(a.err() == gort::errc::canceled && !b.err() && !root.err());
  {
    auto [t, cancel_t] = gort::with_timeout(b, 5ms);
    check(t.done().recv() == std::nullopt &&
          t.err() == gort::errc::deadline_exceeded && !b.err());
    cancel_t();
  }
  {  // detach
    probe pr(b);
    check(pr.armed);
    for (int i = 0; i < 100'000; ++i) {
      auto [c, cancel] = gort::with_cancel(b);
      if (i % 2 == 0) cancel();
    }
    check(pr.alone());
  }
  std::thread deep([b = b] {
    auto [top, cancel_top] = gort::with_cancel(b);
    gort::context leaf = top;
    for (int i = 0; i < 100'000; ++i) leaf = gort::with_cancel(leaf).first;
    cancel_top();
    if (leaf.err() != gort::errc::canceled) std::_Exit(3);
  });
  deep.join();
  cancel_root();
  check(b.err() == gort::errc::canceled);
  cancel_b();
  std::_Exit(0);
}

TEST(context_threads_death_test, plain_threads_before_run) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(contexts_before_run_child(), ::testing::ExitedWithCode(0), "");
}

}  // namespace
