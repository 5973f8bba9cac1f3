// Bad input and hostile peers (net.hpp, "Errors"): each gives its
// documented error value, nothing crashes, and other connections keep
// working: every test keeps an echo connection open across its abuse and
// checks that it still echoes at the end.
//
// Covered: malformed addresses (errc::bad_address); unknown networks
// (errc::unknown_network); a closed port (std::errc::connection_refused);
// a full backlog (each dial connects or times out); a peer that resets
// (the reader gets ECONNRESET or eof, the writer EPIPE or ECONNRESET, and
// with SIGPIPE at its default action the process lives: a death-test
// child checks that); a peer that never reads (a write deadline ends the
// blocked write); EMFILE on accept (an error value, and the listener
// accepts the same queued connection once descriptors are back); an
// unknown host (errc::no_such_host, or whatever the system resolver says
// when it cannot answer).
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "gort/net.hpp"
#include "gort/sched.hpp"
#include "gort/wait_group.hpp"
#include "net/net_helpers.hpp"
#include "support/procs_fixture.hpp"

namespace {

using namespace gort_test;
using gort::errc;

class net_bad_input_test : public procs_fixture {};
GORT_INSTANTIATE_PROCS(net_bad_input_test);

// with_keeper runs body inside gort::run beside an echo connection, and
// checks that the connection echoes before and after.
template <class F>
void with_keeper(F body) {
  gort::run([&] {
    echo_server srv;
    auto keeper = must(net::dial("tcp", srv.addr()), "dial the keeper");
    EXPECT_TRUE(echoes(keeper, "before"));
    // Settled: the accept loop and the keeper's handler wait on the poller,
    // so that a body's go_parked counts only its own waiter.
    EXPECT_TRUE(eventually([] { return io_parked() == 2; }));
    body();
    EXPECT_TRUE(echoes(keeper, "after: other connections still work"));
    keeper.close();
    srv.stop();
  });
}

TEST_P(net_bad_input_test, malformed_addresses_are_bad_address) {
  with_keeper([] {
    for (const char* a :
         {"127.0.0.1", "127.0.0.1:99999", "127.0.0.1:abc", "[::1:80", ""}) {
      const auto d = net::dial("tcp", a);
      EXPECT_EQ(d.err, errc::bad_address)
          << "dial \"" << a << "\": " << d.err.message();
      EXPECT_FALSE(d.value);
    }
    // "" is every address on a free port for listen, as in Go.
    for (const char* a : {"127.0.0.1", "127.0.0.1:99999", "127.0.0.1:abc",
                          "[::1:80", "127.0.0.1:-1"}) {
      const auto l = net::listen("tcp", a);
      EXPECT_EQ(l.err, errc::bad_address)
          << "listen \"" << a << "\": " << l.err.message();
      EXPECT_FALSE(l.value);
    }
    const auto u = net::listen_packet("udp", "127.0.0.1:abc");
    EXPECT_EQ(u.err, errc::bad_address) << u.err.message();
  });
}

TEST_P(net_bad_input_test, unknown_networks_are_unknown_network) {
  with_keeper([] {
    EXPECT_EQ(net::dial("tcpx", "127.0.0.1:80").err, errc::unknown_network);
    EXPECT_EQ(net::dial("", "127.0.0.1:80").err, errc::unknown_network);
    EXPECT_EQ(net::listen("tcpx", "127.0.0.1:0").err, errc::unknown_network);
    EXPECT_EQ(net::listen("udp", "127.0.0.1:0").err, errc::unknown_network);
    EXPECT_EQ(net::listen_packet("tcp", "127.0.0.1:0").err,
              errc::unknown_network);
    EXPECT_EQ(net::dial_timeout("tcpx", "127.0.0.1:80", 1s).err,
              errc::unknown_network);
  });
}

TEST_P(net_bad_input_test, a_closed_port_refuses) {
  with_keeper([] {
    auto ln = must(net::listen("tcp", "127.0.0.1:0"), "listen");
    const std::string addr = ln.addr();
    ln.close();
    const auto r = net::dial("tcp", addr);
    EXPECT_EQ(r.err, std::errc::connection_refused) << r.err.message();
    EXPECT_EQ(r.err.category(), std::system_category());
    EXPECT_FALSE(r.value);
  });
}

TEST_P(net_bad_input_test, a_full_backlog_connects_or_times_out) {
  with_keeper([] {
    auto ln = must(net::listen("tcp", "127.0.0.1:0"), "listen");
    // Shrink the backlog (listen(2) again on the listening socket) so that
    // a few dials fill it; nobody accepts.
    ASSERT_EQ(::listen(ln.fd(), 1), 0);
    constexpr int dials = 32;
    std::atomic<int> connected{0};
    std::atomic<int> timed_out{0};
    std::atomic<int> other{0};
    std::vector<net::conn> keep(dials);
    gort::wait_group wg;
    wg.add(dials);
    for (int i = 0; i < dials; ++i) {
      gort::go([&, i] {
        auto [c, err] = net::dial_timeout("tcp", ln.addr(), 300ms);
        if (!err) {
          connected.fetch_add(1);
          keep[static_cast<std::size_t>(i)] = c;
        } else if (err == errc::timeout) {
          timed_out.fetch_add(1);
        } else {
          other.fetch_add(1);
          ADD_FAILURE() << "dial: " << err.message();
        }
        wg.done();
      });
    }
    wg.wait();
    EXPECT_GT(connected.load(), 0);
    EXPECT_EQ(connected.load() + timed_out.load(), dials);
    for (const auto& c : keep)
      if (c) c.close();
    ln.close();
  });
}

// reset_by_peer returns a pair whose server end has been closed with
// SO_LINGER 0: the client gets a reset instead of a clean end of stream.
conn_pair reset_by_peer() {
  auto p = connected_pair();
  const linger abort_on_close{1, 0};
  ::setsockopt(p.server.fd(), SOL_SOCKET, SO_LINGER, &abort_on_close,
               sizeof abort_on_close);
  p.server.close();
  return p;
}

TEST_P(net_bad_input_test, a_reset_peer_gives_error_values) {
  with_keeper([] {
    auto p = reset_by_peer();
    std::string buf(16, '\0');
    const auto r = p.client.read(as_buf(buf));
    EXPECT_TRUE(r.err == std::errc::connection_reset || r.err == errc::eof)
        << r.err.message();
    auto q = reset_by_peer();
    net::io_result w;
    for (int i = 0; i < 100 && !w.err; ++i) w = q.client.write("into the void");
    EXPECT_TRUE(w.err == std::errc::broken_pipe ||
                w.err == std::errc::connection_reset)
        << w.err.message();
    p.client.close();
    q.client.close();
  });
}

// writes_to_gone_peers writes to TCP and unix peers that reset or closed,
// with SIGPIPE at its default action (which ends the process); it exits 0
// only if every write returned an error value.
[[noreturn]] void writes_to_gone_peers() {
  ::alarm(60);
  ::signal(SIGPIPE, SIG_DFL);
  int failures = 0;
  gort::run([&] {
    for (const char* network : {"tcp", "unix"}) {
      auto p = connected_pair(network);
      p.server.close();
      net::io_result w;
      for (int i = 0; i < 100 && !w.err; ++i) w = p.client.write("x");
      if (!(w.err == std::errc::broken_pipe ||
            w.err == std::errc::connection_reset))
        ++failures;
      p.client.close();
    }
    auto q = reset_by_peer();
    net::io_result w;
    for (int i = 0; i < 100 && !w.err; ++i) w = q.client.write("x");
    if (!w.err) ++failures;
    q.client.close();
  });
  std::_Exit(failures == 0 ? 0 : 1);
}

TEST(net_sigpipe_test, writes_to_a_gone_peer_never_raise_sigpipe) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(writes_to_gone_peers(), ::testing::ExitedWithCode(0), "");
}

