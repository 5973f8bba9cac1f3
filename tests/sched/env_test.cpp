// Environment variables (API.md, "Environment"): read once when the runtime
// starts, so every test here runs its body in a fresh process. A threadsafe
// death test re-executes the binary and runs only that test, so the runtime
// starts in the child for the first time, after the child's setenv. Nothing
// outside EXPECT_EXIT may touch gort in these tests.
//
// A child reports what it saw as one summary line on the real stderr
// ("child: ..."), and the parent matches that line: a regex over the whole
// of stderr cannot say "exactly one line".
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "gort/sched.hpp"
#include "runtime/internal/env.hpp"
#include "sched/internal/latch.hpp"
#include "support/capture_stderr.hpp"
#include "support/sanitizer.hpp"

namespace {

using namespace std::chrono_literals;

// run_some_goroutines starts the runtime and returns 1 if 100 goroutines
// ran to completion under it.
int run_some_goroutines() {
  return gort::run([] {
    std::atomic<int> n{0};
    gort::internal::latch done(100);
    for (int i = 0; i < 100; ++i) {
      gort::go([&] {
        n.fetch_add(1);
        done.count_down();
      });
    }
    done.wait();
    return n.load() == 100 ? 1 : 0;
  });
}

// cpus_valid reports whether every processor's cpu is -1 or a CPU of this
// machine; with `must_be_unbound`, whether every one is -1.
bool cpus_valid(bool must_be_unbound) {
  const long ncpu = ::sysconf(_SC_NPROCESSORS_CONF);
  for (const auto& p : gort::stats().procs) {
    if (p.cpu == -1) continue;
    if (must_be_unbound || p.cpu < 0 || p.cpu >= ncpu) return false;
  }
  return true;
}

// child_with_bad_value is a death-test body. It sets name=value, starts the
// runtime, runs goroutines, and prints a summary of what the runtime wrote
// about `name`, followed by the captured text for the failure message.
[[noreturn]] void child_with_bad_value(const char* name, const char* value,
                                       const std::string& fallback) {
  ::setenv(name, value, 1);
  gort_test::stderr_capture capture;
  const int ran = run_some_goroutines();
  const std::string err = capture.stop();
  const auto lines = gort_test::lines_containing(err, name);
  const bool names_value =
      lines.size() == 1 && lines[0].find(value) != std::string::npos;
  const bool names_fallback =
      lines.size() == 1 && lines[0].find(fallback) != std::string::npos;
  std::fprintf(stderr,
               "child: lines=%zu names_value=%d names_fallback=%d ran=%d "
               "maxprocs=%d\ncaptured stderr:\n%s\n",
               lines.size(), names_value, names_fallback, ran, gort::maxprocs(),
               err.c_str());
  std::fflush(stderr);
  std::_Exit(0);
}

// child_with_good_values sets each name=value pair, starts the runtime and
// prints what it saw; `unbound` asks that every processor report cpu -1.
[[noreturn]] void child_with_good_values(
    const std::vector<std::pair<const char*, const char*>>& vars,
    bool unbound = false) {
  for (const auto& [name, value] : vars) ::setenv(name, value, 1);
  gort_test::stderr_capture capture;
  const int ran = run_some_goroutines();
  const std::string err = capture.stop();
  const auto warnings = gort_test::lines_containing(err, "GORT_");
  const auto s = gort::stats();
  std::fprintf(stderr,
               "child: warnings=%zu ran=%d maxprocs=%d processors=%d "
               "procs=%zu cpus_valid=%d\ncaptured stderr:\n%s\n",
               warnings.size(), ran, gort::maxprocs(), s.processors,
               s.procs.size(), cpus_valid(unbound), err.c_str());
  std::fflush(stderr);
  std::_Exit(0);
}

std::string default_procs() {
  return std::to_string(gort::internal::default_procs());
}

struct bad_value {
  const char* name;   // for the test name
  const char* value;  // GORT_MAXPROCS's value
};

class bad_maxprocs_test : public ::testing::TestWithParam<bad_value> {};

INSTANTIATE_TEST_SUITE_P(
    env, bad_maxprocs_test,
    ::testing::Values(bad_value{"zero", "0"}, bad_value{"negative", "-3"},
                      bad_value{"letters", "abc"},
                      bad_value{"too_big", "99999999"}, bad_value{"empty", ""}),
    [](const auto& p) { return std::string(p.param.name); });

TEST_P(bad_maxprocs_test, warns_once_and_uses_default) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const std::string expected =
      "child: lines=1 names_value=1 names_fallback=1 ran=1 maxprocs=" +
      default_procs() + "\n";
  EXPECT_EXIT(
      child_with_bad_value("GORT_MAXPROCS", GetParam().value, default_procs()),
      ::testing::ExitedWithCode(0), expected);
}

