// schedtrace: the sched events as Go's SCHED lines, in time order, t in
// whole ms since the header's start.
#include <sstream>

#include <gtest/gtest.h>

#include "tools/encoder.hpp"
#include "tools/trace/schedtrace.hpp"

namespace {

using namespace gort_test::trace;
using fmt::ev;

TEST(trace_schedtrace, lines_are_exact) {
  constexpr std::uint64_t start = 1'000'000'000;  // the header: 1 s
  builder b(start, start);
  b.batch(fmt::batch_m_shared, start)
      .ev(ev::sched, start, {4, 4, 5, 0, 2, 0}, {}, {0, 0, 0, 0})
      .ev(ev::sched, start + 2'999'999'999, {2, 0, 9, 1, 3, 17}, {}, {})
      .ev(ev::sysmon, start + 3'000'000'000, {2, 1});
  b.batch(1, start + 1'500'000)
      .ev(ev::sched, start + 1'500'000, {4, 1, 6, 2, 0, 3}, {}, {5, 0, 12, 1})
      .ev(ev::go_end, start + 1'600'000, {1});
  std::ostringstream out;
  gort_trace::write_schedtrace(out, gort_trace::parse(b.done()));
  EXPECT_EQ(out.str(),
            "SCHED 0ms: gomaxprocs=4 idleprocs=4 threads=5 spinningthreads=0 "
            "idlethreads=2 runqueue=0 [0 0 0 0]\n"
            "SCHED 1ms: gomaxprocs=4 idleprocs=1 threads=6 spinningthreads=2 "
            "idlethreads=0 runqueue=3 [5 0 12 1]\n"
            "SCHED 2999ms: gomaxprocs=2 idleprocs=0 threads=9 "
            "spinningthreads=1 idlethreads=3 runqueue=17 []\n");
}

TEST(trace_schedtrace, no_sched_events_no_lines) {
  builder b;
  b.batch(1, 0).ev(ev::go_end, 5, {1});
  std::ostringstream out;
  gort_trace::write_schedtrace(out, gort_trace::parse(b.done()));
  EXPECT_EQ(out.str(), "");
}

}  // namespace
