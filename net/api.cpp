// The handles of <gort/net.hpp>: conn, listener and packet_conn forward to
// their descriptor (net/descriptor.cpp); copy and read_full are Go's
// io.Copy and io.ReadFull.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <memory>

#include <gort/io.hpp>

#include "net/internal/address.hpp"
#include "net/internal/descriptor.hpp"

namespace gort::net {
namespace {

using internal::poll_mode;

std::span<std::byte> bytes(std::span<char> b) noexcept {
  return std::as_writable_bytes(b);
}
std::span<const std::byte> bytes(std::string_view s) noexcept {
  return std::as_bytes(std::span<const char>(s.data(), s.size()));
}

}  // namespace

io_result conn::read(std::span<std::byte> buf) const {
  return access::get(*this, "read").read(buf, nullptr);
}
io_result conn::read(std::span<char> buf) const { return read(bytes(buf)); }
io_result conn::read(const context& ctx, std::span<std::byte> buf) const {
  return access::get(*this, "read").read(buf, &ctx);
}
io_result conn::read(const context& ctx, std::span<char> buf) const {
  return read(ctx, bytes(buf));
}

io_result conn::write(std::span<const std::byte> buf) const {
  return access::get(*this, "write").write(buf, nullptr);
}
io_result conn::write(std::string_view buf) const { return write(bytes(buf)); }
io_result conn::write(const context& ctx,
                      std::span<const std::byte> buf) const {
  return access::get(*this, "write").write(buf, &ctx);
}
io_result conn::write(const context& ctx, std::string_view buf) const {
  return write(ctx, bytes(buf));
}

std::error_code conn::set_deadline(time_point t) const {
  return access::get(*this, "set_deadline").set_deadline(t, poll_mode::both);
}
std::error_code conn::set_read_deadline(time_point t) const {
  return access::get(*this, "set_read_deadline")
      .set_deadline(t, poll_mode::read);
}
std::error_code conn::set_write_deadline(time_point t) const {
  return access::get(*this, "set_write_deadline")
      .set_deadline(t, poll_mode::write);
}
std::error_code conn::close() const {
  return access::get(*this, "close").close();
}
std::error_code conn::close_read() const {
  return access::get(*this, "close_read").shutdown(SHUT_RD);
}
std::error_code conn::close_write() const {
  return access::get(*this, "close_write").shutdown(SHUT_WR);
}
std::string conn::local_addr() const {
  return access::get(*this, "local_addr").local;
}
std::string conn::remote_addr() const {
  return access::get(*this, "remote_addr").remote;
}
std::error_code conn::set_no_delay(bool on) const {
  return access::get(*this, "set_no_delay")
      .set_option(IPPROTO_TCP, TCP_NODELAY, on ? 1 : 0);
}
std::error_code conn::set_keep_alive(bool on,
                                     std::chrono::seconds period) const {
  detail::netfd& fd = access::get(*this, "set_keep_alive");
  if (std::error_code err = fd.set_option(SOL_SOCKET, SO_KEEPALIVE, on ? 1 : 0);
      err || !on)
    return err;
  const int secs = period.count() < 1 ? 1 : static_cast<int>(period.count());
  if (std::error_code err = fd.set_option(IPPROTO_TCP, TCP_KEEPIDLE, secs))
    return err;
  return fd.set_option(IPPROTO_TCP, TCP_KEEPINTVL, secs);
}
int conn::fd() const { return access::get(*this, "fd").fd(); }

std::string listener::addr() const { return access::get(*this, "addr").local; }
std::error_code listener::close() const {
  return access::get(*this, "close").close();
}
std::error_code listener::set_deadline(time_point t) const {
  return access::get(*this, "set_deadline").set_deadline(t, poll_mode::read);
}
int listener::fd() const { return access::get(*this, "fd").fd(); }

read_from_result packet_conn::read_from(std::span<std::byte> buf) const {
  return access::get(*this, "read_from").read_from(buf);
}
read_from_result packet_conn::read_from(std::span<char> buf) const {
  return read_from(bytes(buf));
}
io_result packet_conn::write_to(std::span<const std::byte> buf,
                                std::string_view address) const {
  detail::netfd& fd = access::get(*this, "write_to");
  sockaddr_storage self{};
  socklen_t len = sizeof self;
  ::getsockname(fd.fd(), reinterpret_cast<sockaddr*>(&self), &len);
  // A dual-stack socket ("udp" on ":0" binds [::]) also sends to IPv4.
  const bool v6 = self.ss_family == AF_INET6;
  detail::network net{v6 ? AF_UNSPEC : self.ss_family, SOCK_DGRAM};
  std::vector<detail::endpoint> eps;
  if (std::error_code err = detail::resolve(net, address, false, &eps))
    return {0, err};
  detail::endpoint to = eps.front();
  if (v6 && to.ss.ss_family == AF_INET) to = detail::v4_mapped(to);
  return fd.write_to(buf, to.sa(), to.len);
}
io_result packet_conn::write_to(std::string_view buf,
                                std::string_view address) const {
  return write_to(bytes(buf), address);
}
std::error_code packet_conn::set_deadline(time_point t) const {
  return access::get(*this, "set_deadline").set_deadline(t, poll_mode::both);
}
std::error_code packet_conn::set_read_deadline(time_point t) const {
  return access::get(*this, "set_read_deadline")
      .set_deadline(t, poll_mode::read);
}
std::error_code packet_conn::set_write_deadline(time_point t) const {
  return access::get(*this, "set_write_deadline")
      .set_deadline(t, poll_mode::write);
}
std::error_code packet_conn::close() const {
  return access::get(*this, "close").close();
}
std::string packet_conn::local_addr() const {
  return access::get(*this, "local_addr").local;
}
int packet_conn::fd() const { return access::get(*this, "fd").fd(); }

io_result copy(const conn& dst, const conn& src) {
  io::conn_stream d(dst), r(src);
  return io::copy(d, r);
}

io_result read_full(const conn& c, std::span<std::byte> buf) {
  io::conn_stream r(c);
  return io::read_full(
      r, std::span<char>(reinterpret_cast<char*>(buf.data()), buf.size()));
}

io_result read_full(const conn& c, std::span<char> buf) {
  io::conn_stream r(c);
  return io::read_full(r, buf);
}

}  // namespace gort::net
