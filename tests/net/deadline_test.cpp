// Deadlines (net.hpp, top; netpoll.md §1.7 and §6.3): absolute and sticky.
// A read deadline in the past fails a read with errc::timeout even with
// data buffered (so before the system call), and moving it into the future
// re-enables reads with the data still there; a deadline that passes
// while a read waits wakes it; a deadline shortened while a read waits
// fires at the new time; a deadline moved later after it expired
// re-enables reads; time_point{} clears it; a write deadline with a peer
// that never reads returns errc::timeout with n = the bytes written so
// far, and the peer then reads exactly those bytes; set_deadline covers
// both directions; a listener's deadline ends accept.
//
// Time bounds here are loose: a deadline must not fire early (the clock
// says so), and must fire well before the watchdog or the old deadline.
#include <sys/ioctl.h>

#include <chrono>
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
using steady = std::chrono::steady_clock;

class net_deadline_test : public procs_fixture {};
GORT_INSTANTIATE_PROCS(net_deadline_test);

// buffered waits until the kernel holds at least n unread bytes on c.
bool buffered(const net::conn& c, int n) {
  return eventually([&] {
    int avail = 0;
    return ::ioctl(c.fd(), FIONREAD, &avail) == 0 && avail >= n;
  });
}

TEST_P(net_deadline_test, past_deadline_fails_a_read_with_data_buffered) {
  gort::run([] {
    auto p = connected_pair();
    ASSERT_FALSE(p.client.write("data").err);
    ASSERT_TRUE(buffered(p.server, 4));
    ASSERT_FALSE(p.server.set_read_deadline(past()));
    std::string buf(4, '\0');
    for (int i = 0; i < 3; ++i) {  // sticky: every read fails
      const auto r = p.server.read(as_buf(buf));
      EXPECT_EQ(r.n, 0u);
      EXPECT_EQ(r.err, errc::timeout) << r.err.message();
    }
    // Writes have their own deadline.
    EXPECT_TRUE(echoes(p.server, p.client, "writes still work"));
    ASSERT_FALSE(p.server.set_read_deadline(later()));
    const auto r = net::read_full(p.server, as_buf(buf));
    EXPECT_FALSE(r.err) << r.err.message();
    EXPECT_EQ(buf, "data");  // nothing was consumed by the failed reads
    close_both(p);
  });
}

TEST_P(net_deadline_test, zero_time_point_clears_an_expired_deadline) {
  gort::run([] {
    auto p = connected_pair();
    ASSERT_FALSE(p.client.write("data").err);
    ASSERT_TRUE(buffered(p.server, 4));
    ASSERT_FALSE(p.server.set_deadline(past()));
    std::string buf(4, '\0');
    EXPECT_EQ(p.server.read(as_buf(buf)).err, errc::timeout);
    EXPECT_EQ(p.server.write("x").err, errc::timeout);  // both directions
    ASSERT_FALSE(p.server.set_deadline(net::time_point{}));
    EXPECT_FALSE(net::read_full(p.server, as_buf(buf)).err);
    EXPECT_EQ(buf, "data");
    EXPECT_TRUE(echoes(p.server, p.client, "x"));
    close_both(p);
  });
}

TEST_P(net_deadline_test, deadline_passing_wakes_a_blocked_read) {
  gort::run([] {
    auto p = connected_pair();
    auto done = go_parked([s = p.server] { return read_some(s).r; });
    ASSERT_FALSE(p.server.set_read_deadline(past()));
    const auto r = recv_within(done);
    ASSERT_TRUE(r.has_value()) << "an expired deadline did not wake the read";
    EXPECT_EQ(r->err, errc::timeout) << r->err.message();
    close_both(p);
  });
}

