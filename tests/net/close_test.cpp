// close wakes what waits (netpoll.md §6.3; net.hpp, conn::close and
// listener::close): a goroutine parked in read, in write (its peer never
// reads, so the socket buffers fill), or in accept returns errc::closed
// when another goroutine closes the handle; a reader and a writer blocked
// on the same conn are both woken; bytes a blocked write moved before the
// close are counted in n.
//
// A waiter is known to be asleep when stats() counts it parked in
// "IO wait"; only then does the test close.
#include <cstddef>
#include <string>

#include <gtest/gtest.h>

#include "gort/context.hpp"
#include "gort/net.hpp"
#include "gort/sched.hpp"
#include "net/net_helpers.hpp"
#include "support/procs_fixture.hpp"

namespace {

using namespace gort_test;
using gort::errc;

class net_close_test : public procs_fixture {};
GORT_INSTANTIATE_PROCS(net_close_test);

// big is more than any socket buffer holds once shrink_buffers has run.
constexpr std::size_t big = 8 << 20;

TEST_P(net_close_test, close_wakes_a_blocked_read) {
  gort::run([] {
    auto p = connected_pair();
    auto done = go_parked([s = p.server] { return read_some(s).r; });
    EXPECT_FALSE(p.server.close());
    const auto r = recv_within(done);
    ASSERT_TRUE(r.has_value()) << "close did not wake the read";
    EXPECT_EQ(r->n, 0u);
    EXPECT_EQ(r->err, errc::closed) << r->err.message();
    p.client.close();
  });
}

TEST_P(net_close_test, close_wakes_a_blocked_write) {
  gort::run([] {
    auto p = connected_pair();
    shrink_buffers(p.client);
    shrink_buffers(p.server);
    auto done =
        go_parked([c = p.client] { return c.write(std::string(big, 'w')); });
    EXPECT_FALSE(p.client.close());
    const auto w = recv_within(done);
    ASSERT_TRUE(w.has_value()) << "close did not wake the write";
    EXPECT_EQ(w->err, errc::closed) << w->err.message();
    EXPECT_GT(w->n, 0u);  // the buffers took some before it blocked
    EXPECT_LT(w->n, big);
    p.server.close();
  });
}

TEST_P(net_close_test, close_wakes_a_blocked_accept) {
  gort::run([] {
    auto ln = must(net::listen("tcp", "127.0.0.1:0"), "listen");
    auto done = go_parked([ln] { return ln.accept().err; });
    EXPECT_FALSE(ln.close());
    const auto err = recv_within(done);
    ASSERT_TRUE(err.has_value()) << "close did not wake the accept";
    EXPECT_EQ(*err, errc::closed) << err->message();
  });
}

TEST_P(net_close_test, close_wakes_a_reader_and_a_writer_of_one_conn) {
  gort::run([] {
    auto p = connected_pair();
    shrink_buffers(p.client);
    shrink_buffers(p.server);
    const std::size_t base = io_parked();
    auto reading = go_result([c = p.client] { return read_some(c).r.err; });
    auto writing = go_result(
        [c = p.client] { return c.write(std::string(big, 'w')).err; });
    ASSERT_TRUE(parked_in_io(base + 2));
    // A third goroutine closes, as net.hpp allows.
    auto closing = go_result([c = p.client] { return c.close(); });
    const auto r = recv_within(reading);
    const auto w = recv_within(writing);
    const auto c = recv_within(closing);
    ASSERT_TRUE(r && w && c);
    EXPECT_EQ(*r, errc::closed) << r->message();
    EXPECT_EQ(*w, errc::closed) << w->message();
    EXPECT_FALSE(*c) << c->message();
    p.server.close();
  });
}

// Concurrent reads are served one at a time: a second reader queues
// behind the first (on the conn's read lock, not on the poller), and close
// wakes both.
TEST_P(net_close_test, close_wakes_queued_readers_too) {
  gort::run([] {
    auto p = connected_pair();
    auto first = go_parked([s = p.server] { return read_some(s).r.err; });
    auto second = go_result([s = p.server] { return read_some(s).r.err; });
    // The second reader parks somewhere (a lock, or the poller): wait
    // until every goroutine but this one is parked.
    ASSERT_TRUE(eventually([] {
      const auto s = gort::stats();
      return s.parked + 1 >= s.goroutines;
    }));
    EXPECT_FALSE(p.server.close());
    const auto a = recv_within(first);
    const auto b = recv_within(second);
    ASSERT_TRUE(a && b);
    EXPECT_EQ(*a, errc::closed) << a->message();
    EXPECT_EQ(*b, errc::closed) << b->message();
    p.client.close();
  });
}

}  // namespace
