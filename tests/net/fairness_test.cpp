// One processor (GORT_MAXPROCS=1): the poller must not let I/O starve the
// other goroutines of a processor (netpoll.md §6.3).
//
// always_ready_reader_lets_others_run: a plain thread streams flat out into
// a connection whose reader reads 16 bytes at a time, so every read finds
// data and never parks; gort has no preemption, so only the poller's I/O
// budget (sched/internal/netpoll.hpp, io_budget_spend) lets a second
// goroutine on the same processor run. The second one counts to N,
// yielding at each step; the reader loops until the count is done or the
// watchdog expires, and the count must be done.
//
// server_and_clients_make_progress: an echo server and fifty client
// goroutines share the one processor; every echo completes.
//
// sysmon_backs_off_under_io: the processor never idles (a goroutine yields
// in a loop), so only sysmon's 10 ms poll wakes a reader that a plain
// thread feeds a byte at a time. Every such poll finds the reader ready;
// that must not reset sysmon's back-off (a regression: it held sysmon at
// its 20 us period, thousands of wakes a second on a busy server). Over
// 300 ms the back-off allows about a hundred wakes; the bound is 600.
#include <sys/ioctl.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "gort/net.hpp"
#include "gort/sched.hpp"
#include "gort/wait_group.hpp"
#include "net/net_helpers.hpp"
#include "support/plain_threads.hpp"
#include "support/procs_fixture.hpp"

namespace {

using namespace gort_test;

class net_one_proc_test : public procs_fixture {};
INSTANTIATE_TEST_SUITE_P(procs, net_one_proc_test, ::testing::Values(1),
                         procs_name);

TEST_P(net_one_proc_test, always_ready_reader_lets_others_run) {
  ASSERT_EQ(gort::maxprocs(), 1);
  gort::run([] {
    auto p = connected_pair();
    std::vector<std::thread> ts;
    ts.emplace_back([c = p.client] {
      const std::string chunk(64 * 1024, 's');
      while (!c.write(chunk).err) {
      }  // until the reader's side closes
    });
    // Start reading only once a good deal is buffered (no ASSERT: the
    // writer thread must be joined whatever happens).
    EXPECT_TRUE(eventually([&] {
      int avail = 0;
      return ::ioctl(p.server.fd(), FIONREAD, &avail) == 0 &&
             avail >= 32 * 1024;
    }));
    constexpr int n = 1000;
    std::atomic<int> count{0};
    std::atomic<long> reads{0};
    gort::wait_group wg;
    wg.add(2);
    gort::go([&] {
      for (int i = 0; i < n; ++i) {
        count.fetch_add(1);
        gort::yield();
      }
      wg.done();
    });
    gort::go([&] {
      const auto give_up = std::chrono::steady_clock::now() + watchdog;
      char buf[16];
      while (count.load() < n && std::chrono::steady_clock::now() < give_up) {
        if (p.server.read(std::span<char>(buf)).err) break;
        reads.fetch_add(1);
      }
      wg.done();
    });
    wg.wait();
    EXPECT_EQ(count.load(), n) << "the reader starved its processor after "
                               << reads.load() << " reads";
    p.server.close();  // the writer thread's next write fails
    join_all(ts);
    p.client.close();
  });
}

TEST_P(net_one_proc_test, server_and_clients_make_progress) {
  ASSERT_EQ(gort::maxprocs(), 1);
  gort::run([] {
    echo_server srv;
    std::atomic<int> good{0};
    gort::wait_group wg;
    constexpr int clients = 50;
    wg.add(clients);
    for (int i = 0; i < clients; ++i) {
      gort::go([&, i] {
        auto [c, err] = net::dial("tcp", srv.addr());
        if (!err) {
          bool ok = true;
          for (int k = 0; k < 20 && ok; ++k)
            ok = echoes(
                c, seeded_payload(static_cast<unsigned>(i * 100 + k), 1024));
          if (ok) good.fetch_add(1);
          c.close();
        }
        wg.done();
      });
    }
    wg.wait();
    EXPECT_EQ(good.load(), clients);
    srv.stop();
  });
}

TEST_P(net_one_proc_test, sysmon_backs_off_under_io) {
  ASSERT_EQ(gort::maxprocs(), 1);
  gort::run([] {
    auto p = connected_pair();
    std::atomic<bool> stop{false};
    std::atomic<long> got{0};
    std::vector<std::thread> ts;
    ts.emplace_back([&, c = p.client] {
      while (!stop.load() && !c.write("x").err)
        std::this_thread::sleep_for(200us);
    });
    gort::wait_group wg;
    wg.add(2);
    gort::go([&] {
      while (!stop.load()) gort::yield();  // the processor never idles
      wg.done();
    });
    gort::go([&] {
      char buf[64];
      for (;;) {
        auto r = p.server.read(std::span<char>(buf));
        if (r.err) break;
        got.fetch_add(static_cast<long>(r.n));
      }
      wg.done();
    });
    gort::sleep(50ms);  // past the first back-off steps
    const std::uint64_t before = gort::stats().sysmon_wakes;
    const long got_before = got.load();
    gort::sleep(300ms);
    const std::uint64_t wakes = gort::stats().sysmon_wakes - before;
    const long delivered = got.load() - got_before;
    stop.store(true);
    p.server.close();  // ends the reader and the writer thread
    wg.wait();
    join_all(ts);
    p.client.close();
    EXPECT_LT(wakes, 600u) << "sysmon did not back off under steady I/O";
    EXPECT_GT(delivered, 0) << "sysmon's poll delivered nothing";
  });
}

}  // namespace
