// select (gort/select.hpp): the returned position, handlers, fairness among
// ready cases, default, nil cases, send cases, the same channel in two
// cases, blocked selects and their wakers (goroutines and plain threads),
// and the run-time list form. Goroutines are seen blocked through stats()
// (parked for reason `select`), never by sleeping; time only bounds waits
// that must time out. After a select completes, a select with a default on
// each channel it waited on shows that no waiter of it was left queued.
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <thread>
#include <vector>

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
using gort::case_send;
using gort::wait_reason;
using gort::internal::latch;
using oint = std::optional<int>;
using clock_type = std::chrono::steady_clock;

constexpr auto slack = gort_test::under_sanitizer ? 20s : 2s;

class select_test : public gort_test::procs_fixture {};
GORT_INSTANTIATE_PROCS(select_test);

// wait_parked waits until n goroutines are parked for reason r.
void wait_parked(std::size_t n, wait_reason r = wait_reason::select) {
  EXPECT_TRUE(gort_test::eventually([n, r] {
    return gort_test::parked_for(gort::stats(), r) >= n;
  })) << gort_test::describe(gort::stats());
}

// spawn runs f() on a new goroutine, then counts `done` down.
template <class F>
void spawn(latch& done, F f) {
  gort::go([&done, f]() mutable {
    f();
    done.count_down();
  });
}

gort::chan<int> closed_chan() {
  auto c = gort::make_chan<int>();
  c.close();
  return c;
}

// nothing_queued: a select with a default finds no waiter on c, in either
// direction (c unbuffered and open).
bool nothing_queued(const gort::chan<int>& c) {
  return gort::select(case_recv(c), case_default()) == 1 &&
         gort::select(case_send(c, -1), case_default()) == 1;
}

TEST_P(select_test, returns_position_counting_default_and_runs_one_handler) {
  gort::run([] {
    auto a = gort::make_chan<int>(1), b = gort::make_chan<int>(1);
    std::array<int, 3> ran{};
    oint got;
    auto sel = [&] {
      return gort::select(case_recv(a, [&](oint) { ++ran[0]; }),
                          case_default([&] { ++ran[1]; }),
                          case_recv(b, [&](oint v) { ++ran[2], got = v; }));
    };
    EXPECT_EQ(sel(), 1u) << "nothing ready: the default, at position 1";
    b.send(7);
    EXPECT_EQ(sel(), 2u) << "b's case is the third argument";
    EXPECT_EQ(got, oint(7));
    EXPECT_EQ(ran, (std::array{0, 1, 1}));
    a.send(1);
    EXPECT_EQ(gort::select(case_default(), case_recv(a)), 1u);
    // Three always-ready cases: handler counts equal returned positions.
    auto c = closed_chan();
    std::array<int, 3> returned{};
    ran = {};
    for (int i = 0; i < 3'000; ++i) {
      if (b.size() == 1) (void)b.recv();
      const std::size_t r = gort::select(
          case_recv(c, [&](oint v) { ran[0] += v ? 100 : 1; }),
          case_send(b, i, [&] { ++ran[1]; }), case_recv(c, [&] { ++ran[2]; }));
      ASSERT_LT(r, 3u);
      ++returned[r];
    }
    EXPECT_EQ(ran, returned);
    for (int n : ran) EXPECT_GT(n, 0);
  });
}

TEST_P(select_test, closed_channel_gives_nullopt_and_handlers_may_be_omitted) {
  gort::run([] {
    auto c = gort::make_chan<int>(2);
    c.send(5);
    c.send(6);
    c.close();
    std::vector<oint> got;
    auto h = [&](oint v) { got.push_back(v); };
    EXPECT_EQ(gort::select(case_recv(c, h)), 0u);
    EXPECT_EQ(gort::select(case_recv(c)), 0u) << "handler omitted";
    EXPECT_EQ(c.size(), 0u) << "the omitted handler's case received";
    EXPECT_EQ(gort::select(case_recv(c, h), case_default()), 0u);
    EXPECT_EQ(got, (std::vector<oint>{5, std::nullopt}));
    auto d = gort::make_chan<int>(1);
    EXPECT_EQ(gort::select(case_send(d, 3), case_default()), 0u);
    EXPECT_EQ(d.recv(), oint(3));
  });
}

