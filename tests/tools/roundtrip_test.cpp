// Round trip: the runtime writes a trace (runtime/trace.cpp), gort-trace's
// reader reads it back, and the counts agree with what stats() counted over
// the same stretch: goroutines created, parks, steals and goroutines
// stolen, timers fired. Then the summary and the Chrome export of that real
// trace are checked for what a user looks at.
#include <cstdint>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "gort/gort.hpp"
#include "gort/trace.hpp"
#include "sched/internal/latch.hpp"
#include "tools/json.hpp"
#include "tools/trace/chrome.hpp"
#include "tools/trace/reader.hpp"
#include "tools/trace/summary.hpp"

namespace {

using namespace std::chrono_literals;
using gort_trace::ev;

struct totals {
  std::uint64_t created = 0, parks = 0, steals = 0, stolen = 0, timers = 0;
};

totals from_stats() {
  const gort::sched_stats st = gort::stats();
  totals t;
  t.created = st.goroutines_created;
  for (const gort::proc_stats& p : st.procs) {
    t.parks += p.parks;
    t.steals += p.steals;
    t.stolen += p.stolen;
    t.timers += p.timers_fired;
  }
  return t;
}

totals from_trace(const gort_trace::trace& tr) {
  totals t;
  for (const gort_trace::event& e : tr.events) {
    switch (e.kind) {
      case ev::go_create:
        ++t.created;
        break;
      case ev::go_park:
        ++t.parks;
        break;
      case ev::steal:
        ++t.steals;
        t.stolen += e.args[2];
        break;
      case ev::timer_fire:
        t.timers += e.args[2];
        break;
      default:
        break;
    }
  }
  return t;
}

std::vector<std::uint8_t> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A fan-out with channel hand-offs, sleeps and yields: creates, parks,
// steals (with several processors) and timers.
void workload() {
  gort::run([] {
    auto c = gort::make_chan<int>();
    gort::internal::latch done(3000);
    for (int i = 0; i < 3000; ++i) {
      gort::go([c, i, &done] {
        if (i % 5 == 0) gort::sleep(50us);
        if (i % 3 == 0) gort::yield();
        c.send(i);
        done.count_down();
      });
    }
    long sum = 0;
    for (int i = 0; i < 3000; ++i) sum += *c.recv();
    done.wait();
    // A goroutine counts done down before it ends, and its go_end event
    // comes after: wait for every end (the main goroutine counts one), or
    // trace_stop may miss the last one (a flake seen once under ASan).
    while (gort::num_goroutines() > 1) gort::yield();
    EXPECT_EQ(sum, 3000L * 2999 / 2);
  });
}

class roundtrip_test : public ::testing::TestWithParam<int> {};
INSTANTIATE_TEST_SUITE_P(procs, roundtrip_test, ::testing::Values(1, 2, 4),
                         [](const auto& p) {
                           return "procs" + std::to_string(p.param);
                         });

TEST_P(roundtrip_test, counts_match_stats_and_exports_are_valid) {
  const int old = gort::set_maxprocs(GetParam());
  const std::string path = ::testing::TempDir() + "gort_roundtrip_" +
                           std::to_string(GetParam()) + ".trace";
  workload();  // warm up: workers started, stacks cached
  const totals before = from_stats();
  gort::trace_start(path);
  workload();
  const totals after = from_stats();
  gort::trace_stop();
  gort::set_maxprocs(old);

  const std::vector<std::uint8_t> bytes = read_file(path);
  const gort_trace::trace tr = gort_trace::parse(bytes);
  const totals seen = from_trace(tr);
  EXPECT_EQ(seen.created, after.created - before.created);
  EXPECT_EQ(seen.parks, after.parks - before.parks);
  EXPECT_EQ(seen.steals, after.steals - before.steals);
  EXPECT_EQ(seen.stolen, after.stolen - before.stolen);
  EXPECT_EQ(seen.timers, after.timers - before.timers);
  EXPECT_GE(seen.created, 3000u);

  // Every goroutine created in the trace started and ended in it, and every
  // park was answered by an unpark.
  std::size_t starts = 0, ends = 0, unparks = 0, sites = 0;
  for (const gort_trace::event& e : tr.events) {
    starts += e.kind == ev::go_start;
    ends += e.kind == ev::go_end;
    unparks += e.kind == ev::go_unpark;
    sites += e.kind == ev::site;
  }
  EXPECT_GE(ends, 3000u);
  EXPECT_GE(starts, ends);
  EXPECT_GE(unparks, seen.parks);
  EXPECT_GE(sites, 2u) << "the workload's spawn site and run()'s";

  // The summary names the workload's spawn site and a processor's share.
  std::ostringstream summary;
  gort_trace::write_summary(summary, tr, path);
  EXPECT_NE(summary.str().find("roundtrip_test.cpp"), std::string::npos)
      << summary.str();
  EXPECT_NE(summary.str().find("chan receive"), std::string::npos)
      << summary.str();

  // The Chrome export is valid JSON with slices.
  std::ostringstream chrome;
  gort_trace::write_chrome(chrome, tr);
  const std::string json = chrome.str();
  EXPECT_NO_THROW(gort_test::json::parse(json));
  EXPECT_NE(json.find("\"ph\":\"X\""), std::string::npos);
  std::remove(path.c_str());
}

}  // namespace
