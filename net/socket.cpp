// Sockets: creating, listening, dialing, accepting, adopting (Go's
// net/sock_posix.go, tcpsock_posix.go, sockopt; netpoll.md 1.9, 1.11).
//
// Every fd gort opens is non-blocking and CLOEXEC; every socket send is
// MSG_NOSIGNAL (net/descriptor.cpp), so SIGPIPE never comes from gort.
// Listeners set SO_REUSEADDR and take the backlog from somaxconn; TCP
// connections get TCP_NODELAY and keep-alive every 15 s, as in Go. A dial
// tries each resolved address in turn and returns the first success, or
// the first error. A TCP dial with no local port that connects to itself
// (a loopback port in the ephemeral range) is closed and tried again.
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <memory>

#include "net/internal/address.hpp"
#include "net/internal/descriptor.hpp"

namespace gort::net {
namespace {

using detail::endpoint;
using detail::fd_kind;
using detail::netfd;

std::error_code sys(int e) { return {e, std::system_category()}; }

int somaxconn() {
  static const int value = [] {
    int v = 4096;
    if (std::FILE* f = std::fopen("/proc/sys/net/core/somaxconn", "re")) {
      if (std::fscanf(f, "%d", &v) != 1 || v <= 0) v = 4096;
      std::fclose(f);
    }
    return v;
  }();
  return value;
}

// adopt registers fd with the poller and wraps it; on failure it closes
// fd if it owns it.
std::error_code adopt(int fd, fd_kind kind, bool owns,
                      std::shared_ptr<netfd>* out) {
  int err = 0;
  internal::poll_desc* pd = internal::poll_open(fd, &err);
  if (pd == nullptr) {
    if (owns) ::close(fd);
    return err == EPERM ? std::error_code(errc::not_pollable) : sys(err);
  }
  *out = std::make_shared<netfd>(fd, pd, kind, owns);
  return {};
}

std::error_code new_socket(int family, int sotype,
                           std::shared_ptr<netfd>* out) {
  const int fd = ::socket(family, sotype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return sys(errno);
  return adopt(fd, sotype == SOCK_STREAM ? fd_kind::stream : fd_kind::datagram,
               true, out);
}

std::string sock_name(int fd, bool peer) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  auto* sa = reinterpret_cast<sockaddr*>(&ss);
  if ((peer ? ::getpeername(fd, sa, &len) : ::getsockname(fd, sa, &len)) != 0)
    return "";
  return detail::format_address(sa);
}

void name_conn(netfd& c, int fd) {
  c.local = sock_name(fd, false);
  c.remote = sock_name(fd, true);
}

// tcp_defaults: TCP_NODELAY on, keep-alive 15 s (Go's defaults).
void tcp_defaults(netfd& c, int family) {
  if (family == AF_UNIX) return;
  c.set_option(IPPROTO_TCP, TCP_NODELAY, 1);
  c.set_option(SOL_SOCKET, SO_KEEPALIVE, 1);
  c.set_option(IPPROTO_TCP, TCP_KEEPIDLE, 15);
  c.set_option(IPPROTO_TCP, TCP_KEEPINTVL, 15);
  c.set_option(IPPROTO_TCP, TCP_KEEPCNT, 9);
}

// bind_socket opens a socket of `net` bound to e (listening if a stream).
std::error_code bind_socket(const detail::network& net, const endpoint& e,
                            std::shared_ptr<netfd>* out) {
  std::shared_ptr<netfd> s;
  if (std::error_code err = new_socket(e.ss.ss_family, net.sotype, &s))
    return err;
  const int fd = s->fd();
  const int one = 1, zero = 0;
  if (e.ss.ss_family != AF_UNIX)
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (e.ss.ss_family == AF_INET6)  // [::] takes IPv4 too, as Go's "tcp"
    ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
  if (::bind(fd, e.sa(), e.len) != 0) return sys(errno);
  if (net.sotype == SOCK_STREAM && ::listen(fd, somaxconn()) != 0)
    return sys(errno);
  s->local = sock_name(fd, false);
  if (e.ss.ss_family == AF_UNIX) s->unlink_path = s->local;
  *out = std::move(s);
  return {};
}

bool self_connected(const netfd& c) {
  return !c.local.empty() && c.local == c.remote;
}

// bind_first binds a socket of `network` to the first address of
// `address` that takes it (stream: listening); the first error otherwise.
template <typename Handle>
result<Handle> bind_first(std::string_view network, std::string_view address,
                          bool datagram) {
  detail::network net;
  std::vector<endpoint> eps;
  if (std::error_code err = detail::parse_network(network, datagram, &net))
    return {{}, err};
  if (datagram && net.sotype != SOCK_DGRAM) return {{}, errc::unknown_network};
  if (std::error_code err = detail::resolve(net, address, true, &eps))
    return {{}, err};
  std::error_code first;
  for (const endpoint& e : eps) {
    std::shared_ptr<netfd> s;
    std::error_code err = bind_socket(net, e, &s);
    if (!err) return {access::wrap<Handle>(std::move(s)), {}};
    if (!first) first = err;
  }
  return {{}, first};
}

}  // namespace

result<listener> listen(std::string_view network, std::string_view address) {
  return bind_first<listener>(network, address, false);
}

result<packet_conn> listen_packet(std::string_view network,
                                  std::string_view address) {
  return bind_first<packet_conn>(network, address, true);
}

namespace detail {

// dial_one connects one socket to e.
std::error_code dial_one(const network& net, const endpoint& e,
                         const context* ctx, std::shared_ptr<netfd>* out) {
  for (int attempt = 0;; ++attempt) {
    std::shared_ptr<netfd> c;
    if (std::error_code err = new_socket(e.ss.ss_family, net.sotype, &c))
      return err;
    const int fd = c->fd();
    std::error_code err = c->connect(e.sa(), e.len, ctx);
    if (err) {
      c->close();
      return err;
    }
    name_conn(*c, fd);
    if (net.sotype == SOCK_STREAM && attempt < 2 && self_connected(*c)) {
      c->close();
      continue;
    }
    if (net.sotype == SOCK_STREAM) tcp_defaults(*c, e.ss.ss_family);
    *out = std::move(c);
    return {};
  }
}

}  // namespace detail

result<conn> dial(const context& ctx, std::string_view network,
                  std::string_view address) {
  detail::network net;
  std::vector<endpoint> eps;
  if (std::error_code err = detail::parse_network(network, true, &net))
    return {{}, err};
  if (std::error_code err = ctx.err()) return {{}, err};
  if (std::error_code err = detail::resolve(net, address, false, &eps))
    return {{}, err};
  std::error_code first;
  for (const endpoint& e : eps) {
    std::shared_ptr<netfd> c;
    std::error_code err = detail::dial_one(net, e, &ctx, &c);
    if (!err) return {access::wrap<conn>(std::move(c)), {}};
    if (!first) first = err;
    if (ctx.err()) break;
  }
  return {{}, first};
}

result<conn> dial(std::string_view network, std::string_view address) {
  return dial(context::background(), network, address);
}

result<conn> dial_timeout(std::string_view network, std::string_view address,
                          std::chrono::nanoseconds d) {
  auto [ctx, cancel] = with_timeout(context::background(), d);
  result<conn> r = dial(ctx, network, address);
  cancel();
  if (r.err == errc::deadline_exceeded) r.err = errc::timeout;  // Go's words
  return r;
}

result<conn> listener::accept(const context& ctx) const {
  netfd& ln = access::get(*this, "accept");
  int fd = -1;
  if (std::error_code err = ln.accept(&fd, &ctx)) return {{}, err};
  std::shared_ptr<netfd> c;
  if (std::error_code err = adopt(fd, fd_kind::stream, true, &c))
    return {{}, err};
  name_conn(*c, fd);
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  tcp_defaults(*c, ss.ss_family);
  return {access::wrap<conn>(std::move(c)), {}};
}

result<conn> listener::accept() const { return accept(context::background()); }

result<conn> from_fd(int fd) {
  struct stat st;
  if (fd < 0 || ::fstat(fd, &st) != 0) return {{}, sys(EBADF)};
  if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))
    return {{}, errc::not_pollable};
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0) return {{}, sys(errno)};
  fd_kind kind = fd_kind::file;
  if (S_ISSOCK(st.st_mode)) {
    int type = 0;
    socklen_t len = sizeof type;
    ::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len);
    kind = type == SOCK_STREAM ? fd_kind::stream : fd_kind::datagram;
  }
  int err = 0;
  ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  internal::poll_desc* pd = internal::poll_open(fd, &err);
  if (pd == nullptr) {
    ::fcntl(fd, F_SETFL, flags);  // still the caller's, as it was
    return {{}, err == EPERM ? std::error_code(errc::not_pollable) : sys(err)};
  }
  auto c = std::make_shared<netfd>(fd, pd, kind, true);
  if (kind != fd_kind::file) name_conn(*c, fd);
  return {access::wrap<conn>(std::move(c)), {}};
}

poll_fd::poll_fd(int fd) : fd_(fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0) {
    err_ = sys(errno);
    return;
  }
  ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  err_ = adopt(fd, fd_kind::file, false, &impl_);
}

poll_fd::~poll_fd() = default;  // the netfd unregisters; fd stays open

std::error_code poll_fd::wait_read(time_point deadline) {
  if (impl_ == nullptr) return err_;
  return impl_->wait(internal::poll_mode::read, deadline);
}

std::error_code poll_fd::wait_write(time_point deadline) {
  if (impl_ == nullptr) return err_;
  return impl_->wait(internal::poll_mode::write, deadline);
}

}  // namespace gort::net
