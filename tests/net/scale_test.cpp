// Scale (netpoll.md §6.3; API.md: "one goroutine per connection ... to tens
// of thousands of connections per process"): 9,900 connections in one
// process, client and server ends both here, so ~19,800 descriptors of
// the 20,000 RLIMIT_NOFILE allows. Each server end is served by its own
// goroutine (echo), each client end by its own goroutine.
//
// The clients all connect first and wait for one another, so every
// connection is open at once and every server goroutine is parked in
// read (checked with stats()). Then each client sends a few KB of its own
// seeded bytes, half-closes, reads the echo in full, checks its checksum
// and that end of stream follows (nothing lost, nothing doubled).
//
// The count is min(9900, (soft limit - 200) / 2), 200 descriptors left for
// the runtime and gtest; under ASan it is 2,000 and under TSan 1,000 (TSan
// keeps a context per goroutine, at most ~8,000, and a spawn costs it
// 0.1-0.3 ms). Dials are at most 256 in flight, so the listener's backlog
// never overflows into SYN retransmits that would take seconds.
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdio>
#include <string>

#include <gtest/gtest.h>

#include "gort/chan.hpp"
#include "gort/net.hpp"
#include "gort/sched.hpp"
#include "gort/semaphore.hpp"
#include "gort/wait_group.hpp"
#include "net/net_helpers.hpp"
#include "support/procs_fixture.hpp"
#include "support/sanitizer.hpp"
#include "support/seed.hpp"

namespace {

using namespace gort_test;
using gort::errc;

class net_scale_test : public procs_fixture {};
GORT_INSTANTIATE_PROCS(net_scale_test);

// wanted is how many connections a build runs (see the top of this file).
constexpr std::size_t wanted = scaled(9900, 2000, 1000);
// meaningful is the fewest for which the test still says something.
constexpr std::size_t meaningful = 500;

struct tally {
  std::atomic<int> dial_errors{0};
  std::atomic<int> io_errors{0};
  std::atomic<int> mismatches{0};
  std::atomic<int> accept_errors{0};
};

// serve accepts n connections and echoes each on its own goroutine.
void serve(const net::listener& ln, std::size_t n, gort::wait_group& wg,
           tally& t) {
  for (std::size_t i = 0; i < n; ++i) {
    auto [c, err] = ln.accept();
    if (err) {  // closed: some dial failed, and the test is ending
      if (err != errc::closed) t.accept_errors.fetch_add(1);
      break;
    }
    wg.add(1);
    gort::go([c = c, &wg] {
      (void)net::copy(c, c);
      c.close();
      wg.done();
    });
  }
  wg.done();
}

// client dials, says so, waits until `start` is closed, then checks one
// echo of its own seeded bytes.
void client(const std::string& addr, std::uint64_t seed,
            gort::semaphore& in_flight, gort::wait_group& connected,
            const gort::chan<int>& start, tally& t) {
  in_flight.acquire();
  auto [c, err] = net::dial("tcp", addr);
  in_flight.release();
  connected.done();
  if (err) {
    t.dial_errors.fetch_add(1);
    return;
  }
  (void)start.recv();  // nullopt once closed
  const std::string payload = seeded_payload(seed, 2048 + seed % 2048);
  if (c.write(payload).err || c.close_write()) t.io_errors.fetch_add(1);
  std::string got(payload.size(), '\0');
  const auto r = net::read_full(c, as_buf(got));
  char extra = 0;
  const auto tail = c.read(std::span<char>(&extra, 1));
  if (r.err || checksum(got) != checksum(payload) || tail.err != errc::eof)
    t.mismatches.fetch_add(1);
  c.close();
}

TEST_P(net_scale_test, thousands_of_connections_each_echo_exactly) {
  rlimit lim{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &lim), 0);
  const std::size_t by_limit =
      lim.rlim_cur > 200 ? static_cast<std::size_t>(lim.rlim_cur - 200) / 2 : 0;
  const std::size_t n = std::min(wanted, by_limit);
  if (n < meaningful)
    GTEST_SKIP() << "RLIMIT_NOFILE is " << lim.rlim_cur << ": room for only "
                 << n << " connections, fewer than the " << meaningful
                 << " this test needs";
  std::printf(
      "[   info   ] %zu connections (%zu wanted in this build%s; "
      "RLIMIT_NOFILE %llu)\n",
      n, wanted, under_sanitizer ? ", scaled down under a sanitizer" : "",
      static_cast<unsigned long long>(lim.rlim_cur));
  const std::uint64_t seed = test_seed();
  gort::run([&] {
    auto ln = must(net::listen("tcp", "127.0.0.1:0"), "listen");
    const std::string addr = ln.addr();
    tally t;
    const std::size_t base = io_parked();  // before the accept loop parks
    gort::wait_group served;               // the accept loop and every handler
    served.add(1);
    gort::go([&] { serve(ln, n, served, t); });
    gort::semaphore in_flight(256);
    gort::wait_group connected;
    connected.add(static_cast<std::int64_t>(n));
    auto start = gort::make_chan<int>();
    gort::wait_group clients;
    clients.add(static_cast<std::int64_t>(n));
    for (std::size_t i = 0; i < n; ++i) {
      gort::go([&, i] {
        client(addr, mix(seed + i), in_flight, connected, start, t);
        clients.done();
      });
    }
    connected.wait();
    // All open at once: every handler is parked in read (the accepts that
    // the last dials queued may still be running, hence eventually).
    const std::size_t dialed =
        n - static_cast<std::size_t>(t.dial_errors.load());
    EXPECT_TRUE(parked_in_io(base + dialed))
        << io_parked() - base << " of " << dialed << " handlers parked in read";
    start.close();
    clients.wait();
    ln.close();
    served.wait();
    EXPECT_EQ(t.dial_errors.load(), 0);
    EXPECT_EQ(t.accept_errors.load(), 0);
    EXPECT_EQ(t.io_errors.load(), 0);
    EXPECT_EQ(t.mismatches.load(), 0) << "an echo lost or doubled bytes";
  });
}

}  // namespace
