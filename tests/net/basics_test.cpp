// The basics of gort::net (net.hpp; API.md, "Network I/O"): listen, dial
// and accept over tcp, tcp4, tcp6 and unix; the addresses as Go prints
// them; an echo; an empty read; end of stream after the peer's
// close_write while the other direction goes on (half-close); read_full's
// eof and unexpected_eof; copy; TCP_NODELAY and keep-alive on by default;
// misuse of a default-constructed conn, listener or packet_conn; and
// close: the second close and every later operation give errc::closed.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cstddef>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "gort/context.hpp"
#include "gort/net.hpp"
#include "gort/sched.hpp"
#include "net/net_helpers.hpp"
#include "support/procs_fixture.hpp"
#include "support/usage_error.hpp"

namespace {

using namespace gort_test;
using gort::errc;

class net_basics_test : public procs_fixture {};
GORT_INSTANTIATE_PROCS(net_basics_test);

// host_port says whether addr is "<host>:<port>" with a port in 1..65535.
bool host_port(const std::string& addr, std::string_view host) {
  if (addr.size() <= host.size() + 1 ||
      addr.compare(0, host.size(), host) != 0 || addr[host.size()] != ':')
    return false;
  const std::string port = addr.substr(host.size() + 1);
  if (port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos)
    return false;
  const long n = std::stol(port);
  return n >= 1 && n <= 65535;
}

// check_stream listens, dials and accepts over `network`, checks the
// addresses (host: "127.0.0.1" or "[::1]"; empty for unix, where they are
// paths) and echoes both ways.
void check_stream(std::string_view network, std::string_view host) {
  gort::run([&] {
    const std::string where = loopback(network);
    auto ln = must(net::listen(network, where), "listen");
    auto c = must(net::dial(network, ln.addr()), "dial");
    auto s = must(ln.accept(), "accept");
    if (host.empty()) {
      EXPECT_EQ(ln.addr(), where);
      EXPECT_EQ(c.remote_addr(), where);
      EXPECT_EQ(s.local_addr(), where);
      EXPECT_EQ(c.local_addr(), "");  // an unnamed client socket
    } else {
      EXPECT_TRUE(host_port(ln.addr(), host)) << ln.addr();
      EXPECT_TRUE(host_port(c.local_addr(), host)) << c.local_addr();
      EXPECT_EQ(c.remote_addr(), ln.addr());
      EXPECT_EQ(s.local_addr(), ln.addr());
      EXPECT_EQ(s.remote_addr(), c.local_addr());
    }
    EXPECT_TRUE(echoes(c, s, "hello from the client"));
    EXPECT_TRUE(echoes(s, c, "hello from the server"));
    EXPECT_FALSE(c == s);
    EXPECT_TRUE(c == net::conn(c));  // copies are the same connection
    EXPECT_FALSE(c.close());
    EXPECT_FALSE(s.close());
    EXPECT_FALSE(ln.close());
  });
}

TEST_P(net_basics_test, tcp_listen_dial_accept_echo) {
  check_stream("tcp", "127.0.0.1");
}

TEST_P(net_basics_test, tcp4_listen_dial_accept_echo) {
  check_stream("tcp4", "127.0.0.1");
}

TEST_P(net_basics_test, tcp6_listen_dial_accept_echo) {
  if (!ipv6_loopback()) GTEST_SKIP() << "no IPv6 loopback ([::1]) here";
  check_stream("tcp6", "[::1]");
}

TEST_P(net_basics_test, unix_listen_dial_accept_echo) {
  check_stream("unix", "");
}

TEST_P(net_basics_test, unix_listener_close_removes_its_socket_file) {
  gort::run([] {
    const std::string path = loopback("unix");
    auto ln = must(net::listen("unix", path), "listen");
    EXPECT_EQ(::access(path.c_str(), F_OK), 0);
    EXPECT_FALSE(ln.close());
    EXPECT_NE(::access(path.c_str(), F_OK), 0);
  });
}

TEST_P(net_basics_test, echo_server_serves_many_clients) {
  gort::run([] {
    echo_server srv;
    for (int i = 0; i < 20; ++i) {
      auto c = must(net::dial("tcp", srv.addr()), "dial");
      EXPECT_TRUE(echoes(c, "client " + std::to_string(i)));
      c.close();
    }
    srv.stop();
  });
}

TEST_P(net_basics_test, empty_read_returns_at_once) {
  gort::run([] {
    auto p = connected_pair();
    // No data is there: a read that waited would never return.
    const auto r = p.server.read(std::span<char>{});
    EXPECT_EQ(r.n, 0u);
    EXPECT_FALSE(r.err) << r.err.message();
    const auto rb = p.server.read(std::span<std::byte>{});
    EXPECT_EQ(rb.n, 0u);
    EXPECT_FALSE(rb.err) << rb.err.message();
    close_both(p);
  });
}

TEST_P(net_basics_test, close_write_gives_eof_and_the_other_way_still_works) {
  gort::run([] {
    auto p = connected_pair();
    ASSERT_FALSE(p.client.write("last words").err);
    ASSERT_FALSE(p.client.close_write());
    std::string buf(64, '\0');
    std::string got;
    for (;;) {
      const auto r = p.server.read(as_buf(buf));
      got.append(buf.data(), r.n);
      if (r.err) {
        EXPECT_EQ(r.err, errc::eof) << r.err.message();
        EXPECT_EQ(r.n, 0u);
        break;
      }
    }
    EXPECT_EQ(got, "last words");
    const auto again = p.server.read(as_buf(buf));  // eof is sticky
    EXPECT_EQ(again.err, errc::eof);
    EXPECT_TRUE(echoes(p.server, p.client, "the reply goes through"));
    close_both(p);
  });
}

TEST_P(net_basics_test, read_full_reads_everything_or_says_why_not) {
  gort::run([] {
    auto p = connected_pair();
    ASSERT_FALSE(p.client.write("abc").err);
    std::string three(3, '\0');
    auto r = net::read_full(p.server, as_buf(three));
    EXPECT_EQ(r.n, 3u);
    EXPECT_FALSE(r.err);
    EXPECT_EQ(three, "abc");

    ASSERT_FALSE(p.client.write("de").err);
    ASSERT_FALSE(p.client.close_write());
    std::string five(5, '\0');
    r = net::read_full(p.server, as_buf(five));
    EXPECT_EQ(r.n, 2u);
    EXPECT_EQ(r.err, errc::unexpected_eof) << r.err.message();
    EXPECT_EQ(five.substr(0, 2), "de");

    r = net::read_full(p.server, as_buf(five));
    EXPECT_EQ(r.n, 0u);
    EXPECT_EQ(r.err, errc::eof) << r.err.message();
    close_both(p);
  });
}

TEST_P(net_basics_test, copy_moves_a_stream_until_its_end) {
  gort::run([] {
    auto in = connected_pair();
    auto out = connected_pair();
    const std::string payload = seeded_payload(42, 256 * 1024);
    auto sent = go_result([&] {
      const auto w = in.client.write(payload);
      in.client.close_write();
      return w;
    });
    auto received = go_result([&] {
      std::string got;
      std::string buf(8192, '\0');
      for (;;) {
        const auto r = out.server.read(as_buf(buf));
        got.append(buf.data(), r.n);
        if (r.err) return std::make_pair(got, r.err);
      }
    });
    const auto n = net::copy(out.client, in.server);
    EXPECT_EQ(n.n, payload.size());
    EXPECT_FALSE(n.err) << n.err.message();
    out.client.close_write();
    const auto w = recv_within(sent);
    ASSERT_TRUE(w.has_value());
    EXPECT_EQ(w->n, payload.size());
    const auto got = recv_within(received);
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->second, errc::eof);
    EXPECT_EQ(got->first.size(), payload.size());
    EXPECT_EQ(checksum(got->first), checksum(payload));
    close_both(in);
    close_both(out);
  });
}

