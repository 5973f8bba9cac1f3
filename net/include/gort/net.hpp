// gort/net.hpp: Go's net package on gort's network poller.
//
//   auto [ln, err] = gort::net::listen("tcp", "127.0.0.1:0");
//   for (;;) {
//     auto [c, err] = ln.accept();
//     if (err) break;
//     gort::go([c = c]() mutable {  // one goroutine per connection
//       gort::net::copy(c, c);      // echo until end of stream
//       c.close();
//     });
//   }
//
// A goroutine that waits on a socket is parked on the runtime's poller and
// its worker runs other goroutines; a plain thread that waits blocks in the
// kernel. I/O failures are values (std::error_code), never exceptions;
// misuse (an operation on a default-constructed conn, listener or
// packet_conn) throws gort::usage_error. Every call works from any goroutine
// or plain thread.
//
// Errors. gort::errc::closed ("use of closed network connection"),
// timeout ("i/o timeout"), eof ("EOF"), unexpected_eof ("unexpected EOF"),
// not_pollable, unknown_network ("unknown network"), bad_address ("missing
// port in address", "invalid port" ...: the message is the category's, the
// detail is lost), no_such_host ("no such host"); the context forms end with
// errc::canceled or errc::deadline_exceeded. Errors from the kernel are
// std::system_category() codes: err == std::errc::connection_refused.
//
// Deadlines are absolute and sticky, as Go's: once a direction's deadline
// has passed, pending and later operations in that direction fail with
// errc::timeout before any system call, even with data buffered, until the
// deadline is moved; time_point{} clears it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include <gort/context.hpp>

namespace gort::net {

using time_point = std::chrono::steady_clock::time_point;

namespace detail {
class netfd;  // net/fd.cpp: the descriptor, its reference count and locks
}

// io_result is Go's (n, err): n bytes moved, then err (empty on success).
// Bytes counted in n were moved even when err is set.
struct io_result {
  std::size_t n = 0;
  std::error_code err;
};

// result is a value or an error: `auto [c, err] = dial(...)`.
template <typename T>
struct result {
  T value;
  std::error_code err;
};

// read_from_result is what packet_conn::read_from returns.
struct read_from_result {
  std::size_t n = 0;
  std::string from;  // the sender's address, "127.0.0.1:5000"
  std::error_code err;
};

// conn is a stream (TCP, Unix) or connected datagram (UDP) connection, or
// an adopted fd (from_fd). A copyable handle: copies refer to the same
// connection, == compares identity, and a default-constructed conn is
// "nil" (its operations throw usage_error). One goroutine may read while
// another writes and a third closes; concurrent reads (or writes) are
// served one at a time, in turn.
class conn {
 public:
  conn() noexcept = default;

  // read reads up to buf.size() bytes; it returns as soon as some bytes
  // are there. End of stream: {0, errc::eof}. An empty buf returns {0, {}}
  // at once. After close(): errc::closed. Past the read deadline:
  // errc::timeout.
  io_result read(std::span<std::byte> buf) const;
  io_result read(std::span<char> buf) const;
  // read(ctx, buf) is read that ends with ctx.err() if ctx ends first;
  // no byte is lost, and the connection stays usable.
  io_result read(const context& ctx, std::span<std::byte> buf) const;
  io_result read(const context& ctx, std::span<char> buf) const;

  // write writes all of buf, or returns the count written so far with the
  // error. A peer that has gone gives EPIPE or ECONNRESET, never SIGPIPE.
  io_result write(std::span<const std::byte> buf) const;
  io_result write(std::string_view buf) const;
  io_result write(const context& ctx, std::span<const std::byte> buf) const;
  io_result write(const context& ctx, std::string_view buf) const;

  // Deadlines (see the top of this file). Return errc::closed after close,
  // errc::not_pollable for an fd the poller cannot watch.
  std::error_code set_deadline(time_point t) const;
  std::error_code set_read_deadline(time_point t) const;
  std::error_code set_write_deadline(time_point t) const;

  // close closes the connection; every blocked operation on it returns
  // errc::closed. It returns once no system call uses the fd any more. A
  // second close returns errc::closed.
  std::error_code close() const;
  // close_read / close_write shut down one direction (shutdown(2));
  // close_write sends end of stream to the peer (TCP half-close).
  std::error_code close_read() const;
  std::error_code close_write() const;

  // Addresses as text, Go's Addr().String(): "127.0.0.1:43127",
  // "[::1]:80", a socket path for unix; "" where there is none.
  std::string local_addr() const;
  std::string remote_addr() const;
  // set_no_delay sets TCP_NODELAY (on by default for TCP, as in Go).
  std::error_code set_no_delay(bool on) const;
  // set_keep_alive turns TCP keep-alive on (15 s by default, as in Go)
  // with the given idle time and interval, or off.
  std::error_code set_keep_alive(
      bool on, std::chrono::seconds period = std::chrono::seconds(15)) const;
  // fd is the descriptor, or -1 once closed. It stays gort's: do not close
  // it, and do not read or write it behind gort's back.
  int fd() const;

  explicit operator bool() const noexcept { return fd_ != nullptr; }
  friend bool operator==(const conn& a, const conn& b) noexcept {
    return a.fd_ == b.fd_;
  }

 private:
  friend struct access;
  explicit conn(std::shared_ptr<detail::netfd> fd) noexcept
      : fd_(std::move(fd)) {}
  std::shared_ptr<detail::netfd> fd_;
};

// listener is a listening stream socket. A copyable handle like conn.
class listener {
 public:
  listener() noexcept = default;

