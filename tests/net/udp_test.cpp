// UDP (net.hpp, packet_conn; API.md, "Network I/O"): listen_packet on
// loopback; write_to and read_from, which says who sent each datagram;
// a datagram longer than the buffer is truncated; dial("udp") gives a
// connected conn that talks to a packet_conn; a read deadline on a
// packet_conn gives errc::timeout; close wakes a blocked read_from with
// errc::closed, and a second close says closed.
#include <cstddef>
#include <string>

#include <gtest/gtest.h>

#include "gort/net.hpp"
#include "gort/sched.hpp"
#include "net/net_helpers.hpp"
#include "support/procs_fixture.hpp"

namespace {

using namespace gort_test;
using gort::errc;

class net_udp_test : public procs_fixture {};
GORT_INSTANTIATE_PROCS(net_udp_test);

net::packet_conn udp_socket() {
  return must(net::listen_packet("udp", "127.0.0.1:0"), "listen_packet");
}

TEST_P(net_udp_test, write_to_and_read_from_name_the_sender) {
  gort::run([] {
    auto a = udp_socket();
    auto b = udp_socket();
    EXPECT_TRUE(a.local_addr().rfind("127.0.0.1:", 0) == 0) << a.local_addr();
    const auto w = a.write_to("datagram one", b.local_addr());
    EXPECT_EQ(w.n, 12u);
    EXPECT_FALSE(w.err) << w.err.message();
    std::string buf(64, '\0');
    const auto r = b.read_from(as_buf(buf));
    EXPECT_FALSE(r.err) << r.err.message();
    EXPECT_EQ(buf.substr(0, r.n), "datagram one");
    EXPECT_EQ(r.from, a.local_addr());
    // Reply to whoever sent it.
    ASSERT_FALSE(b.write_to("reply", r.from).err);
    const auto back = a.read_from(as_buf(buf));
    EXPECT_EQ(buf.substr(0, back.n), "reply");
    EXPECT_EQ(back.from, b.local_addr());
    a.close();
    b.close();
  });
}

TEST_P(net_udp_test, a_long_datagram_is_truncated_to_the_buffer) {
  gort::run([] {
    auto a = udp_socket();
    auto b = udp_socket();
    ASSERT_FALSE(a.write_to("0123456789", b.local_addr()).err);
    ASSERT_FALSE(a.write_to("next", b.local_addr()).err);
    std::string small(4, '\0');
    const auto r = b.read_from(as_buf(small));
    EXPECT_EQ(r.n, 4u);
    EXPECT_EQ(small, "0123");
    std::string buf(16, '\0');
    const auto r2 = b.read_from(as_buf(buf));  // the rest was dropped
    EXPECT_EQ(buf.substr(0, r2.n), "next");
    a.close();
    b.close();
  });
}

TEST_P(net_udp_test, dialed_udp_conn_talks_to_a_packet_conn) {
  gort::run([] {
    auto srv = udp_socket();
    auto c = must(net::dial("udp", srv.local_addr()), "dial udp");
    EXPECT_EQ(c.remote_addr(), srv.local_addr());
    ASSERT_FALSE(c.write("ping").err);
    std::string buf(16, '\0');
    const auto r = srv.read_from(as_buf(buf));
    EXPECT_EQ(buf.substr(0, r.n), "ping");
    EXPECT_EQ(r.from, c.local_addr());
    ASSERT_FALSE(srv.write_to("pong", r.from).err);
    const auto back = c.read(as_buf(buf));
    EXPECT_FALSE(back.err) << back.err.message();
    EXPECT_EQ(buf.substr(0, back.n), "pong");
    c.close();
    srv.close();
  });
}

TEST_P(net_udp_test, read_deadline_ends_read_from) {
  gort::run([] {
    auto a = udp_socket();
    const auto deadline = std::chrono::steady_clock::now() + 50ms;
    ASSERT_FALSE(a.set_read_deadline(deadline));
    std::string buf(16, '\0');
    const auto r = a.read_from(as_buf(buf));
    EXPECT_EQ(r.err, errc::timeout) << r.err.message();
    EXPECT_GE(std::chrono::steady_clock::now(), deadline);
    // Cleared, it reads again.
    ASSERT_FALSE(a.set_read_deadline(net::time_point{}));
    auto b = udp_socket();
    ASSERT_FALSE(b.write_to("late", a.local_addr()).err);
    const auto r2 = a.read_from(as_buf(buf));
    EXPECT_FALSE(r2.err) << r2.err.message();
    EXPECT_EQ(buf.substr(0, r2.n), "late");
    a.close();
    b.close();
  });
}

TEST_P(net_udp_test, close_wakes_a_blocked_read_from) {
  gort::run([] {
    auto a = udp_socket();
    auto done = go_parked([a] {
      std::string buf(16, '\0');
      return a.read_from(as_buf(buf)).err;
    });
    EXPECT_FALSE(a.close());
    const auto err = recv_within(done);
    ASSERT_TRUE(err.has_value()) << "close did not wake read_from";
    EXPECT_EQ(*err, errc::closed) << err->message();
    EXPECT_EQ(a.close(), errc::closed);
    std::string buf(4, '\0');
    EXPECT_EQ(a.read_from(as_buf(buf)).err, errc::closed);
    EXPECT_EQ(a.write_to("x", "127.0.0.1:9").err, errc::closed);
  });
}

}  // namespace