TEST_P(net_bad_input_test, a_peer_that_never_reads_blocks_until_the_deadline) {
  with_keeper([] {
    auto p = connected_pair();
    shrink_buffers(p.client);
    shrink_buffers(p.server);
    auto done = go_parked(
        [c = p.client] { return c.write(std::string(8 << 20, 'w')); });
    ASSERT_FALSE(p.client.set_write_deadline(past()));
    const auto w = recv_within(done);
    ASSERT_TRUE(w.has_value()) << "the deadline did not end the write";
    EXPECT_EQ(w->err, errc::timeout) << w->err.message();
    EXPECT_GT(w->n, 0u);
    close_both(p);
  });
}

// fd_limit lowers RLIMIT_NOFILE's soft limit for its lifetime (only the
// soft one, so it can be restored).
class fd_limit {
 public:
  explicit fd_limit(rlim_t soft) {
    ::getrlimit(RLIMIT_NOFILE, &saved_);
    rlimit lowered = saved_;
    lowered.rlim_cur = soft;
    ok_ = ::setrlimit(RLIMIT_NOFILE, &lowered) == 0;
  }
  fd_limit(const fd_limit&) = delete;
  fd_limit& operator=(const fd_limit&) = delete;
  ~fd_limit() { restore(); }
  bool ok() const { return ok_; }
  void restore() {
    if (ok_) ::setrlimit(RLIMIT_NOFILE, &saved_);
    ok_ = false;
  }

 private:
  rlimit saved_{};
  bool ok_ = false;
};

TEST_P(net_bad_input_test, emfile_on_accept_is_a_value_and_the_listener_lives) {
  with_keeper([] {
    auto ln = must(net::listen("tcp", "127.0.0.1:0"), "listen");
    auto c = must(net::dial("tcp", ln.addr()), "dial");  // queued, unaccepted
    // The lowest free descriptor number: with the soft limit set to it,
    // every number below the limit is in use, so the next one fails.
    const int lowest_free = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    ASSERT_GE(lowest_free, 0);
    ::close(lowest_free);
    net::result<net::conn> r;
    {
      fd_limit lim(static_cast<rlim_t>(lowest_free));
      ASSERT_TRUE(lim.ok());
      r = ln.accept();
    }
    EXPECT_EQ(r.err, std::errc::too_many_files_open) << r.err.message();
    EXPECT_FALSE(r.value);
    expect_accepts(ln, c);  // the queued connection, once restored
    ln.close();
  });
}

TEST_P(net_bad_input_test, an_unknown_host_is_no_such_host) {
  with_keeper([] {
    const char* host = "nonexistent.invalid";
    addrinfo* res = nullptr;
    const int gai = gort::blocking(
        [&] { return ::getaddrinfo(host, "80", nullptr, &res); });
    if (res != nullptr) ::freeaddrinfo(res);
    const auto r = net::dial("tcp", std::string(host) + ":80");
    EXPECT_TRUE(r.err);
    EXPECT_FALSE(r.value);
    if (gai == EAI_NONAME) {
      EXPECT_EQ(r.err, errc::no_such_host) << r.err.message();
    } else {
      std::printf("[   info   ] the resolver says %s; any error will do\n",
                  ::gai_strerror(gai));
    }
  });
}

}  // namespace
