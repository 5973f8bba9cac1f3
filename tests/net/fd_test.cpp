// Adopted descriptors (net.hpp, from_fd and poll_fd; netpoll.md §1.11).
//
// from_fd: both ends of a pipe carry data and end of stream, and close
// wakes a read blocked on one; an eventfd counts; a regular file and a
// directory get errc::not_pollable and stay open and the caller's; a
// negative or closed fd gets EBADF.
//
// poll_fd: on a socketpair, wait_read returns after the peer writes (the
// caller then reads the fd itself); wait_read with a deadline returns
// errc::timeout; wait_write on a writable fd returns at once; on a regular
// file both say errc::not_pollable; the fd stays open after the poll_fd.
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include <gtest/gtest.h>

#include "gort/net.hpp"
#include "gort/sched.hpp"
#include "net/net_helpers.hpp"
#include "support/procs_fixture.hpp"

namespace {

using namespace gort_test;
using gort::errc;

class net_fd_test : public procs_fixture {};
GORT_INSTANTIATE_PROCS(net_fd_test);

bool fd_open(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

// temp_file is a regular file that lives as long as the object.
struct temp_file {
  temp_file() {
    char name[] = "/tmp/gort-net-test-XXXXXX";
    fd = ::mkstemp(name);
    path = name;
  }
  temp_file(const temp_file&) = delete;
  temp_file& operator=(const temp_file&) = delete;
  ~temp_file() {
    if (fd >= 0) ::close(fd);
    ::unlink(path.c_str());
  }
  int fd = -1;
  std::string path;
};

// adopted_pipe is a pipe whose two ends are conns.
conn_pair adopted_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw test_failure("pipe2");
  auto r = must(net::from_fd(fds[0]), "from_fd(read end)");
  auto w = must(net::from_fd(fds[1]), "from_fd(write end)");
  return {w, r};  // client writes, server reads
}

TEST_P(net_fd_test, a_pipe_carries_data_and_end_of_stream) {
  gort::run([] {
    auto p = adopted_pipe();
    const std::string payload = seeded_payload(5, 300000);  // > pipe buffer
    auto sent = go_result([w = p.client, &payload] {
      const auto r = w.write(payload);
      w.close();
      return r;
    });
    std::string got(payload.size(), '\0');
    const auto r = net::read_full(p.server, as_buf(got));
    EXPECT_FALSE(r.err) << r.err.message();
    EXPECT_EQ(checksum(got), checksum(payload));
    std::string one(1, '\0');
    EXPECT_EQ(p.server.read(as_buf(one)).err, errc::eof);
    const auto w = recv_within(sent);
    ASSERT_TRUE(w.has_value());
    EXPECT_EQ(w->n, payload.size());
    p.server.close();
  });
}

TEST_P(net_fd_test, close_wakes_a_read_blocked_on_a_pipe) {
  gort::run([] {
    auto p = adopted_pipe();
    const int fd = p.server.fd();
    auto done = go_parked([r = p.server] { return read_some(r).r.err; });
    EXPECT_FALSE(p.server.close());
    const auto err = recv_within(done);
    ASSERT_TRUE(err.has_value()) << "close did not wake the pipe read";
    EXPECT_EQ(*err, errc::closed) << err->message();
    // close closed the adopted fd (nothing else here opens one meanwhile).
    EXPECT_FALSE(fd_open(fd));
    p.client.close();
  });
}

TEST_P(net_fd_test, an_eventfd_counts) {
  gort::run([] {
    const int efd = ::eventfd(0, EFD_CLOEXEC);
    ASSERT_GE(efd, 0);
    auto e = must(net::from_fd(efd), "from_fd(eventfd)");
    auto done = go_parked([e] {
      std::uint64_t v = 0;
      const auto r =
          e.read(std::span<std::byte>(reinterpret_cast<std::byte*>(&v), 8));
      return std::make_pair(r.err, v);
    });
    const std::uint64_t three = 3;
    const auto w = e.write(std::span<const std::byte>(
        reinterpret_cast<const std::byte*>(&three), 8));
    EXPECT_FALSE(w.err) << w.err.message();
    const auto r = recv_within(done);
    ASSERT_TRUE(r.has_value()) << "the eventfd write did not wake the read";
    EXPECT_FALSE(r->first) << r->first.message();
    EXPECT_EQ(r->second, 3u);
    EXPECT_FALSE(e.close());
  });
}

TEST_P(net_fd_test, regular_files_and_directories_are_not_pollable) {
  gort::run([] {
    temp_file f;
    ASSERT_GE(f.fd, 0);
    const auto r = net::from_fd(f.fd);
    EXPECT_EQ(r.err, errc::not_pollable) << r.err.message();
    EXPECT_FALSE(r.value);
    EXPECT_TRUE(fd_open(f.fd)) << "from_fd closed a file it did not adopt";
    EXPECT_EQ(::write(f.fd, "ok", 2), 2);  // still the caller's

    const int dir = ::open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ASSERT_GE(dir, 0);
    EXPECT_EQ(net::from_fd(dir).err, errc::not_pollable);
    EXPECT_TRUE(fd_open(dir));
    ::close(dir);
  });
}

TEST_P(net_fd_test, bad_descriptors_are_ebadf) {
  gort::run([] {
    EXPECT_EQ(net::from_fd(-1).err, std::errc::bad_file_descriptor);
    int fds[2];
    ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
    ::close(fds[0]);
    ::close(fds[1]);
    EXPECT_EQ(net::from_fd(fds[0]).err, std::errc::bad_file_descriptor);
  });
}

// socket_pair is a socketpair the test reads and writes itself.
struct socket_pair {
  socket_pair() {
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
      throw test_failure("socketpair");
  }
  socket_pair(const socket_pair&) = delete;
  socket_pair& operator=(const socket_pair&) = delete;
  ~socket_pair() {
    ::close(fds[0]);
    ::close(fds[1]);
  }
  int fds[2] = {-1, -1};
};

TEST_P(net_fd_test, poll_fd_wait_read_returns_once_the_peer_writes) {
  gort::run([] {
    socket_pair sp;
    {
      net::poll_fd w(sp.fds[0]);
      EXPECT_EQ(w.fd(), sp.fds[0]);
      EXPECT_FALSE(w.wait_write());  // an empty socket is writable
      auto done = go_parked([&w] {
        std::error_code err;
        char c = 0;
        // The caller's own loop: wait, try, wait again on EAGAIN.
        for (;;) {
          err = w.wait_read();
          if (err) return std::make_pair(err, c);
          if (::read(w.fd(), &c, 1) == 1) return std::make_pair(err, c);
        }
      });
      ASSERT_EQ(::write(sp.fds[1], "z", 1), 1);
      const auto r = recv_within(done);
      ASSERT_TRUE(r.has_value()) << "the write did not wake wait_read";
      EXPECT_FALSE(r->first) << r->first.message();
      EXPECT_EQ(r->second, 'z');
      const auto deadline = std::chrono::steady_clock::now() + 30ms;
      EXPECT_EQ(w.wait_read(deadline), errc::timeout);
      EXPECT_GE(std::chrono::steady_clock::now(), deadline);
      EXPECT_EQ(w.wait_read(past()), errc::timeout);
    }
    EXPECT_TRUE(fd_open(sp.fds[0])) << "poll_fd closed the caller's fd";
    EXPECT_NE(::fcntl(sp.fds[0], F_GETFL) & O_NONBLOCK, 0);
  });
}

TEST_P(net_fd_test, poll_fd_on_a_regular_file_is_not_pollable) {
  gort::run([] {
    temp_file f;
    ASSERT_GE(f.fd, 0);
    {
      net::poll_fd w(f.fd);
      EXPECT_EQ(w.wait_read(), errc::not_pollable);
      EXPECT_EQ(w.wait_write(), errc::not_pollable);
    }
    EXPECT_TRUE(fd_open(f.fd));
  });
}

}  // namespace
