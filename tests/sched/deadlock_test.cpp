// The deadlock report (sched/deadlock.cpp): when no goroutine can ever run
// again, gort prints Go's message and the goroutine dump and exits with
// status 2; when something can still wake a goroutine (a timer, a goroutine
// in blocking(), a thread gort does not know), it stays quiet.
//
// Each case runs in a child process (threadsafe death-test style
// re-executes the binary), with an alarm as the watchdog: a missed report
// shows up as SIGALRM instead of a hang. gtest matches one POSIX regex
// against the child's whole stderr; `.` matches newlines there, so one
// regex can check the parts of the report in order.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include <gtest/gtest.h>

#include "gort/gort.hpp"

namespace {

using namespace std::chrono_literals;

constexpr unsigned child_alarm = 60;  // seconds; a hang kills the child

const char* const deadlock_message =
    "gort: fatal error: all goroutines are asleep - deadlock!";

void child_setup() {
  ::alarm(child_alarm);
  ::setenv("GORT_MAXPROCS", "4", 1);  // more processors than cores
}

[[noreturn]] void two_mutexes() {
  child_setup();
  gort::run([] {
    gort::mutex a, b;
    gort::wait_group both;
    both.add(2);
    gort::go([&] {
      a.lock();
      both.done();
      both.wait();
      b.lock();  // held by main: never
    });
    b.lock();
    both.done();
    both.wait();
    a.lock();  // held by the other: never
  });
  std::_Exit(0);
}

TEST(deadlock_test, two_goroutines_deadlocked_on_two_mutexes) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(two_mutexes(), ::testing::ExitedWithCode(2),
              "all goroutines are asleep - deadlock!\n\ngoroutine [0-9]+ "
              "\\[sync\\.Mutex\\.Lock, [0-9]+ms\\]:\n.*goroutine [0-9]+ "
              "\\[sync\\.Mutex\\.Lock, [0-9]+ms\\]:\n");
}

TEST(deadlock_test, main_receiving_on_a_nil_channel) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        child_setup();
        gort::run([] {
          gort::chan<int> nil;
          (void)nil.recv();
        });
        std::_Exit(0);
      },
      ::testing::ExitedWithCode(2),
      "deadlock!\n\ngoroutine 1 \\[chan receive \\(nil chan\\), .*main "
      "goroutine of gort::run");
}

TEST(deadlock_test, all_goroutines_blocked_on_channels_nobody_sends_to) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        child_setup();
        gort::run([] {
          auto c = gort::make_chan<int>();
          auto d = gort::make_chan<int>(1);
          for (int i = 0; i < 10; ++i) gort::go([c] { (void)c.recv(); });
          gort::go([d] {
            d.send(1);
            d.send(2);  // the buffer is full: never
          });
          (void)gort::select(gort::case_recv(c), gort::case_recv(c));
        });
        std::_Exit(0);
      },
      ::testing::ExitedWithCode(2),
      "deadlock!.*\\[chan receive, .*\\[chan send, .*\\[select, ");
}

// A plain thread blocked on a channel whose only partners are deadlocked
// goroutines is part of the deadlock (no gort::run at all here).
TEST(deadlock_test, plain_thread_waiting_on_deadlocked_goroutines) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        child_setup();
        auto c = gort::make_chan<int>();
        auto never = gort::make_chan<int>();
        gort::go([c, never] {
          (void)never.recv();  // nobody sends: never
          c.send(1);
        });
        (void)c.recv();
        std::_Exit(0);
      },
      ::testing::ExitedWithCode(2),
      "deadlock!.*\\[chan receive, .*1 plain thread is asleep");
}

// The report names the spawn site of every goroutine.
TEST(deadlock_test, the_report_names_spawn_sites) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(two_mutexes(), ::testing::ExitedWithCode(2),
              "created by .*\n\t[^\n]*deadlock_test\\.cpp:[0-9]+");
}

// No report while something can still wake a goroutine. Each child ends
// with exit status 0 only if the program finished normally.
TEST(deadlock_test, no_report_while_a_timer_is_pending) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        child_setup();
        gort::run([] {
          auto c = gort::make_chan<int>();
          gort::go([c] {
            gort::sleep(400ms);  // everyone else is parked meanwhile
            c.send(1);
          });
          (void)c.recv();
        });
        std::_Exit(0);
      },
      ::testing::ExitedWithCode(0), "");
}

TEST(deadlock_test, no_report_while_a_goroutine_is_in_blocking) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        child_setup();
        gort::run([] {
          auto c = gort::make_chan<int>();
          gort::go([c] {
            gort::blocking([] { std::this_thread::sleep_for(400ms); });
            c.send(1);
          });
          (void)c.recv();
        });
        std::_Exit(0);
      },
      ::testing::ExitedWithCode(0), "");
}

TEST(deadlock_test, no_report_while_an_unknown_thread_may_still_send) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        child_setup();
        auto c = gort::make_chan<int>();
        std::thread sender([c] {
          std::this_thread::sleep_for(400ms);  // not in a gort wait
          c.send(1);
        });
        gort::run([c] { (void)c.recv(); });
        sender.join();
        std::_Exit(0);
      },
      ::testing::ExitedWithCode(0), "");
}

// Parked goroutines that are not needed any more do not make a deadlock
// while the program goes on: main returns and the process exits normally.
TEST(deadlock_test, leaked_goroutines_alone_are_not_reported) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        child_setup();
        gort::run([] {
          auto c = gort::make_chan<int>();
          for (int i = 0; i < 100; ++i) gort::go([c] { (void)c.recv(); });
        });
        std::this_thread::sleep_for(400ms);  // plain code, not a gort wait
        std::_Exit(0);
      },
      ::testing::ExitedWithCode(0), "");
}

}  // namespace
