// tests/net/net_helpers.hpp: what the network tests share: a connected
// pair, an echo server, seeded payloads, "is it parked on the poller yet",
// and receiving a goroutine's result with the watchdog as the only timer.
//
// Helpers that cannot return a value after a failure (must, connected_pair)
// throw test_failure: inside gort::run it is rethrown by run and gtest
// reports it; on any other goroutine it ends the process loudly, which is
// what a broken precondition deserves.
//
// Example:
//   gort::run([] {
//     auto [client, server] = gort_test::connected_pair("tcp");
//     EXPECT_TRUE(gort_test::echoes(client, server, "ping"));
//   });
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>

#include <gtest/gtest.h>

#include "gort/chan.hpp"
#include "gort/net.hpp"
#include "gort/sched.hpp"
#include "gort/select.hpp"
#include "gort/stats.hpp"
#include "gort/time.hpp"
#include "gort/wait_group.hpp"
#include "support/seed.hpp"
#include "support/watchdog.hpp"

namespace gort_test {

namespace net = gort::net;
using namespace std::chrono_literals;

// test_failure is what the helpers throw when a precondition fails.
struct test_failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// must returns r.value, or throws test_failure naming `what` and r.err.
template <class T>
T must(net::result<T> r, std::string_view what) {
  if (r.err) {
    throw test_failure(std::string(what) + ": " + r.err.message() + " (" +
                       r.err.category().name() + ":" +
                       std::to_string(r.err.value()) + ")");
  }
  return std::move(r.value);
}

// loopback is the address a network listens on in these tests.
inline std::string loopback(std::string_view network) {
  if (network == "unix") {
    static std::atomic<int> next{0};
    return "/tmp/gort-net-test-" + std::to_string(::getpid()) + "-" +
           std::to_string(next.fetch_add(1)) + ".sock";
  }
  if (network == "tcp6" || network == "udp6") return "[::1]:0";
  return "127.0.0.1:0";
}

// ipv6_loopback says whether [::1] can be bound here (containers without
// IPv6 cannot).
inline bool ipv6_loopback() {
  const int s = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return false;
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_addr = in6addr_loopback;
  const bool ok =
      ::bind(s, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0;
  ::close(s);
  return ok;
}

// conn_pair is both ends of one connection.
struct conn_pair {
  net::conn client;
  net::conn server;
};

// connected_pair listens on loopback, dials, accepts, and closes the
// listener. The kernel completes the connect from its backlog, so one
// goroutine (or plain thread) does all three. Any thread.
inline conn_pair connected_pair(std::string_view network = "tcp") {
  auto ln = must(net::listen(network, loopback(network)), "listen");
  auto client = must(net::dial(network, ln.addr()), "dial");
  auto server = must(ln.accept(), "accept");
  ln.close();
  return {client, server};
}

// close_both closes both ends.
inline void close_both(const conn_pair& p) {
  p.client.close();
  p.server.close();
}

// echo_server accepts on loopback and serves each connection on its own
// goroutine with copy(c, c) until end of stream, then closes it. stop()
// (and the destructor) closes the listener and waits for the accept loop
// and every handler: close the clients first.
class echo_server {
 public:
  explicit echo_server(std::string_view network = "tcp")
      : ln_(must(net::listen(network, loopback(network)), "listen")) {
    wg_.add(1);
    gort::go([this] { accept_loop(); });
  }
  echo_server(const echo_server&) = delete;
  echo_server& operator=(const echo_server&) = delete;
  ~echo_server() { stop(); }

  std::string addr() const { return ln_.addr(); }
  const net::listener& listener() const { return ln_; }

  void stop() {
    if (stopped_.exchange(true)) return;
    ln_.close();
    wg_.wait();
  }

 private:
  void accept_loop() {
    for (;;) {
      auto [c, err] = ln_.accept();
      if (err) break;
      wg_.add(1);
      gort::go([this, c = c] {
        (void)net::copy(c, c);
        c.close();
        wg_.done();
      });
    }
    wg_.done();
  }

  net::listener ln_;
  gort::wait_group wg_;
  std::atomic<bool> stopped_{false};
};

// as_buf views a string as the buffer a read fills.
inline std::span<char> as_buf(std::string& s) { return {s.data(), s.size()}; }

// echoes writes msg on `to`, reads it back in full on `from` and compares.
inline ::testing::AssertionResult echoes(const net::conn& to,
                                         const net::conn& from,
                                         std::string_view msg) {
  const auto w = to.write(msg);
  if (w.err || w.n != msg.size())
    return ::testing::AssertionFailure()
           << "write: n=" << w.n << " err=" << w.err.message();
  std::string got(msg.size(), '\0');
  const auto r = net::read_full(from, as_buf(got));
  if (r.err || got != msg)
    return ::testing::AssertionFailure()
           << "read_full: n=" << r.n << " err=" << r.err.message() << " got \""
           << got << "\"";
  return ::testing::AssertionSuccess();
}

// echoes through an echo server: c is a client of one.
inline ::testing::AssertionResult echoes(const net::conn& c,
                                         std::string_view msg) {
  return echoes(c, c, msg);
}

// expect_accepts checks that ln still works: it accepts the next
// connection, which must be c (dialed already; dialed here if c is nil),
// checks an echo over it and closes both ends.
inline void expect_accepts(const net::listener& ln, net::conn c = {}) {
  if (!c) c = must(net::dial("tcp", ln.addr()), "dial");
  const auto s = must(ln.accept(), "accept");
  EXPECT_TRUE(echoes(c, s, "the listener works"));
  c.close();
  s.close();
}

// seeded_payload is n bytes drawn from seed: equal seeds, equal bytes.
inline std::string seeded_payload(std::uint64_t seed, std::size_t n) {
  std::string s(n, '\0');
  std::uint64_t x = seed;
  for (std::size_t i = 0; i < n; i += 8) {
    x = mix(x);
    for (std::size_t k = 0; k < 8 && i + k < n; ++k)
      s[i + k] = static_cast<char>(x >> (8 * k));
  }
  return s;
}

// checksum is FNV-1a over bytes, to compare streams without keeping them.
inline std::uint64_t checksum(std::string_view bytes,
                              std::uint64_t h = 0xcbf29ce484222325ULL) {
  for (const char ch : bytes) {
    h ^= static_cast<unsigned char>(ch);
    h *= 0x100000001b3ULL;
  }
  return h;
}

// io_parked counts the goroutines parked on the poller now.
inline std::size_t io_parked() {
  return parked_for(gort::stats(), gort::wait_reason::io_wait);
}

// parked_in_io waits (the watchdog bounds it) until at least n goroutines
// are parked on the poller: the way a test knows that a read, write or
// accept is really asleep before it acts.
inline bool parked_in_io(std::size_t n) {
  return eventually([n] { return io_parked() >= n; });
}

// shrink_buffers makes c's kernel buffers small, so a writer whose peer
// never reads blocks after a few KB instead of a few MB.
inline void shrink_buffers(const net::conn& c) {
  const int size = 4096;
  ::setsockopt(c.fd(), SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  ::setsockopt(c.fd(), SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
}

// kernel_sleeper says whether a plain thread is asleep in a system call
// (a wait on the poller, whatever the implementation waits with): its
// state in /proc is 'S' and it is in a system call. arm() on the thread.
class kernel_sleeper {
 public:
  void arm() noexcept { tid_.store(static_cast<long>(::syscall(SYS_gettid))); }
  bool asleep() const {
    const long tid = tid_.load();
    if (tid == 0) return false;
    const std::string dir = "/proc/self/task/" + std::to_string(tid) + "/";
    std::ifstream stat(dir + "stat");
    std::string line;
    if (!std::getline(stat, line)) return false;
    const std::size_t close = line.rfind(')');
    if (close == std::string::npos || close + 2 >= line.size()) return false;
    if (line[close + 2] != 'S') return false;
    std::ifstream sc(dir + "syscall");
    std::string first;
    return static_cast<bool>(sc >> first) && first != "running" &&
           first != "-1";
  }

 private:
  std::atomic<long> tid_{0};
};

// go_result runs f on a new goroutine and returns a channel that receives
// its result.
template <class F>
auto go_result(F f) -> gort::chan<std::invoke_result_t<F&>> {
  using R = std::invoke_result_t<F&>;
  auto out = gort::make_chan<R>(1);
  gort::go([f = std::move(f), out]() mutable { out.send(f()); });
  return out;
}

// go_parked is go_result for a call that must block: it returns once one
// more goroutine is parked on the poller, so that the caller can act on a
// waiter that is really asleep. Throws test_failure if none parks before
// the watchdog expires.
template <class F>
auto go_parked(F f) -> gort::chan<std::invoke_result_t<F&>> {
  const std::size_t base = io_parked();
  auto out = go_result(std::move(f));
  if (!parked_in_io(base + 1))
    throw test_failure("the call never parked on the poller");
  return out;
}

// read_some reads once into a buffer of n bytes and returns the result and
// the bytes read.
struct read_got {
  net::io_result r;
  std::string bytes;
};
inline read_got read_some(const net::conn& c, std::size_t n = 16) {
  std::string buf(n, '\0');
  const auto r = c.read(as_buf(buf));
  buf.resize(r.n);
  return {r, buf};
}

// recv_within receives from c, or gives up (nullopt) when the watchdog
// expires, so that a waiter nobody wakes fails the test instead of hanging.
template <class T>
std::optional<T> recv_within(const gort::chan<T>& c) {
  std::optional<T> got;
  gort::select(gort::case_recv(c, [&](std::optional<T> v) { got = v; }),
               gort::case_recv(gort::after(watchdog)));
  return got;
}

// past is a deadline that has passed; later is one no test reaches.
inline net::time_point past() { return std::chrono::steady_clock::now() - 1s; }
inline net::time_point later() { return std::chrono::steady_clock::now() + 1h; }

}  // namespace gort_test