TEST_P(net_deadline_test, shortened_deadline_fires_at_the_new_time) {
  gort::run([] {
    auto p = connected_pair();
    ASSERT_FALSE(p.server.set_read_deadline(steady::now() + 1h));
    auto done = go_parked([s = p.server] {
      std::string buf(4, '\0');
      const auto r = s.read(as_buf(buf));
      return std::make_pair(r, steady::now());
    });
    const auto shortened = steady::now() + 100ms;
    ASSERT_FALSE(p.server.set_read_deadline(shortened));
    const auto r = recv_within(done);
    ASSERT_TRUE(r.has_value()) << "the shortened deadline never fired";
    EXPECT_EQ(r->first.err, errc::timeout) << r->first.err.message();
    EXPECT_GE(r->second, shortened) << "fired early";
    EXPECT_LT(r->second, shortened + 30s) << "fired far too late";
    close_both(p);
  });
}

TEST_P(net_deadline_test, deadline_moved_later_after_expiry_reenables_reads) {
  gort::run([] {
    auto p = connected_pair();
    const auto first = steady::now() + 20ms;
    ASSERT_FALSE(p.server.set_read_deadline(first));
    std::string buf(5, '\0');
    const auto r = p.server.read(as_buf(buf));  // waits for the deadline
    EXPECT_EQ(r.err, errc::timeout) << r.err.message();
    EXPECT_GE(steady::now(), first);
    ASSERT_FALSE(p.server.set_read_deadline(later()));
    const std::size_t base = io_parked();
    auto done = go_result(
        [s = p.server, &buf] { return net::read_full(s, as_buf(buf)); });
    ASSERT_TRUE(parked_in_io(base + 1));  // it waits again, for data
    ASSERT_FALSE(p.client.write("again").err);
    const auto again = recv_within(done);
    ASSERT_TRUE(again.has_value());
    EXPECT_FALSE(again->err) << again->err.message();
    EXPECT_EQ(buf, "again");
    close_both(p);
  });
}

TEST_P(net_deadline_test, write_deadline_returns_the_bytes_written_so_far) {
  gort::run([] {
    auto p = connected_pair();
    shrink_buffers(p.client);
    shrink_buffers(p.server);
    const std::string payload = seeded_payload(7, 8 << 20);
    const auto deadline = steady::now() + 200ms;
    ASSERT_FALSE(p.client.set_write_deadline(deadline));
    const auto w = p.client.write(payload);  // nobody reads meanwhile
    EXPECT_EQ(w.err, errc::timeout) << w.err.message();
    EXPECT_GE(steady::now(), deadline);
    EXPECT_GT(w.n, 0u);
    ASSERT_LT(w.n, payload.size());
    // Sticky: the next write fails before it moves anything.
    const auto more = p.client.write("more");
    EXPECT_EQ(more.n, 0u);
    EXPECT_EQ(more.err, errc::timeout);
    // Exactly the n bytes counted reach the peer, then end of stream.
    p.client.close();
    std::string got;
    std::string buf(64 * 1024, '\0');
    for (;;) {
      const auto r = p.server.read(as_buf(buf));
      got.append(buf.data(), r.n);
      if (r.err) {
        EXPECT_EQ(r.err, errc::eof) << r.err.message();
        break;
      }
    }
    EXPECT_EQ(got.size(), w.n);
    EXPECT_EQ(checksum(got),
              checksum(std::string_view(payload).substr(0, w.n)));
    p.server.close();
  });
}

TEST_P(net_deadline_test, listener_deadline_ends_accept) {
  gort::run([] {
    auto ln = must(net::listen("tcp", "127.0.0.1:0"), "listen");
    const auto deadline = steady::now() + 50ms;
    ASSERT_FALSE(ln.set_deadline(deadline));
    const auto r = ln.accept();
    EXPECT_EQ(r.err, errc::timeout) << r.err.message();
    EXPECT_GE(steady::now(), deadline);
    // Moved, accept works again.
    ASSERT_FALSE(ln.set_deadline(net::time_point{}));
    expect_accepts(ln);
    ln.close();
  });
}

}  // namespace