// expect_shares runs select_once 20,000 times; each of its N positions
// must be returned between lo and hi of the time.
template <std::size_t N, class F>
void expect_shares(F select_once, double lo, double hi) {
  constexpr int n = 20'000;
  std::array<int, N> count{};
  for (int i = 0; i < n; ++i) ++count.at(select_once());
  for (std::size_t i = 0; i < N; ++i) {
    EXPECT_GE(count[i], n * lo) << "case " << i << " starved";
    EXPECT_LE(count[i], n * hi) << "case " << i << " favoured";
  }
}

// Two always-ready cases: each is chosen 45-55% of the time (14 standard
// deviations from 50%), whether they are closed channels, full buffers
// kept full, or a send and a receive. Four: each 20-30%.
TEST_P(select_test, ready_cases_are_chosen_uniformly) {
  gort::run([] {
    auto a = closed_chan(), b = closed_chan(), c = closed_chan();
    auto f = gort::make_chan<int>(1), g = gort::make_chan<int>(1);
    auto s = gort::make_chan<int>(1);
    f.send(1);
    g.send(2);
    auto closed_pair = [&] { return gort::select(case_recv(a), case_recv(b)); };
    auto full_pair = [&] {
      int v = 0;
      auto h = [&](oint x) { v = x.value(); };
      auto r = gort::select(case_recv(f, h), case_recv(g, h));
      (v == 1 ? f : g).send(v);
      return r;
    };
    auto send_recv = [&] {
      auto r = gort::select(case_send(s, 1), case_recv(a));
      if (r == 0) (void)s.recv();
      return r;
    };
    auto four = [&] {
      auto r =
          gort::select(case_recv(a), case_recv(b), case_recv(f), case_recv(c));
      if (r == 2) f.send(1);
      return r;
    };
    expect_shares<2>(closed_pair, 0.45, 0.55);
    expect_shares<2>(full_pair, 0.45, 0.55);
    expect_shares<2>(send_recv, 0.45, 0.55);
    expect_shares<4>(four, 0.20, 0.30);
  });
}

TEST_P(select_test, default_runs_when_nothing_is_ready_and_only_then) {
  gort::run([] {
    auto u = gort::make_chan<int>(), e = gort::make_chan<int>(1);
    auto f = gort::make_chan<int>(1);
    f.send(1);
    EXPECT_EQ(gort::select(case_recv(u), case_recv(e), case_send(f, 2),
                           case_send(u, 3), case_default()),
              4u);
    EXPECT_EQ(gort::select(case_recv(u), case_recv(f), case_default()), 1u);
    EXPECT_EQ(gort::select(case_recv(closed_chan()), case_default()), 0u);
    // A goroutine blocked in a plain send makes the unbuffered receive
    // ready; one blocked in a plain receive makes the send ready.
    latch done(2);
    oint got;
    spawn(done, [&] { u.send(9); });
    wait_parked(1, wait_reason::chan_send);
    auto h = [&](oint v) { got = v; };
    EXPECT_EQ(gort::select(case_recv(u, h), case_default()), 0u);
    EXPECT_EQ(got, oint(9));
    spawn(done, [&] { got = u.recv(); });
    wait_parked(1, wait_reason::chan_receive);
    EXPECT_EQ(gort::select(case_default(), case_send(u, 10)), 1u);
    done.wait();
    EXPECT_EQ(got, oint(10));
  });
}

TEST_P(select_test, nil_case_is_never_ready) {
  gort::run([] {
    gort::chan<int> nil;
    auto ready = closed_chan();
    for (int i = 0; i < 1'000; ++i) {
      ASSERT_EQ(gort::select(case_recv(nil), case_send(nil, 1), case_default()),
                2u);
      ASSERT_EQ(
          gort::select(case_send(nil, 1), case_recv(ready), case_recv(nil)),
          1u);
    }
  });
}

// select {} and a select over nil channels only never return. A goroutine
// left blocked would fail the leak check, so plain detached threads block
// (forever: they hold only `returned`, kept alive by shared ownership).
TEST(select_forever_test, no_cases_or_only_nil_cases_block_forever) {
  auto returned = std::make_shared<std::atomic<int>>(0);
  std::thread([returned] {
    gort::select();
    ++*returned;
  }).detach();
  std::thread([returned] {
    gort::chan<int> nil;
    gort::select(case_recv(nil), case_send(nil, 1));
    ++*returned;
  }).detach();
  for (int nils = 0; nils < 2; ++nils) {  // run-time lists: empty, nil only
    std::thread([returned, nils] {
      std::vector<gort::select_case> v;
      if (nils > 0) v.emplace_back(case_recv(gort::chan<int>{}));
      gort::select(v);
      ++*returned;
    }).detach();
  }
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(returned->load(), 0);
}

