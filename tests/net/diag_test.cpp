// Diagnostics of goroutines waiting on I/O (API.md, "Network I/O"): dump()
// shows a goroutine parked in read as "IO wait"; stats() counts it under
// wait_reason::io_wait, and stops counting it once it is woken; and the
// deadlock report never fires while a goroutine (or a plain thread) waits
// on I/O that can still come.
//
// The deadlock cases run in a child process (threadsafe death tests
// re-execute the binary), as tests/sched/deadlock_test.cpp does, with an
// alarm as the watchdog. The bytes come from a forked grandchild that
// sleeps 300 ms and writes: no thread of the child's own can wake the
// reader, so only the poller keeps the deadlock report quiet. The child
// exits 0 only if the read got the byte; a report would exit 2.
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "gort/chan.hpp"
#include "gort/net.hpp"
#include "gort/sched.hpp"
#include "gort/trace.hpp"
#include "net/net_helpers.hpp"
#include "support/procs_fixture.hpp"

namespace {

using namespace gort_test;
using gort::errc;

class net_diag_test : public procs_fixture {};
GORT_INSTANTIATE_PROCS(net_diag_test);

TEST_P(net_diag_test, a_goroutine_in_read_is_io_wait_in_dump_and_stats) {
  gort::run([] {
    auto p = connected_pair();
    const std::size_t base = io_parked();
    auto done = go_parked([s = p.server] {
      std::string buf(4, '\0');
      return net::read_full(s, as_buf(buf));
    });
    EXPECT_EQ(io_parked(), base + 1);
    std::ostringstream out;
    gort::dump(out);
    // Go's "[IO wait, <time>" and then which fd.
    const std::string fd_note = ", fd " + std::to_string(p.server.fd()) + "]";
    EXPECT_NE(out.str().find("[IO wait, "), std::string::npos) << out.str();
    EXPECT_NE(out.str().find(fd_note), std::string::npos) << out.str();
    ASSERT_FALSE(p.client.write("wake").err);
    const auto r = recv_within(done);
    ASSERT_TRUE(r.has_value());
    EXPECT_FALSE(r->err) << r->err.message();
    EXPECT_TRUE(eventually([base] { return io_parked() == base; }));
    close_both(p);
  });
}

constexpr unsigned child_alarm = 60;  // seconds; a hang kills the child

// writer_after_300ms forks a process that writes one byte on fd after
// 300 ms and exits; returns its pid. Only async-signal-safe calls there.
pid_t writer_after_300ms(int fd) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const timespec pause{0, 300'000'000};
    ::nanosleep(&pause, nullptr);
    const bool ok = ::write(fd, "x", 1) == 1;
    ::_exit(ok ? 0 : 1);
  }
  return pid;
}

// io_wait_child: the only goroutine reads a socket the grandchild writes.
[[noreturn]] void io_wait_child(bool on_thread) {
  ::alarm(child_alarm);
  ::setenv("GORT_MAXPROCS", "4", 1);
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
    std::_Exit(3);
  const pid_t writer = writer_after_300ms(sv[1]);
  ::close(sv[1]);
  bool got = false;
  auto [c, err] = net::from_fd(sv[0]);
  if (err) std::_Exit(4);
  auto read_one = [c = c, &got] {
    char b = 0;
    const auto r = c.read(std::span<char>(&b, 1));
    got = !r.err && r.n == 1 && b == 'x';
  };
  if (on_thread) {
    // A plain thread waits on the poller; main waits for it on a channel,
    // so every goroutine is parked and the one thread gort knows waits on
    // I/O.
    auto finished = gort::make_chan<int>();
    std::thread t([&] {
      read_one();
      finished.close();
    });
    gort::run([&] { (void)finished.recv(); });
    t.join();
  } else {
    gort::run(read_one);
  }
  c.close();
  int status = 0;
  ::waitpid(writer, &status, 0);
  std::_Exit(got ? 0 : 5);
}

TEST(net_deadlock_test, no_report_while_a_goroutine_waits_in_read) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(io_wait_child(false), ::testing::ExitedWithCode(0), "");
}

TEST(net_deadlock_test, no_report_while_a_plain_thread_waits_in_read) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(io_wait_child(true), ::testing::ExitedWithCode(0), "");
}

// The report still fires for a real deadlock beside a socket: the only
// goroutine waits on a channel nobody sends to, while a connection is
// open and idle (nobody waits on it). Without this, the two tests above
// would pass for a runtime whose deadlock report never fires once the
// poller has started.
TEST(net_deadlock_test, report_fires_with_an_idle_connection_open) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        ::alarm(child_alarm);
        ::setenv("GORT_MAXPROCS", "4", 1);
        gort::run([] {
          auto p = connected_pair();
          gort::chan<int> nil;
          (void)nil.recv();
          close_both(p);
        });
        std::_Exit(0);
      },
      ::testing::ExitedWithCode(2), "all goroutines are asleep - deadlock!");
}

}  // namespace