TEST(env_test, bad_stack_size_warns_once_and_goes_on) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(child_with_bad_value("GORT_STACK_SIZE", "12Q", ""),
              ::testing::ExitedWithCode(0),
              "child: lines=1 names_value=1 names_fallback=1 ran=1 ");
}

TEST(env_test, bad_pin_warns_once_and_goes_on) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(child_with_bad_value("GORT_PIN", "sideways", ""),
              ::testing::ExitedWithCode(0),
              "child: lines=1 names_value=1 names_fallback=1 ran=1 ");
}

TEST(env_test, bad_schedtrace_warns_once_and_goes_on) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(child_with_bad_value("GORT_SCHEDTRACE", "-5", ""),
              ::testing::ExitedWithCode(0),
              "child: lines=1 names_value=1 names_fallback=1 ran=1 ");
}

TEST(env_test, maxprocs_is_honoured) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(child_with_good_values({{"GORT_MAXPROCS", "3"}}),
              ::testing::ExitedWithCode(0),
              "child: warnings=0 ran=1 maxprocs=3 processors=3 procs=3 ");
}

TEST(env_test, clean_environment_prints_nothing_and_uses_default) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        for (const char* v : {"GORT_MAXPROCS", "GORT_PIN", "GORT_STACK_SIZE",
                              "GORT_SCHEDTRACE", "GORT_TRACE"})
          ::unsetenv(v);
        child_with_good_values({});
      },
      ::testing::ExitedWithCode(0),
      "child: warnings=0 ran=1 maxprocs=" + default_procs() +
          " processors=" + default_procs() + " ");
}

TEST(env_test, pin_modes_are_accepted_silently) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(child_with_good_values(
                  {{"GORT_PIN", "none"}, {"GORT_MAXPROCS", "2"}}, true),
              ::testing::ExitedWithCode(0),
              "child: warnings=0 ran=1 maxprocs=2 processors=2 procs=2 "
              "cpus_valid=1");
  EXPECT_EXIT(
      child_with_good_values({{"GORT_PIN", "core"}, {"GORT_MAXPROCS", "2"}}),
      ::testing::ExitedWithCode(0),
      "child: warnings=0 ran=1 maxprocs=2 processors=2 procs=2 "
      "cpus_valid=1");
  EXPECT_EXIT(
      child_with_good_values({{"GORT_PIN", "pu"}, {"GORT_MAXPROCS", "2"}}),
      ::testing::ExitedWithCode(0),
      "child: warnings=0 ran=1 maxprocs=2 processors=2 procs=2 "
      "cpus_valid=1");
}

volatile int g_never = -1;

// deep uses about depth * 600 bytes of stack.
[[gnu::noinline]] int deep(int depth) {
  volatile char buffer[512];
  buffer[depth % 512] = static_cast<char>(depth);
  if (depth == 0 || depth == g_never) return buffer[0];
  return deep(depth - 1) + buffer[(depth * 7) % 512];
}

TEST(env_test, stack_size_is_honoured) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  // 1,000 frames of a 512-byte buffer need about 600 KiB (more under ASan):
  // fine on 4 MiB stacks.
  EXPECT_EXIT(
      {
        ::setenv("GORT_STACK_SIZE", "4M", 1);
        gort_test::stderr_capture capture;
        const int r = gort::run([] {
          std::atomic<int> sum{0};
          gort::internal::latch done(1);
          gort::go([&] {
            sum = deep(1000);
            done.count_down();
          });
          done.wait();
          return 1;
        });
        const std::string err = capture.stop();
        std::fprintf(stderr, "child: warnings=%zu ran=%d\n%s\n",
                     gort_test::lines_containing(err, "GORT_").size(), r,
                     err.c_str());
        std::fflush(stderr);
        std::_Exit(0);
      },
      ::testing::ExitedWithCode(0), "child: warnings=0 ran=1\n");
}

// schedtrace_line is what parse_schedtrace reads from a line that matches
//   ^SCHED [0-9]+ms: gomaxprocs=[0-9]+ idleprocs=[0-9]+ threads=[0-9]+
//    spinningthreads=[0-9]+ idlethreads=[0-9]+ runqueue=[0-9]+ \[[0-9 ]*\]
// (by hand: std::regex trips g++ 12's -Wmaybe-uninitialized under ASan).
struct schedtrace_line {
  long gomaxprocs = 0;
  int entries = 0;  // numbers between the brackets: one per P
};

