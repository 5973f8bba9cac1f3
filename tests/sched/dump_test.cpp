// gort::dump and the SIGQUIT dump (sched/dump.cpp, sched/signals.cpp):
// every goroutine with its state, Go's wait reason, the time it has waited,
// a backtrace of its own stack and its spawn site.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <future>
#include <sstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "gort/gort.hpp"
#include "gort/trace.hpp"
#include "sched/internal/latch.hpp"
#include "support/procs_fixture.hpp"
#include "support/watchdog.hpp"

namespace {

using namespace std::chrono_literals;

// The probes: each parks in its own way, inside a function whose name the
// backtrace must show. The store after the wait keeps the wait from being
// a tail call, which would take the probe's frame off the stack.
std::atomic<int> probe_sink{0};
[[gnu::noinline]] void dump_probe_recv(gort::chan<int> c) {
  probe_sink.store(c.recv().value_or(0), std::memory_order_relaxed);
}
[[gnu::noinline]] void dump_probe_send(gort::chan<int> c) {
  c.send(7);
  probe_sink.store(1, std::memory_order_relaxed);
}
[[gnu::noinline]] void dump_probe_select(gort::chan<int> a, gort::chan<int> b) {
  probe_sink =
      static_cast<int>(gort::select(gort::case_recv(a), gort::case_recv(b)));
}
[[gnu::noinline]] void dump_probe_lock(gort::mutex& mu) {
  mu.lock();
  mu.unlock();
  probe_sink.store(2, std::memory_order_relaxed);
}
[[gnu::noinline]] void dump_probe_cond(gort::mutex& mu, gort::cond& cv,
                                       bool& go) {
  std::unique_lock<gort::mutex> lk(mu);
  cv.wait(lk, [&] { return go; });
  probe_sink.store(3, std::memory_order_relaxed);
}

class dump_test : public gort_test::procs_fixture {};
GORT_INSTANTIATE_PROCS(dump_test);

// blocks_in returns the dump's block for the goroutine whose header has
// `reason` and whose stack shows `probe`, or "" if there is none.
std::string block_with(const std::string& text, const std::string& reason,
                       const std::string& probe) {
  std::size_t at = 0;
  while ((at = text.find("goroutine ", at)) != std::string::npos) {
    std::size_t end = text.find("\ngoroutine ", at + 1);
    std::string block = text.substr(
        at, end == std::string::npos ? std::string::npos : end + 1 - at);
    if (block.find("[" + reason + ", ") != std::string::npos &&
        block.find(probe) != std::string::npos)
      return block;
    at = end == std::string::npos ? text.size() : end + 1;
  }
  return "";
}

// header_ok says whether block starts "goroutine <id> [<reason>, <time>]:"
// with a time in ms, s or minutes.
bool header_ok(const std::string& block, const std::string& reason) {
  const std::string head = block.substr(0, block.find('\n'));
  const std::size_t open = head.find(" [" + reason + ", ");
  if (head.rfind("goroutine ", 0) != 0 || open == std::string::npos ||
      head.size() < 3 || head.substr(head.size() - 2) != "]:")
    return false;
  const std::string id = head.substr(10, open - 10);
  const std::string time = head.substr(
      open + reason.size() + 4, head.size() - 2 - (open + reason.size() + 4));
  const std::size_t digits = time.find_first_not_of("0123456789");
  const std::string unit =
      digits == std::string::npos ? "" : time.substr(digits);
  return !id.empty() &&
         id.find_first_not_of("0123456789") == std::string::npos &&
         digits > 0 &&
         (unit == "ms" || unit == "s" || unit == " minute" ||
          unit == " minutes");
}

// site_ok says whether block names a spawn site in this file:
// "created by <function>\n\t<path>/dump_test.cpp:<line>".
bool site_ok(const std::string& block) {
  const std::size_t by = block.find("created by ");
  if (by == std::string::npos) return false;
  const std::size_t tab = block.find("\n\t", by);
  return tab != std::string::npos &&
         block.find("dump_test.cpp:", tab) != std::string::npos;
}

TEST_P(dump_test, lists_wait_reasons_backtraces_and_spawn_sites) {
  gort::run([] {
    auto rc = gort::make_chan<int>();
    auto sc = gort::make_chan<int>();
    auto a = gort::make_chan<int>();
    auto b = gort::make_chan<int>();
    gort::mutex mu, cmu;
    gort::cond cv;
    bool go = false;
    mu.lock();
    gort::internal::latch done(5);
    gort::go([&] {
      dump_probe_recv(rc);
      done.count_down();
    });
    gort::go([&] {
      dump_probe_send(sc);
      done.count_down();
    });
    gort::go([&] {
      dump_probe_select(a, b);
      done.count_down();
    });
    gort::go([&] {
      dump_probe_lock(mu);
      done.count_down();
    });
    gort::go([&] {
      dump_probe_cond(cmu, cv, go);
      done.count_down();
    });
    ASSERT_TRUE(gort_test::eventually([] {
      const auto st = gort::stats();
      auto n = [&](gort::wait_reason r) {
        return st.parked_by_reason[static_cast<std::size_t>(r)];
      };
      return n(gort::wait_reason::chan_receive) >= 1 &&
             n(gort::wait_reason::chan_send) >= 1 &&
             n(gort::wait_reason::select) >= 1 &&
             n(gort::wait_reason::sync_mutex_lock) >= 1 &&
             n(gort::wait_reason::sync_cond_wait) >= 1;
    }));
    std::ostringstream out;
    gort::dump(out);
    const std::string text = out.str();
    const struct {
      const char* reason;
      const char* probe;
    } want[] = {{"chan receive", "dump_probe_recv"},
                {"chan send", "dump_probe_send"},
                {"select", "dump_probe_select"},
                {"sync.Mutex.Lock", "dump_probe_lock"},
                {"sync.Cond.Wait", "dump_probe_cond"}};
    for (const auto& w : want) {
      const std::string block = block_with(text, w.reason, w.probe);
      EXPECT_FALSE(block.empty()) << w.reason << " / " << w.probe << " in:\n"
                                  << text;
      EXPECT_TRUE(header_ok(block, w.reason)) << block;
      EXPECT_TRUE(site_ok(block)) << block;
    }
    EXPECT_NE(text.find("main goroutine of gort::run"), std::string::npos);
    // Release everyone: the dump left them parked and intact.
    rc.send(1);
    (void)sc.recv();
    a.send(1);
    mu.unlock();
    {
      std::lock_guard<gort::mutex> lk(cmu);
      go = true;
    }
    cv.broadcast();
    done.wait();
  });
}

// A goroutine inside blocking() shows as such, and dump() may be called
// from a plain thread.
TEST_P(dump_test, shows_blocking_and_works_from_a_plain_thread) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  gort::internal::latch done(1);
  gort::go([released, &done] {
    gort::blocking([&] { released.wait(); });
    done.count_down();
  });
  ASSERT_TRUE(
      gort_test::eventually([] { return gort::stats().in_blocking >= 1; }));
  std::ostringstream out;
  gort::dump(out);
  EXPECT_NE(out.str().find("[blocking, "), std::string::npos) << out.str();
  release.set_value();
  done.wait();
}

