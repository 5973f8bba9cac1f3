// net/internal/descriptor.hpp: the descriptor behind every gort::net
// handle (Go's internal/poll.FD): the fd, its poll descriptor, the fd
// mutex that serialises readers and writers and counts references, and the
// I/O loops. The protocol is the essay at the top of net/descriptor.cpp.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include <gort/net.hpp>
#include "sched/internal/netpoll.hpp"

namespace gort::net::detail {

// kind says which system calls move bytes.
enum class fd_kind : std::uint8_t {
  stream,    // a stream socket: recv/send(MSG_NOSIGNAL); 0 bytes read = EOF
  datagram,  // a datagram socket: recv/send; 0 bytes is an empty datagram
  file,      // a pipe, FIFO, tty or eventfd: read/write; 0 bytes = EOF
};

class netfd {
 public:
  // netfd adopts fd, registered as pd (never nullptr). `owns`: close() and
  // the last reference close fd; otherwise fd stays the caller's (poll_fd).
  netfd(int fd, internal::poll_desc* pd, fd_kind kind, bool owns) noexcept;
  // ~netfd closes a descriptor that was never closed (the last handle was
  // dropped): nothing can use it any more.
  ~netfd();
  netfd(const netfd&) = delete;
  netfd& operator=(const netfd&) = delete;

  // read and write move bytes as conn::read/write say; ctx may be nullptr.
  io_result read(std::span<std::byte> buf, const context* ctx);
  io_result write(std::span<const std::byte> buf, const context* ctx);
  // read_from and write_to are the datagram forms (packet_conn).
  read_from_result read_from(std::span<std::byte> buf);
  io_result write_to(std::span<const std::byte> buf, const sockaddr* to,
                     socklen_t len);
  // accept takes the next connection: its fd (non-blocking, CLOEXEC), or
  // -1 and the error.
  std::error_code accept(int* out, const context* ctx);
  // connect finishes a non-blocking connect(2) to `to` (Go's
  // netFD.connect): waits for writability, reads SO_ERROR, confirms with
  // getpeername.
  std::error_code connect(const sockaddr* to, socklen_t len,
                          const context* ctx);
  // wait waits for readiness in `mode` without a system call of its own
  // (poll_fd), keeping a readiness edge that arrived before the call.
  std::error_code wait(internal::poll_mode mode, time_point deadline);

  std::error_code set_deadline(time_point t, internal::poll_mode mode);
  // close: see the essay. Returns errc::closed if already closed.
  std::error_code close();
  // shutdown calls shutdown(2) (SHUT_RD, SHUT_WR) under a reference.
  std::error_code shutdown(int how);
  // setsockopt under a reference.
  std::error_code set_option(int level, int name, int value);
  // fd returns the descriptor, or -1 once closed.
  int fd() const noexcept;

  std::string local, remote;  // addresses as text, set before sharing
  std::string unlink_path;    // a unix listener's socket file, removed at close

 private:
  bool incref();           // throws usage_error past 2^23 references
  bool decref() noexcept;  // true: the last reference of a closed fd
  bool rwlock(bool read);
  bool rwunlock(bool read) noexcept;
  void destroy() noexcept;
  template <typename Call>
  std::error_code io(internal::poll_mode mode, const context* ctx, Call&& call,
                     std::size_t* n);
  class op;  // RAII: the read or write lock, or a reference

  const int fd_;
  internal::poll_desc* const pd_;
  const fd_kind kind_;
  const bool owns_;
  std::atomic<std::uint64_t> state_{0};  // the fd mutex (N1)
  std::atomic<std::uint32_t> rsema_{0}, wsema_{0}, csema_{0};
};

}  // namespace gort::net::detail

namespace gort::net {

// access builds handles around descriptors (the handles' constructors are
// private, so a program cannot make one from a netfd).
struct access {
  template <typename Handle>
  static Handle wrap(std::shared_ptr<detail::netfd> fd) noexcept {
    return Handle(std::move(fd));
  }
  template <typename Handle>
  static detail::netfd& get(const Handle& h, const char* op) {
    if (h.fd_ == nullptr) nil(op);
    return *h.fd_;
  }
  [[noreturn]] static void nil(const char* op);
};

}  // namespace gort::net