  // accept waits for the next connection. After close(): errc::closed.
  // Running out of descriptors (EMFILE, ENFILE) is an error value; the
  // pending connection stays queued and the listener keeps working.
  result<conn> accept() const;
  // accept(ctx) ends with ctx.err() if ctx ends first.
  result<conn> accept(const context& ctx) const;
  // addr is the bound address as text ("127.0.0.1:43127"; the path for
  // unix).
  std::string addr() const;
  // close stops listening and wakes a blocked accept with errc::closed. A
  // unix listener removes its socket file. Second close: errc::closed.
  std::error_code close() const;
  std::error_code set_deadline(time_point t) const;
  int fd() const;

  explicit operator bool() const noexcept { return fd_ != nullptr; }
  friend bool operator==(const listener& a, const listener& b) noexcept {
    return a.fd_ == b.fd_;
  }

 private:
  friend struct access;
  explicit listener(std::shared_ptr<detail::netfd> fd) noexcept
      : fd_(std::move(fd)) {}
  std::shared_ptr<detail::netfd> fd_;
};

// packet_conn is an unconnected datagram socket (UDP). A copyable handle.
class packet_conn {
 public:
  packet_conn() noexcept = default;

  // read_from receives one datagram into buf (a longer one is truncated
  // to buf.size()) and says who sent it.
  read_from_result read_from(std::span<std::byte> buf) const;
  read_from_result read_from(std::span<char> buf) const;
  // write_to sends buf as one datagram to address ("127.0.0.1:5000").
  io_result write_to(std::span<const std::byte> buf,
                     std::string_view address) const;
  io_result write_to(std::string_view buf, std::string_view address) const;

  std::error_code set_deadline(time_point t) const;
  std::error_code set_read_deadline(time_point t) const;
  std::error_code set_write_deadline(time_point t) const;
  std::error_code close() const;
  std::string local_addr() const;
  int fd() const;

  explicit operator bool() const noexcept { return fd_ != nullptr; }
  friend bool operator==(const packet_conn& a, const packet_conn& b) noexcept {
    return a.fd_ == b.fd_;
  }

 private:
  friend struct access;
  explicit packet_conn(std::shared_ptr<detail::netfd> fd) noexcept
      : fd_(std::move(fd)) {}
  std::shared_ptr<detail::netfd> fd_;
};

// listen opens a listener. network: "tcp", "tcp4", "tcp6" or "unix".
// address: "127.0.0.1:0", ":8080" (every address), "[::1]:0",
// "localhost:0", or a path for unix. Port 0 picks a free port (addr()
// says which). SO_REUSEADDR is set; the backlog is the system's somaxconn.
result<listener> listen(std::string_view network, std::string_view address);

// listen_packet opens a datagram socket: "udp", "udp4" or "udp6".
result<packet_conn> listen_packet(std::string_view network,
                                  std::string_view address);

// dial connects. network: "tcp", "tcp4", "tcp6", "unix", "udp", "udp4",
// "udp6". Host names are resolved with getaddrinfo inside gort::blocking(),
// so no worker is blocked; each resolved address is tried in turn. TCP
// connections get TCP_NODELAY and 15 s keep-alive.
result<conn> dial(std::string_view network, std::string_view address);
// dial(ctx, ...) gives up with ctx.err() when ctx ends first.
result<conn> dial(const context& ctx, std::string_view network,
                  std::string_view address);
// dial_timeout gives up with errc::timeout after d.
result<conn> dial_timeout(std::string_view network, std::string_view address,
                          std::chrono::nanoseconds d);

// from_fd adopts fd: a socket, pipe, FIFO, tty or eventfd that the program
// opened. It is made non-blocking and is closed by the conn's close(). A
// regular file or a directory gets errc::not_pollable (fd stays the
// caller's); a negative or closed fd gets EBADF.
result<conn> from_fd(int fd);

// poll_fd waits for readiness of an fd that another library reads and
// writes itself (Go's syscall.RawConn): the fd stays the caller's, is made
// non-blocking, and must stay open while the poll_fd lives. Not copyable.
// One reader and one writer may wait at a time.
class poll_fd {
 public:
  explicit poll_fd(int fd);
  ~poll_fd();
  poll_fd(const poll_fd&) = delete;
  poll_fd& operator=(const poll_fd&) = delete;

  // wait_read / wait_write return once the fd may be ready (the caller
  // then tries its call, and waits again on EAGAIN), or errc::timeout when
  // `deadline` (time_point{}: none) passes, or errc::not_pollable.
  std::error_code wait_read(time_point deadline = {});
  std::error_code wait_write(time_point deadline = {});
  int fd() const noexcept { return fd_; }

 private:
  int fd_;
  std::shared_ptr<detail::netfd> impl_;  // nullptr: not pollable
  std::error_code err_;
};

// copy copies from src to dst until end of stream (Go's io.Copy): err is
// empty on a clean end, else the first read or write error; n counts the
// bytes written to dst.
io_result copy(const conn& dst, const conn& src);

// read_full reads exactly buf.size() bytes (Go's io.ReadFull): errc::eof
// if the stream ended before any byte, errc::unexpected_eof if it ended
// part way, else the read's error.
io_result read_full(const conn& c, std::span<std::byte> buf);
io_result read_full(const conn& c, std::span<char> buf);

}  // namespace gort::net