TEST_P(select_test, after_times_out_a_select_and_not_early) {
  auto never = gort::make_chan<int>();
  auto check = [&] {
    const auto t0 = clock_type::now();
    const std::size_t r =
        gort::select(case_recv(never), case_recv(gort::after(50ms)));
    const auto took = clock_type::now() - t0;
    EXPECT_EQ(r, 1u);
    EXPECT_GE(took, 50ms);
    EXPECT_LT(took, 50ms + slack);
  };
  gort::run(check);
  check();  // from this plain thread
  EXPECT_TRUE(nothing_queued(never));
}

TEST_P(select_test, send_case_to_waiting_receiver_buffer_space_or_later) {
  gort::run([] {
    auto u = gort::make_chan<int>(), never = gort::make_chan<int>();
    oint got;
    latch done(2);
    spawn(done, [&] { got = u.recv(); });
    wait_parked(1, wait_reason::chan_receive);
    EXPECT_EQ(gort::select(case_send(u, 42), case_default()), 0u);
    auto b = gort::make_chan<int>(2);
    EXPECT_EQ(gort::select(case_send(b, 1), case_default()), 0u);
    EXPECT_EQ(gort::select(case_send(b, 2), case_default()), 0u);
    EXPECT_EQ(gort::select(case_send(b, 3), case_default()), 1u);
    EXPECT_EQ(b.recv(), oint(1));
    // No receiver yet: the select waits, and completes with the receive.
    std::atomic<bool> sent{false};
    std::size_t r = 9;
    spawn(done, [&] {
      r = gort::select(case_recv(never), case_send(u, 9, [&] { sent = true; }));
    });
    wait_parked(1);
    EXPECT_FALSE(sent.load());
    EXPECT_EQ(u.recv(), oint(9));
    done.wait();
    EXPECT_EQ(got, oint(42));
    EXPECT_EQ(r, 1u);
    EXPECT_TRUE(sent.load());
    EXPECT_TRUE(nothing_queued(never));
  });
}

TEST_P(select_test, send_case_on_closed_channel_throws_when_chosen) {
  gort::run([] {
    auto c = closed_chan(), never = gort::make_chan<int>();
    bool dflt = false;
    EXPECT_THROW(
        gort::select(case_send(c, 1), case_default([&] { dflt = true; })),
        gort::usage_error);
    EXPECT_FALSE(dflt) << "a send on a closed channel is ready: no default";
    EXPECT_THROW(gort::select(case_recv(never), case_send(c, 1)),
                 gort::usage_error);
    auto d = gort::make_chan<int>();  // closed while the select waits
    std::atomic<int> threw{0};
    latch done(1);
    spawn(done, [&] {
      try {
        gort::select(case_send(d, 1), case_recv(never));
      } catch (const gort::usage_error&) {
        ++threw;
      }
    });
    wait_parked(1);
    d.close();
    done.wait();
    EXPECT_EQ(threw.load(), 1);
    EXPECT_TRUE(nothing_queued(never));
  });
}

// An lvalue of a move-only T in a send case that is not chosen keeps its
// value: when another case is ready, when the default runs, and when the
// select waits and another case wins. The chosen case moves it.
TEST_P(select_test, unchosen_send_of_move_only_lvalue_keeps_its_value) {
  using up = std::unique_ptr<int>;
  gort::run([] {
    auto pc = gort::make_chan<up>();
    auto other = gort::make_chan<int>(), ready = closed_chan();
    up p = std::make_unique<int>(5);
    for (int i = 0; i < 100; ++i) {
      ASSERT_EQ(gort::select(case_send(pc, p), case_recv(ready)), 1u);
      ASSERT_NE(p, nullptr) << "lost by an unchosen send case";
    }
    EXPECT_EQ(gort::select(case_send(pc, p), case_default()), 1u);
    ASSERT_NE(p, nullptr) << "lost when the default ran";
    latch done(1);
    spawn(done, [&] { gort::select(case_send(pc, p), case_recv(other)); });
    wait_parked(1);
    other.send(1);
    done.wait();
    ASSERT_NE(p, nullptr) << "lost when another case woke the select";
    auto buf = gort::make_chan<up>(1);
    EXPECT_EQ(gort::select(case_send(buf, p), case_recv(pc)), 0u);
    EXPECT_EQ(p, nullptr) << "the chosen case moves the value";
    EXPECT_EQ(*buf.recv().value(), 5);
  });
}