// Goroutines parked for good: in a child process, so that they are not
// left behind in this one. The order of the blocks is not fixed, so each
// reason is checked by its own child.
[[noreturn]] void parked_for_good() {
  ::alarm(60);
  gort::go([] { (void)gort::chan<int>{}.recv(); });
  gort::go([] { gort::chan<int>{}.send(1); });
  gort::go([] { gort::select(); });
  while (gort::stats().parked < 3) std::this_thread::sleep_for(1ms);
  std::ostringstream out;
  gort::dump(out);
  std::fputs(out.str().c_str(), stderr);
  std::_Exit(0);
}

TEST(dump_forever_test, nil_channels_and_the_empty_select) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  for (const char* reason :
       {"chan receive \\(nil chan\\)", "chan send \\(nil chan\\)",
        "select \\(no cases\\)"}) {
    EXPECT_EXIT(parked_for_good(), ::testing::ExitedWithCode(0),
                std::string("goroutine [0-9]+ \\[") + reason +
                    ", [0-9]+ms\\]:\n.*created by");
  }
}

// SIGQUIT: the dump on stderr, then exit status 2, as in Go.
TEST(dump_forever_test, sigquit_dumps_every_goroutine_and_exits_2) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        ::alarm(60);
        gort::run([] {
          auto c = gort::make_chan<int>();
          gort::go([c] { dump_probe_recv(c); });
          while (gort::stats().parked < 1) gort::sleep(1ms);
          // raise: to this thread, which then waits in an intercepted
          // call, where TSan delivers the signals it defers.
          ::raise(SIGQUIT);
          for (;;) std::this_thread::sleep_for(1ms);
        });
        std::_Exit(0);
      },
      ::testing::ExitedWithCode(2),
      "SIGQUIT: quit\n\n.*\\[chan receive, .*dump_probe_recv.*created by");
}

}  // namespace
