// The summary's numbers on the hand-built trace of sample_trace.hpp, whose
// answers are worked out there; and its helpers (durations, names).
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include <gort/wait_reason.hpp>

#include "tools/sample_trace.hpp"
#include "tools/trace/summary.hpp"
#include "tools/trace/timeline.hpp"

namespace {

using namespace gort_test::trace;
using gort::wait_reason;
using gort_trace::run_end;

struct trace_summary_sample : ::testing::Test {
  gort_trace::trace t = gort_trace::parse(sample_trace());
  gort_trace::timeline tl = gort_trace::build_timeline(t);
  gort_trace::summary s = gort_trace::summarize(t, tl);
};

TEST_F(trace_summary_sample, timeline_runs) {
  EXPECT_EQ(tl.begin, 0);
  EXPECT_EQ(tl.end, 10000);
  struct want {
    std::uint64_t goid, proc;
    std::uint32_t m;
    std::int64_t begin, end;
    run_end why;
  };
  const want runs[] = {
      {1, 0, 1, 50, 160, run_end::park},
      {2, 0, 1, 200, 1200, run_end::park},
      {3, 1, 2, 700, 1700, run_end::stop},
      {4, 0, 1, 1300, 2300, run_end::end},
      {3, 1, 2, 1750, 2750, run_end::blocking},
      {2, 0, 1, 2400, 3400, run_end::park},
      {3, 1, 2, 4000, 5000, run_end::park},
      {3, 1, 2, 6000, 10000, run_end::trace_end},
  };
  ASSERT_EQ(tl.runs.size(), std::size(runs));
  for (std::size_t i = 0; i < std::size(runs); ++i) {
    SCOPED_TRACE(i);
    const auto& r = tl.runs[i];
    EXPECT_EQ(r.goid, runs[i].goid);
    EXPECT_EQ(r.proc, runs[i].proc);
    EXPECT_EQ(r.m, runs[i].m);
    EXPECT_EQ(r.begin, runs[i].begin);
    EXPECT_EQ(r.end, runs[i].end);
    EXPECT_EQ(r.why, runs[i].why);
  }
  EXPECT_EQ(gort_trace::end_name(tl.runs[1]), "park: chan receive");
  EXPECT_EQ(tl.runs[5].unparked != gort_trace::no_event, true);
  EXPECT_EQ(t.events[tl.runs[5].unparked].kind, fmt::ev::go_unpark);
  EXPECT_EQ(t.events[tl.runs[2].stolen].kind, fmt::ev::steal);
  EXPECT_EQ(tl.runs[6].unparked, gort_trace::no_event);
  EXPECT_EQ(tl.runs[7].unparked, gort_trace::no_event);
}

TEST_F(trace_summary_sample, span_workers_processors_counts) {
  EXPECT_EQ(s.span, 10000);
  EXPECT_EQ(s.workers, 2u);
  EXPECT_TRUE(s.shared_buffer);
  EXPECT_EQ(s.procs, 2u);
  EXPECT_EQ(s.events, 26u);
  auto count = [&](fmt::ev k) { return s.counts[static_cast<std::size_t>(k)]; };
  EXPECT_EQ(count(fmt::ev::go_start), 8u);
  EXPECT_EQ(count(fmt::ev::go_park), 4u);
  EXPECT_EQ(count(fmt::ev::site), 2u);
  EXPECT_EQ(count(fmt::ev::sched), 1u);
  EXPECT_EQ(count(fmt::ev::proc_start), 0u);
}

TEST_F(trace_summary_sample, utilisation) {
  ASSERT_EQ(s.utilisation.size(), 2u);
  EXPECT_EQ(s.utilisation[0].proc, 0u);
  EXPECT_EQ(s.utilisation[0].running, 3110);
  EXPECT_DOUBLE_EQ(s.utilisation[0].utilisation, 0.311);
  EXPECT_EQ(s.utilisation[1].proc, 1u);
  EXPECT_EQ(s.utilisation[1].running, 7000);
  EXPECT_DOUBLE_EQ(s.utilisation[1].utilisation, 0.7);
}

TEST_F(trace_summary_sample, created_and_steals) {
  EXPECT_EQ(s.created, 3u);
  EXPECT_EQ(s.steals, 1u);
  EXPECT_EQ(s.stolen, 1u);
}

TEST_F(trace_summary_sample, scheduling_latency) {
  EXPECT_EQ(s.sched_latency.samples, 6u);
  EXPECT_EQ(s.sched_latency.p50, 600);
  EXPECT_EQ(s.sched_latency.p99, 1150);
  EXPECT_EQ(s.sched_latency.max, 1150);
}

TEST_F(trace_summary_sample, wait_reasons) {
  ASSERT_EQ(s.waits.size(), 3u);
  EXPECT_EQ(s.waits[0].reason, reason(wait_reason::sync_wait_group_wait));
  EXPECT_EQ(s.waits[0].count, 1u);
  EXPECT_EQ(s.waits[0].total, 9840);
  EXPECT_EQ(s.waits[1].reason, reason(wait_reason::sleep));
  EXPECT_EQ(s.waits[1].count, 1u);
  EXPECT_EQ(s.waits[1].total, 6600);
  EXPECT_EQ(s.waits[2].reason, reason(wait_reason::chan_receive));
  EXPECT_EQ(s.waits[2].count, 2u);
  EXPECT_EQ(s.waits[2].total, 1600);
  EXPECT_EQ(s.still_parked, 2u);
}

TEST_F(trace_summary_sample, spawn_sites) {
  ASSERT_EQ(s.by_count.size(), 2u);
  EXPECT_EQ(s.by_count[0].site, 1u);
  EXPECT_EQ(s.by_count[0].goroutines, 2u);
  EXPECT_EQ(s.by_count[0].running, 9000);
  EXPECT_EQ(s.by_count[1].site, 2u);
  EXPECT_EQ(s.by_count[1].goroutines, 1u);
  EXPECT_EQ(s.by_count[1].running, 1000);
  ASSERT_EQ(s.by_time.size(), 3u);
  EXPECT_EQ(s.by_time[0].site, 1u);
  EXPECT_EQ(s.by_time[1].site, 2u);
  EXPECT_FALSE(s.by_time[2].site.has_value());
  EXPECT_EQ(s.by_time[2].running, 110);
  EXPECT_EQ(gort_trace::site_label(tl, 1), "worker (main.cpp:10)");
  EXPECT_EQ(gort_trace::site_label(tl, 2), "main::<lambda> (a.cpp:20)");
  EXPECT_EQ(gort_trace::site_label(tl, 9), "site 9");
}

TEST_F(trace_summary_sample, report_text) {
  std::ostringstream out;
  gort_trace::write_summary(out, t, "sample.trace");
  std::string text = out.str();
  for (const char* line : {
           "gort-trace summary of sample.trace\n\nTrace\n",
           "  span            10.000 µs\n",
           "  workers (M)     2 (and the shared buffer)\n",
           "  processors (P)  2\n",
           "  events          26\n",
           "  go_start            8\n",
           "  P    running  utilisation\n"
           "  P0  3.110 µs        31.1%\n"
           "  P1  7.000 µs        70.0%\n",
           "  created  3\n"
           "  steals   1 (1 goroutine stolen)\n",
           "  samples         6\n"
           "  p50        600 ns\n"
           "  p99      1.150 µs\n"
           "  max      1.150 µs\n",
           "  reason               parks     total\n"
           "  sync.WaitGroup.Wait      1  9.840 µs\n"
           "  sleep                    1  6.600 µs\n"
           "  chan receive             2  1.600 µs\n"
           "  (2 still parked at the end, counted to the end)\n",
           "  goroutines   running  site\n"
           "           2  9.000 µs  worker (main.cpp:10)\n"
           "           1  1.000 µs  main::<lambda> (a.cpp:20)\n",
           "   running  goroutines  site\n"
           "  9.000 µs           2  worker (main.cpp:10)\n"
           "  1.000 µs           1  main::<lambda> (a.cpp:20)\n"
           "    110 ns           0  (created before the trace)\n",
       }) {
    EXPECT_NE(text.find(line), std::string::npos) << "missing: " << line;
  }
}

TEST(trace_summary, empty_trace) {
  gort_trace::trace t = gort_trace::parse(builder(100, 100).done());
  auto tl = gort_trace::build_timeline(t);
  auto s = gort_trace::summarize(t, tl);
  EXPECT_EQ(s.span, 0);
  EXPECT_EQ(s.sched_latency.samples, 0u);
  EXPECT_TRUE(s.utilisation.empty());
  std::ostringstream out;
  gort_trace::write_summary(out, t, "empty");
  EXPECT_NE(out.str().find("samples  0"), std::string::npos) << out.str();
}

TEST(trace_summary, nearest_rank_percentiles) {
  // 100 starts with latencies 1..100 ns: p50 = 50, p99 = 99, max = 100.
  builder b;
  b.batch(1, 0);
  std::uint64_t t = 0;
  for (std::uint64_t g = 1; g <= 100; ++g) {
    b.ev(fmt::ev::go_create, t, {g, 1, 0});
    b.ev(fmt::ev::go_start, t += (101 - g), {g, 0});
    b.ev(fmt::ev::go_end, t += 1, {g});
  }
  auto tr = gort_trace::parse(b.done());
  auto s = gort_trace::summarize(tr, gort_trace::build_timeline(tr));
  EXPECT_EQ(s.sched_latency.samples, 100u);
  EXPECT_EQ(s.sched_latency.p50, 50);
  EXPECT_EQ(s.sched_latency.p99, 99);
  EXPECT_EQ(s.sched_latency.max, 100);
}

TEST(trace_summary, durations) {
  EXPECT_EQ(gort_trace::duration(0), "0 ns");
  EXPECT_EQ(gort_trace::duration(999), "999 ns");
  EXPECT_EQ(gort_trace::duration(1000), "1.000 µs");
  EXPECT_EQ(gort_trace::duration(12345), "12.345 µs");
  EXPECT_EQ(gort_trace::duration(3'200'999), "3.200 ms");
  EXPECT_EQ(gort_trace::duration(1'500'000'000), "1.500 s");
  EXPECT_EQ(gort_trace::duration(-1500), "-1.500 µs");
  EXPECT_EQ(gort_trace::duration(INT64_MIN), "-9223372036.854 s");
}

TEST(trace_summary, reason_names) {
  EXPECT_EQ(gort_trace::reason_name(reason(wait_reason::chan_send)),
            "chan send");
  EXPECT_EQ(gort_trace::reason_name(reason(wait_reason::none)), "reason(0)");
  EXPECT_EQ(gort_trace::reason_name(200), "reason(200)");
  EXPECT_EQ(gort_trace::reason_name(UINT64_MAX),
            "reason(18446744073709551615)");
}

TEST(trace_summary, short_function_names) {
  using gort_trace::short_function;
  EXPECT_EQ(short_function("int main()"), "main");
  EXPECT_EQ(short_function("void worker(int)"), "worker");
  EXPECT_EQ(short_function("main()::<lambda()>"), "main::<lambda>");
  EXPECT_EQ(short_function("void ns::f(T) [with T = int]"), "ns::f");
  EXPECT_EQ(short_function("std::vector<int> ns::S::g(const char*) const"),
            "ns::S::g");
  EXPECT_EQ(short_function("void ns::S::operator()(int) const"),
            "ns::S::operator()");
  EXPECT_EQ(short_function("void f<std::pair<int, int> >(int)"), "f");
  EXPECT_EQ(short_function("{lambda()#1}"), "{lambda#1}");
  EXPECT_EQ(short_function(""), "");
  EXPECT_EQ(short_function("((((("), "(((((");
  EXPECT_EQ(short_function("a<b<c"), "a<b<c");
  std::string longname(100, 'n');
  EXPECT_EQ(short_function(longname),
            gort_trace::cat("...", std::string(57, 'n')));
}

}  // namespace