// Two receive cases on one channel: one value completes exactly one case.
TEST_P(select_test, same_channel_in_two_receive_cases_completes_one) {
  gort::run([] {
    auto c = gort::make_chan<int>(1), u = gort::make_chan<int>();
    std::array<oint, 2> got;
    auto sel = [&](const gort::chan<int>& ch) {
      got = {};
      return gort::select(case_recv(ch, [&](oint v) { got[0] = v; }),
                          case_recv(ch, [&](oint v) { got[1] = v; }));
    };
    for (int i = 0; i < 1'000; ++i) {
      c.send(i);
      const std::size_t r = sel(c);
      ASSERT_EQ(got[r], oint(i));
      ASSERT_FALSE(got[1 - r]);
    }
    for (int i = 0; i < 50; ++i) {
      std::size_t r = 2;
      latch done(1);
      spawn(done, [&] { r = sel(u); });
      wait_parked(1);
      u.send(i);
      done.wait();
      ASSERT_LT(r, 2u);
      EXPECT_EQ(got[r], oint(i));
      EXPECT_FALSE(got[1 - r]);
      ASSERT_TRUE(nothing_queued(u));
    }
  });
}

// One select sends and receives on one unbuffered channel while another
// goroutine does a plain receive or send. The select cannot pair with
// itself: exactly one case completes, with the other goroutine.
TEST_P(select_test, send_and_receive_cases_on_one_channel_pair_with_a_peer) {
  gort::run([] {
    for (int round = 0; round < 200; ++round) {
      auto c = gort::make_chan<int>();
      const bool peer_receives = round % 2 == 0;
      std::size_t r = 2;
      oint got_sel, got_peer;
      bool peer_threw = false;
      latch sel_done(1), peer_done(1);
      auto selector = [&] {
        r = gort::select(case_send(c, 100),
                         case_recv(c, [&](oint v) { got_sel = v; }));
      };
      auto peer = [&] {
        try {
          peer_receives ? (void)(got_peer = c.recv()) : c.send(7);
        } catch (const gort::usage_error&) {
          peer_threw = true;
        }
      };
      const bool selector_first = round % 4 < 2;
      if (selector_first) spawn(sel_done, selector);
      spawn(peer_done, peer);
      if (!selector_first) spawn(sel_done, selector);
      sel_done.wait();
      if (!gort_test::eventually([&] { return peer_done.try_wait(); }, slack)) {
        ADD_FAILURE() << "the select completed without its peer";
        c.close();  // release the peer
      }
      peer_done.wait();
      ASSERT_FALSE(peer_threw);
      EXPECT_EQ(r, peer_receives ? 0u : 1u);
      EXPECT_EQ(got_peer, peer_receives ? oint(100) : oint());
      EXPECT_EQ(got_sel, peer_receives ? oint() : oint(7));
    }
  });
}

// A goroutine blocked in select(recv a, send b) is woken by a plain send on
// a (how 0), a plain receive from b (1), or a close of a (2); afterwards
// neither channel keeps a waiter of it.
void wake_blocked_select(int how) {
  auto a = gort::make_chan<int>(), b = gort::make_chan<int>();
  std::size_t r = 2;
  oint got;
  latch done(1);
  spawn(done, [&] {
    r = gort::select(case_recv(a, [&](oint v) { got = v; }), case_send(b, 5));
  });
  wait_parked(1);
  if (how == 0) a.send(1);
  if (how == 1) got = b.recv();
  if (how == 2) a.close();
  done.wait();
  EXPECT_EQ(r, how == 1 ? 1u : 0u) << "how=" << how;
  EXPECT_EQ(got, how == 2 ? oint() : oint(how == 0 ? 1 : 5)) << "how=" << how;
  EXPECT_TRUE(nothing_queued(b)) << "how=" << how;
  EXPECT_TRUE(how == 2 || nothing_queued(a)) << "how=" << how;
}

TEST_P(select_test, blocked_select_is_woken_by_send_receive_or_close) {
  for (int how = 0; how < 3; ++how) {
    gort::run([how] { wake_blocked_select(how); });  // waker: a goroutine
    wake_blocked_select(how);                        // waker: a plain thread
  }
}