std::optional<schedtrace_line> parse_schedtrace(std::string_view line) {
  auto lit = [&](std::string_view s) {
    if (line.substr(0, s.size()) != s) return false;
    line.remove_prefix(s.size());
    return true;
  };
  auto num = [&](long* out) {
    std::size_t n = 0;
    long v = 0;
    while (n < line.size() &&
           std::isdigit(static_cast<unsigned char>(line[n]))) {
      v = v * 10 + (line[n] - '0');
      ++n;
    }
    if (n == 0) return false;
    line.remove_prefix(n);
    if (out != nullptr) *out = v;
    return true;
  };
  schedtrace_line t;
  if (!(lit("SCHED ") && num(nullptr) && lit("ms: gomaxprocs=") &&
        num(&t.gomaxprocs) && lit(" idleprocs=") && num(nullptr) &&
        lit(" threads=") && num(nullptr) && lit(" spinningthreads=") &&
        num(nullptr) && lit(" idlethreads=") && num(nullptr) &&
        lit(" runqueue=") && num(nullptr) && lit(" [")))
    return std::nullopt;
  bool in_number = false;
  while (!line.empty() && (std::isdigit(static_cast<unsigned char>(line[0])) ||
                           line[0] == ' ')) {
    const bool digit = line[0] != ' ';
    if (digit && !in_number) ++t.entries;
    in_number = digit;
    line.remove_prefix(1);
  }
  if (!lit("]")) return std::nullopt;
  return t;
}

TEST(env_test, schedtrace_parser_accepts_go_shape_only) {
  const auto t = parse_schedtrace(
      "SCHED 1004ms: gomaxprocs=2 idleprocs=0 threads=5 spinningthreads=0 "
      "idlethreads=1 runqueue=0 [0 0]");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->gomaxprocs, 2);
  EXPECT_EQ(t->entries, 2);
  EXPECT_FALSE(parse_schedtrace("SCHED 1004ms: gomaxprocs=2").has_value());
  EXPECT_FALSE(
      parse_schedtrace(" SCHED 1ms: gomaxprocs=2 idleprocs=0 threads=5 "
                       "spinningthreads=0 idlethreads=1 runqueue=0 []")
          .has_value());
}

TEST(env_test, schedtrace_prints_go_shaped_lines) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        ::setenv("GORT_SCHEDTRACE", "20", 1);
        ::setenv("GORT_MAXPROCS", "2", 1);
        gort_test::stderr_capture capture;
        gort::run([&] {
          gort::sleep(100ms);
          // Watchdog for slow (sanitized) builds: wait up to 10 s more for
          // a first line.
          for (int i = 0;
               i < 100 && capture.peek().find("SCHED") == std::string::npos;
               ++i)
            gort::sleep(100ms);
        });
        const std::string err = capture.stop();
        int lines = 0;
        int two = 0;
        for (const auto& l : gort_test::lines_containing(err, "SCHED")) {
          const auto t = parse_schedtrace(l);
          lines += t ? 1 : 0;
          two += t && t->gomaxprocs == 2 && t->entries == 2 ? 1 : 0;
        }
        std::fprintf(stderr, "child: schedtrace_lines=%d two_procs=%d\n%s\n",
                     lines, two, err.c_str());
        std::fflush(stderr);
        std::_Exit(0);
      },
      ::testing::ExitedWithCode(0),
      "child: schedtrace_lines=[1-9][0-9]* two_procs=[1-9]");
}

// The runtime starts lazily: go() from plain threads, with no run() ever
// called in the process, starts it and the goroutines complete.
TEST(env_test, go_from_eight_threads_starts_runtime_lazily) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        constexpr int threads = 8;
        const int n = static_cast<int>(gort_test::scaled(10'000, 1'000, 250));
        std::atomic<int> ran{0};
        gort::internal::latch done(threads * n);
        std::vector<std::thread> spawners;
        for (int t = 0; t < threads; ++t) {
          spawners.emplace_back([&] {
            for (int i = 0; i < n; ++i) {
              gort::go([&] {
                ran.fetch_add(1, std::memory_order_relaxed);
                done.count_down();
              });
            }
          });
        }
        for (auto& t : spawners) t.join();
        done.wait();
        std::fprintf(stderr, "child: all_ran=%d (%d of %d)\n",
                     ran.load() == threads * n ? 1 : 0, ran.load(),
                     threads * n);
        std::fflush(stderr);
        std::_Exit(0);
      },
      ::testing::ExitedWithCode(0), "child: all_ran=1 ");
}

}  // namespace
