// The trace controls (gort/trace.hpp): starting and stopping a file trace,
// the flight recorder's bound, and its dumps on demand, on SIGUSR2 and on a
// deadlock. What the files contain is checked by tools_test, which reads
// them back with gort-trace's reader (tests/tools/roundtrip_test.cpp).
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <system_error>
#include <thread>

#include <gtest/gtest.h>

#include "gort/gort.hpp"
#include "gort/trace.hpp"
#include "sched/internal/latch.hpp"
#include "support/usage_error.hpp"

namespace {

using namespace std::chrono_literals;

// temp_path names a file in the test's temporary directory. No pid in it:
// a death test's child re-executes the binary and must compute the same
// name as its parent.
std::string temp_path(const char* name) {
  return ::testing::TempDir() + "gort_trace_test_" + name;
}

long file_size(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return -1;
  return static_cast<long>(st.st_size);
}

std::string file_head(const std::string& path, std::size_t n) {
  std::ifstream in(path, std::ios::binary);
  std::string s(n, '\0');
  in.read(s.data(), static_cast<std::streamsize>(n));
  s.resize(static_cast<std::size_t>(in.gcount()));
  return s;
}

// A workload with every kind of scheduling event: spawns, channel parks
// and unparks, sleeps (timers), yields, blocking().
void workload(int goroutines) {
  gort::run([goroutines] {
    auto c = gort::make_chan<int>();
    gort::internal::latch done(goroutines);
    for (int i = 0; i < goroutines; ++i) {
      gort::go([c, i, &done] {
        if (i % 7 == 0) gort::sleep(100us);
        if (i % 11 == 0) gort::yield();
        if (i % 13 == 0) gort::blocking([] {});
        c.send(i);
        done.count_down();
      });
    }
    for (int i = 0; i < goroutines; ++i) (void)c.recv();
    done.wait();
  });
}

TEST(trace_test, a_file_trace_has_the_header_and_grows_with_the_workload) {
  const std::string path = temp_path("file.trace");
  gort::trace_start(path);
  workload(2000);
  gort::trace_stop();
  EXPECT_EQ(file_head(path, 8), "GORTTRC1");
  EXPECT_GT(file_size(path), 2000 * 4) << "a few bytes per goroutine at least";
  gort::trace_stop();  // a no-op
  std::remove(path.c_str());
}

TEST(trace_test, misuse_is_reported) {
  const std::string path = temp_path("misuse.trace");
  gort::trace_start(path);
  EXPECT_TRUE(gort_test::throws_usage_error([&] { gort::trace_start(path); },
                                            "trace_start"));
  EXPECT_TRUE(gort_test::throws_usage_error(
      [&] { gort::flight_recorder_start(1 << 20, path); }, "already on"));
  EXPECT_FALSE(gort::flight_recorder_write(path)) << "no recorder is on";
  gort::trace_stop();
  EXPECT_THROW(gort::trace_start("/nonexistent-dir/x.trace"),
               std::system_error);
  std::remove(path.c_str());
}

// The recorder keeps only its budget: a workload that writes far more than
// it leaves a dump about the size of the budget, whatever its length.
TEST(trace_test, the_flight_recorder_keeps_only_the_most_recent_events) {
  const std::string small = temp_path("ring_small.trace");
  const std::string large = temp_path("ring_large.trace");
  constexpr std::size_t budget = 256 * 1024;
  gort::flight_recorder_start(budget, small);
  workload(1000);
  ASSERT_TRUE(gort::flight_recorder_write(small));
  workload(50'000);
  ASSERT_TRUE(gort::flight_recorder_write(large));
  gort::flight_recorder_stop();
  EXPECT_FALSE(gort::flight_recorder_write(large)) << "stopped";
  EXPECT_EQ(file_head(large, 8), "GORTTRC1");
  EXPECT_GT(file_size(large), file_size(small));
  // The budget, plus each worker's current chunk and the site batch.
  const long bound = static_cast<long>(budget) + 8 * 64 * 1024 + 64 * 1024;
  EXPECT_LE(file_size(large), bound);
  std::remove(small.c_str());
  std::remove(large.c_str());
}

TEST(trace_fresh_process_test, sigusr2_writes_the_flight_recorder) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const std::string path = temp_path("sigusr2.trace");
  std::remove(path.c_str());
  EXPECT_EXIT(
      {
        ::alarm(60);
        ::setenv("GORT_TRACE_RING", "1M", 1);
        ::setenv("GORT_TRACE", path.c_str(), 1);
        workload(500);
        ::raise(SIGUSR2);  // then intercepted sleeps: see dump_test
        for (int i = 0; i < 5000 && file_size(path) <= 0; ++i)
          std::this_thread::sleep_for(1ms);
        // The file appears while the signal thread is still writing it,
        // before it reports; leaving then lost the report (TSan CI run).
        // Ring writes hold one lock, and the signal thread opened the file
        // under it, so this write returns only after that write and report.
        gort::flight_recorder_write(path + ".after");
        std::remove((path + ".after").c_str());
        std::_Exit(file_size(path) > 32 ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "gort: flight recorder written to");
  EXPECT_EQ(file_head(path, 8), "GORTTRC1");
  std::remove(path.c_str());
}

TEST(trace_fresh_process_test, a_deadlock_writes_the_flight_recorder) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const std::string path = temp_path("deadlock.trace");
  std::remove(path.c_str());
  EXPECT_EXIT(
      {
        ::alarm(60);
        gort::flight_recorder_start(1 << 20, path);
        gort::run([] {
          auto c = gort::make_chan<int>();
          (void)c.recv();
        });
        std::_Exit(0);
      },
      ::testing::ExitedWithCode(2),
      "deadlock!.*gort: flight recorder written to [^\n]*deadlock\\.trace");
  EXPECT_EQ(file_head(path, 8), "GORTTRC1");
  std::remove(path.c_str());
}

TEST(trace_fresh_process_test, gort_trace_env_records_until_exit) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const std::string path = temp_path("env.trace");
  std::remove(path.c_str());
  EXPECT_EXIT(
      {
        ::alarm(60);
        ::setenv("GORT_TRACE", path.c_str(), 1);
        workload(500);
        std::exit(0);  // the trace is finished at exit
      },
      ::testing::ExitedWithCode(0), "");
  EXPECT_EQ(file_head(path, 8), "GORTTRC1");
  EXPECT_GT(file_size(path), 500 * 4);
  std::remove(path.c_str());
}

TEST(trace_fresh_process_test, a_bad_gort_trace_ring_value_is_named) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        ::alarm(60);
        ::setenv("GORT_TRACE_RING", "lots", 1);
        ::setenv("GORT_TRACE", "/dev/null", 1);
        workload(10);
        std::_Exit(0);
      },
      ::testing::ExitedWithCode(0), "GORT_TRACE_RING=\"lots\"");
}

}  // namespace