TEST_P(select_test, many_goroutines_blocked_in_selects_on_the_same_channels) {
  constexpr int n = 64;
  gort::run([] {
    auto a = gort::make_chan<int>(), b = gort::make_chan<int>();
    std::vector<oint> got(n);
    std::vector<std::size_t> chose(n, 9);
    auto block_all_then = [&](auto release) {
      latch done(n);
      for (int i = 0; i < n; ++i) {
        spawn(done, [&, i] {
          auto h = [&](oint v) { got[i] = v; };
          chose[i] = gort::select(case_recv(a, h), case_recv(b, h));
        });
      }
      wait_parked(n);
      release();
      done.wait();
    };
    block_all_then([&] {
      for (int v = 1; v <= n; ++v) (v % 2 ? a : b).send(v);
    });
    std::vector<int> values;
    for (int i = 0; i < n; ++i) {
      ASSERT_TRUE(got[i]) << i;
      EXPECT_EQ(chose[i], *got[i] % 2 ? 0u : 1u);
      values.push_back(*got[i]);
    }
    std::sort(values.begin(), values.end());
    for (int i = 0; i < n; ++i) EXPECT_EQ(values[i], i + 1);
    block_all_then([&] { b.close(); });  // one close releases them all
    for (int i = 0; i < n; ++i) {
      EXPECT_EQ(chose[i], 1u);
      EXPECT_FALSE(got[i]);
    }
  });
}

TEST_P(select_test, list_form_returns_the_index_in_the_list) {
  gort::run([] {
    auto a = gort::make_chan<int>(1), b = gort::make_chan<int>(1);
    auto s = gort::make_chan<int>(1);
    oint got;
    bool dflt = false;
    auto list = [&](bool with_default) {
      std::vector<gort::select_case> v;
      v.emplace_back(case_recv(a, [&](oint x) { got = x; }));
      v.emplace_back(case_recv(b, [&](oint x) { got = x; }));
      if (with_default) v.emplace_back(case_default([&] { dflt = true; }));
      return v;
    };
    auto v = list(true);
    EXPECT_EQ(gort::select(v), 2u);
    EXPECT_TRUE(dflt);
    b.send(4);
    v = list(true);
    EXPECT_EQ(gort::select(std::span<gort::select_case>(v)), 1u);
    EXPECT_EQ(got, oint(4));
    v = list(false);
    v.emplace_back(case_send(s, 8));
    EXPECT_EQ(gort::select(v), 2u);
    EXPECT_EQ(s.recv(), oint(8));
    v = list(false);  // blocks until a goroutine sends
    gort::go([&] { a.send(3); });
    EXPECT_EQ(gort::select(v), 0u);
    EXPECT_EQ(got, oint(3));
    v = list(true);
    v.emplace_back(case_default());
    EXPECT_THROW(gort::select(v), gort::usage_error) << "two defaults";
  });
}

TEST_P(select_test, list_form_over_a_hundred_channels_one_becomes_ready) {
  constexpr std::size_t n = 100;
  gort::run([] {
    std::vector<gort::chan<int>> cs;
    for (std::size_t i = 0; i < n; ++i) cs.push_back(gort::make_chan<int>());
    for (std::size_t k : {0u, 37u, 99u}) {
      std::vector<gort::select_case> v;
      oint got;
      for (auto& c : cs) v.emplace_back(case_recv(c, [&](oint x) { got = x; }));
      std::size_t r = n;
      latch done(1);
      gort::go([&] {
        r = gort::select(v);
        done.count_down();
      });
      wait_parked(1);
      cs[k].send(static_cast<int>(k) * 10);
      done.wait();
      EXPECT_EQ(r, k);
      EXPECT_EQ(got, oint(static_cast<int>(k) * 10));
      for (auto& c : cs)
        ASSERT_EQ(gort::select(case_send(c, -1), case_default()), 1u)
            << "a losing case left a waiter (ready: " << k << ")";
    }
  });
}

std::size_t pending_timers() {
  std::size_t n = 0;
  for (const auto& p : gort::stats().procs) n += p.timers;
  return n;
}

// A list case made from a temporary channel handle (the natural way to add
// a timeout to a run-time list) must keep its channel alive until the
// select has run, as the variadic form's temporaries live to the end of the
// call. A time channel that nothing refers to stops its timer (time.hpp),
// so the pending timer count shows whether the case kept it; the select is
// run only if it did (else it would use a freed channel).
TEST_P(select_test, list_case_keeps_a_temporary_channel_alive) {
  gort::run([] {
    auto never = gort::make_chan<int>();
    const std::size_t base = pending_timers();
    std::vector<gort::select_case> v;
    v.emplace_back(case_recv(never));
    v.emplace_back(case_recv(gort::after(10ms)));
    ASSERT_GT(pending_timers(), base)
        << "the case dropped the only handle of its after(10ms) channel";
    EXPECT_EQ(gort::select(v), 1u);
  });
}

}  // namespace
