// fd churn (netpoll.md §6.3): an fd number closed and reused at once never
// gets the old descriptor's events or bytes.
//
// reused_fd_gets_no_old_events: a goroutine is parked in read on conn A;
// A is closed and a new pair B is made at once, so B's sockets usually
// take A's fd numbers; B's data must reach B's reader and not A's, which
// must see errc::closed.
//
// churn_while_others_are_readable: thousands of short connections, opened
// and closed by several goroutines at once (some closed with the echo
// unread, which resets them), while long-lived connections stream tagged
// bytes. Every short connection sends its own id and checks that the echo
// is its id; every long-lived reader checks that each byte is its tag.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "gort/net.hpp"
#include "gort/sched.hpp"
#include "gort/wait_group.hpp"
#include "net/net_helpers.hpp"
#include "support/procs_fixture.hpp"
#include "support/sanitizer.hpp"

namespace {

using namespace gort_test;
using gort::errc;

class net_churn_test : public procs_fixture {};
GORT_INSTANTIATE_PROCS(net_churn_test);

TEST_P(net_churn_test, reused_fd_gets_no_old_events) {
  const int rounds = static_cast<int>(scaled(1000, 200));
  gort::run([rounds] {
    int reused = 0;
    for (int i = 0; i < rounds; ++i) {
      auto a = connected_pair();
      const int old_fd = a.server.fd();
      auto reading = go_parked([s = a.server] {
        std::string buf(32, '\0');
        const auto r = s.read(as_buf(buf));
        return std::make_pair(r.err, buf.substr(0, r.n));
      });
      a.server.close();
      a.client.close();
      auto b = connected_pair();
      if (b.server.fd() == old_fd || b.client.fd() == old_fd) ++reused;
      ASSERT_FALSE(b.client.write("for b only").err);
      const auto old = recv_within(reading);
      ASSERT_TRUE(old.has_value()) << "round " << i;
      EXPECT_EQ(old->first, errc::closed) << "round " << i;
      EXPECT_EQ(old->second, "") << "round " << i;
      std::string got(10, '\0');
      EXPECT_FALSE(net::read_full(b.server, as_buf(got)).err);
      EXPECT_EQ(got, "for b only");
      close_both(b);
    }
    std::printf("[   info   ] %d of %d rounds reused the closed fd number\n",
                reused, rounds);
    EXPECT_GT(reused, 0) << "the test never reused an fd: it tested nothing";
  });
}

// id_message is the 32 bytes a short connection sends: its id four times.
std::string id_message(std::uint64_t id) {
  std::string m;
  for (int k = 0; k < 4; ++k) {
    char part[9];
    std::snprintf(part, sizeof part, "%08llx",
                  static_cast<unsigned long long>(id & 0xffffffffULL));
    m += part;
  }
  return m;
}

// tagged_stream is a long-lived connection whose writer sends only `tag`
// bytes; its reader counts them, and any other byte as wrong.
struct tagged_stream {
  conn_pair pair;
  char tag;
  std::atomic<std::size_t> received{0};
  std::atomic<std::size_t> wrong{0};
};

TEST_P(net_churn_test, churn_while_others_are_readable) {
  const int workers = 8;
  const int per_worker = static_cast<int>(scaled(500, 100, 50));
  gort::run([=] {
    echo_server srv;
    std::atomic<bool> stop{false};
    std::vector<std::unique_ptr<tagged_stream>> streams;
    gort::wait_group wg;
    for (int k = 0; k < 6; ++k) {
      auto s = std::make_unique<tagged_stream>();
      s->pair = connected_pair();
      s->tag = static_cast<char>('A' + k);
      streams.push_back(std::move(s));
    }
    for (auto& sp : streams) {
      tagged_stream* s = sp.get();
      wg.add(2);
      gort::go([s, &stop, &wg] {
        const std::string chunk(512, s->tag);
        while (!stop.load() && !s->pair.client.write(chunk).err) gort::yield();
        s->pair.client.close_write();
        wg.done();
      });
      gort::go([s, &wg] {
        std::string buf(700, '\0');
        for (;;) {
          const auto r = s->pair.server.read(as_buf(buf));
          for (std::size_t i = 0; i < r.n; ++i)
            if (buf[i] != s->tag) s->wrong.fetch_add(1);
          s->received.fetch_add(r.n);
          if (r.err) break;
        }
        wg.done();
      });
    }
    std::atomic<int> mismatches{0};
    std::atomic<int> failures{0};
    gort::wait_group churn;
    churn.add(workers);
    for (int w = 0; w < workers; ++w) {
      gort::go([&, w] {
        for (int i = 0; i < per_worker; ++i) {
          const std::uint64_t id = static_cast<std::uint64_t>(w) * 1000003u +
                                   static_cast<unsigned>(i);
          auto [c, err] = net::dial("tcp", srv.addr());
          if (err) {
            failures.fetch_add(1);
            continue;
          }
          const std::string msg = id_message(id);
          if (c.write(msg).err) failures.fetch_add(1);
          if (i % 3 != 2) {  // else: close with the echo unread (a reset)
            std::string got(msg.size(), '\0');
            const auto r = net::read_full(c, as_buf(got));
            if (r.err || got != msg) mismatches.fetch_add(1);
          }
          c.close();
        }
        churn.done();
      });
    }
    churn.wait();
    stop.store(true);
    wg.wait();
    srv.stop();
    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(mismatches.load(), 0) << "an echo reached the wrong connection";
    for (const auto& s : streams) {
      EXPECT_EQ(s->wrong.load(), 0u) << "stream " << s->tag;
      EXPECT_GT(s->received.load(), 0u) << "stream " << s->tag;
      close_both(s->pair);
    }
  });
}

}  // namespace
