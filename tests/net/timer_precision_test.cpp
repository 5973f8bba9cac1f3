// Timers keep microsecond precision with the poller running (netpoll.md
// §6.3): when every worker is idle and goroutines are parked on the
// poller, the worker sleeps in the poller's blocking wait, and that wait
// must take a nanosecond timeout (epoll_pwait2, or a timerfd), not
// epoll_wait's milliseconds, or every short sleep rounds up to a
// millisecond or more.
//
// Many connections are parked in read; the test goroutine sleeps 200 us a
// hundred times and the median oversleep must be under 2 ms. This is a
// correctness property (a millisecond timeout fails it on every sleep),
// not a benchmark: the bound is loose, and it is skipped under sanitizers,
// where scheduling noise is of the same order.
#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "gort/net.hpp"
#include "gort/sched.hpp"
#include "gort/wait_group.hpp"
#include "net/net_helpers.hpp"
#include "support/procs_fixture.hpp"
#include "support/sanitizer.hpp"

namespace {

using namespace gort_test;
using steady = std::chrono::steady_clock;

class net_timer_precision_test : public procs_fixture {};
GORT_INSTANTIATE_PROCS(net_timer_precision_test);

TEST_P(net_timer_precision_test, short_sleeps_stay_short_with_conns_parked) {
  if (under_sanitizer) GTEST_SKIP() << "timing too noisy under sanitizers";
  gort::run([] {
    constexpr int conns = 200;
    std::vector<conn_pair> pairs;
    gort::wait_group readers;
    const std::size_t base = io_parked();
    for (int i = 0; i < conns; ++i) {
      pairs.push_back(connected_pair());
      readers.add(1);
      gort::go([s = pairs.back().server, &readers] {
        std::string buf(16, '\0');
        (void)s.read(as_buf(buf));  // until the client closes
        readers.done();
      });
    }
    ASSERT_TRUE(parked_in_io(base + conns));
    std::vector<steady::duration> over;
    for (int i = 0; i < 100; ++i) {
      const auto t0 = steady::now();
      gort::sleep(200us);
      over.push_back(steady::now() - t0 - 200us);
    }
    std::nth_element(over.begin(), over.begin() + 50, over.end());
    const auto median = over[50];
    std::printf(
        "[   info   ] median oversleep of sleep(200us): %lld us\n",
        static_cast<long long>(
            std::chrono::duration_cast<std::chrono::microseconds>(median)
                .count()));
    EXPECT_LT(median, 2ms) << "the poller's blocking wait rounds timeouts";
    for (const auto& p : pairs) p.client.close();
    readers.wait();
    for (const auto& p : pairs) p.server.close();
  });
}

}  // namespace
