// I/O from plain threads (netpoll.md §6.3; net.hpp: "Every call works from
// any goroutine or plain thread"). A plain thread that waits blocks in the
// kernel, a goroutine parks; they talk over one connection in either role:
// threads dial a goroutine echo server and check the echo; a thread
// accepts and serves a goroutine client; a thread waits in read until a
// goroutine writes; a thread's read deadline gives errc::timeout; a
// goroutine's close wakes a thread blocked in read.
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "gort/net.hpp"
#include "gort/sched.hpp"
#include "net/net_helpers.hpp"
#include "support/plain_threads.hpp"
#include "support/procs_fixture.hpp"

namespace {

using namespace gort_test;
using gort::errc;

class net_threads_test : public procs_fixture {};
GORT_INSTANTIATE_PROCS(net_threads_test);

TEST_P(net_threads_test, threads_dial_a_goroutine_server) {
  gort::run([] {
    echo_server srv;
    std::atomic<int> good{0};
    std::vector<std::thread> ts;
    for (int t = 0; t < 4; ++t) {
      ts.emplace_back([&, t] {
        auto [c, err] = net::dial("tcp", srv.addr());
        if (err) return;
        const std::string msg =
            seeded_payload(static_cast<unsigned>(t), 100000);
        if (echoes(c, msg)) good.fetch_add(1);
        c.close();
      });
    }
    join_all(ts);
    EXPECT_EQ(good.load(), 4);
    srv.stop();
  });
}

TEST_P(net_threads_test, a_thread_serves_a_goroutine_client) {
  gort::run([] {
    auto ln = must(net::listen("tcp", "127.0.0.1:0"), "listen");
    std::vector<std::thread> ts;
    ts.emplace_back([ln] {
      auto [s, err] = ln.accept();  // blocks the thread, not a worker
      if (err) return;
      (void)net::copy(s, s);
      s.close();
    });
    auto c = must(net::dial("tcp", ln.addr()), "dial");
    EXPECT_TRUE(echoes(c, seeded_payload(3, 50000)));
    c.close();
    join_all(ts);
    ln.close();
  });
}

TEST_P(net_threads_test,
       a_thread_blocked_in_read_gets_what_a_goroutine_writes) {
  gort::run([] {
    auto p = connected_pair();
    std::string got(5, '\0');
    net::io_result r;
    std::vector<std::thread> ts;
    ts.emplace_back([&] { r = net::read_full(p.server, as_buf(got)); });
    // Whether the thread is already asleep or not, the bytes must reach it.
    ASSERT_FALSE(p.client.write("hello").err);
    join_all(ts);
    EXPECT_FALSE(r.err) << r.err.message();
    EXPECT_EQ(got, "hello");
    close_both(p);
  });
}

TEST_P(net_threads_test, a_thread_read_deadline_times_out) {
  gort::run([] {
    auto p = connected_pair();
    std::error_code err;
    std::vector<std::thread> ts;
    ts.emplace_back([&] {
      p.server.set_read_deadline(std::chrono::steady_clock::now() + 50ms);
      std::string buf(4, '\0');
      err = p.server.read(as_buf(buf)).err;
    });
    join_all(ts);
    EXPECT_EQ(err, errc::timeout) << err.message();
    close_both(p);
  });
}

TEST_P(net_threads_test, a_goroutine_close_wakes_a_thread_blocked_in_read) {
  gort::run([] {
    auto p = connected_pair();
    kernel_sleeper probe;
    std::error_code err;
    std::vector<std::thread> ts;
    ts.emplace_back([&] {
      probe.arm();
      std::string buf(4, '\0');
      err = p.server.read(as_buf(buf)).err;
    });
    // The thread has no data: once it sleeps in the kernel, it is in read.
    ASSERT_TRUE(eventually([&] { return probe.asleep(); }));
    EXPECT_FALSE(p.server.close());
    join_all(ts);
    EXPECT_EQ(err, errc::closed) << err.message();
    p.client.close();
  });
}

}  // namespace