int int_option(int fd, int level, int name) {
  int v = -1;
  socklen_t len = sizeof v;
  if (::getsockopt(fd, level, name, &v, &len) != 0) return -1;
  return v;
}

TEST_P(net_basics_test, tcp_starts_with_no_delay_and_keep_alive) {
  gort::run([] {
    auto p = connected_pair();
    for (const auto& c : {p.client, p.server}) {
      EXPECT_EQ(int_option(c.fd(), IPPROTO_TCP, TCP_NODELAY), 1);
    }
    EXPECT_EQ(int_option(p.client.fd(), SOL_SOCKET, SO_KEEPALIVE), 1);
    EXPECT_EQ(int_option(p.client.fd(), IPPROTO_TCP, TCP_KEEPIDLE), 15);
    EXPECT_FALSE(p.client.set_no_delay(false));
    EXPECT_EQ(int_option(p.client.fd(), IPPROTO_TCP, TCP_NODELAY), 0);
    EXPECT_FALSE(p.client.set_keep_alive(true, std::chrono::seconds(30)));
    EXPECT_EQ(int_option(p.client.fd(), IPPROTO_TCP, TCP_KEEPIDLE), 30);
    EXPECT_FALSE(p.client.set_keep_alive(false));
    EXPECT_EQ(int_option(p.client.fd(), SOL_SOCKET, SO_KEEPALIVE), 0);
    close_both(p);
  });
}

TEST_P(net_basics_test, default_constructed_handles_throw_usage_error) {
  gort::run([] {
    const net::conn c;
    const net::listener ln;
    const net::packet_conn pc;
    EXPECT_FALSE(c);
    EXPECT_FALSE(ln);
    EXPECT_FALSE(pc);
    std::string buf(4, '\0');
    EXPECT_TRUE(throws_usage_error([&] { (void)c.read(as_buf(buf)); }, "read"));
    EXPECT_TRUE(throws_usage_error([&] { (void)c.write("x"); }, "write"));
    EXPECT_TRUE(throws_usage_error([&] { (void)c.close(); }, "close"));
    EXPECT_TRUE(throws_usage_error([&] { (void)c.set_read_deadline(later()); },
                                   "deadline"));
    EXPECT_TRUE(throws_usage_error([&] { (void)ln.accept(); }, "accept"));
    EXPECT_TRUE(throws_usage_error([&] { (void)ln.close(); }, "close"));
    EXPECT_TRUE(
        throws_usage_error([&] { (void)pc.read_from(as_buf(buf)); }, "read"));
    EXPECT_TRUE(throws_usage_error(
        [&] { (void)pc.write_to("x", "127.0.0.1:9"); }, "write"));
    EXPECT_TRUE(throws_usage_error([&] { (void)pc.close(); }, "close"));
  });
}

TEST_P(net_basics_test, after_close_everything_says_closed) {
  gort::run([] {
    auto p = connected_pair();
    const net::conn copy_of_client = p.client;
    EXPECT_FALSE(p.client.close());
    EXPECT_EQ(p.client.close(), errc::closed);
    EXPECT_EQ(copy_of_client.close(), errc::closed);  // the same connection
    std::string buf(4, '\0');
    EXPECT_EQ(p.client.read(as_buf(buf)).err, errc::closed);
    EXPECT_EQ(p.client.write("x").err, errc::closed);
    EXPECT_EQ(p.client.set_deadline(later()), errc::closed);
    EXPECT_EQ(p.client.set_read_deadline(later()), errc::closed);
    EXPECT_EQ(p.client.set_write_deadline(later()), errc::closed);
    EXPECT_EQ(p.client.close_write(), errc::closed);
    EXPECT_EQ(p.client.fd(), -1);
    // The peer sees the end of the stream.
    EXPECT_EQ(p.server.read(as_buf(buf)).err, errc::eof);
    EXPECT_FALSE(p.server.close());

    auto ln = must(net::listen("tcp", "127.0.0.1:0"), "listen");
    EXPECT_FALSE(ln.close());
    EXPECT_EQ(ln.close(), errc::closed);
    EXPECT_EQ(ln.accept().err, errc::closed);
    EXPECT_EQ(ln.set_deadline(later()), errc::closed);
    EXPECT_EQ(ln.fd(), -1);
  });
}

TEST_P(net_basics_test, closed_is_reported_with_gos_message) {
  const std::error_code closed = errc::closed;
  EXPECT_EQ(closed.message(), "use of closed network connection");
  EXPECT_EQ(std::error_code(errc::timeout).message(), "i/o timeout");
  EXPECT_EQ(std::error_code(errc::eof).message(), "EOF");
  EXPECT_EQ(std::error_code(errc::unexpected_eof).message(), "unexpected EOF");
}

}  // namespace
