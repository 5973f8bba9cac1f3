// The context forms (net.hpp; API.md, "Network I/O"): read(ctx),
// write(ctx), accept(ctx) and dial(ctx) end with ctx.err() when the
// context ends first (errc::canceled after cancel() from another
// goroutine, errc::deadline_exceeded for with_timeout), bytes already
// moved are counted and never lost, and the connection or listener stays
// usable afterwards: later calls without a context are not poisoned by the
// one that gave up. dial with a cancelled context fails at once;
// dial_timeout connects, and a zero or negative timeout is errc::timeout.
#include <chrono>
#include <cstddef>
#include <string>

#include <gtest/gtest.h>

#include "gort/context.hpp"
#include "gort/net.hpp"
#include "gort/sched.hpp"
#include "net/net_helpers.hpp"
#include "support/procs_fixture.hpp"

namespace {

using namespace gort_test;
using gort::errc;

const gort::context bg = gort::context::background();

class net_ctx_test : public procs_fixture {};
GORT_INSTANTIATE_PROCS(net_ctx_test);

// expect_usable checks that both directions of p still work.
void expect_usable(const conn_pair& p) {
  EXPECT_TRUE(echoes(p.client, p.server, "still here"));
  EXPECT_TRUE(echoes(p.server, p.client, "and back"));
}

TEST_P(net_ctx_test, read_ends_with_canceled_and_the_conn_stays_usable) {
  gort::run([] {
    auto p = connected_pair();
    auto [ctx, cancel] = gort::with_cancel(bg);
    auto done = go_parked([s = p.server, ctx = ctx] {
      std::string buf(8, '\0');
      return s.read(ctx, as_buf(buf));
    });
    gort::go([cancel = cancel] { cancel(); });  // from another goroutine
    const auto r = recv_within(done);
    ASSERT_TRUE(r.has_value()) << "cancel did not wake read(ctx)";
    EXPECT_EQ(r->n, 0u);
    EXPECT_EQ(r->err, errc::canceled) << r->err.message();
    expect_usable(p);
    close_both(p);
  });
}

TEST_P(net_ctx_test, read_ends_with_deadline_exceeded_for_a_timeout) {
  gort::run([] {
    auto p = connected_pair();
    auto [ctx, cancel] = gort::with_timeout(bg, 50ms);
    std::string buf(8, '\0');
    const auto r = p.server.read(ctx, as_buf(buf));
    EXPECT_EQ(r.err, errc::deadline_exceeded) << r.err.message();
    cancel();
    expect_usable(p);
    close_both(p);
  });
}

TEST_P(net_ctx_test, read_with_a_live_context_reads) {
  gort::run([] {
    auto p = connected_pair();
    auto [ctx, cancel] = gort::with_cancel(bg);
    ASSERT_FALSE(p.client.write("data").err);
    std::string buf(4, '\0');
    const auto r = p.server.read(ctx, as_buf(buf));
    EXPECT_FALSE(r.err) << r.err.message();
    EXPECT_EQ(buf.substr(0, r.n), std::string("data").substr(0, r.n));
    cancel();
    close_both(p);
  });
}

TEST_P(net_ctx_test, write_ends_with_canceled_and_loses_no_byte) {
  gort::run([] {
    auto p = connected_pair();
    shrink_buffers(p.client);
    shrink_buffers(p.server);
    const std::string payload = seeded_payload(11, 8 << 20);
    auto [ctx, cancel] = gort::with_cancel(bg);
    auto done = go_parked(
        [c = p.client, ctx = ctx, &payload] { return c.write(ctx, payload); });
    cancel();
    const auto w = recv_within(done);
    ASSERT_TRUE(w.has_value()) << "cancel did not wake write(ctx)";
    EXPECT_EQ(w->err, errc::canceled) << w->err.message();
    ASSERT_LT(w->n, payload.size());
    // The peer gets exactly the n bytes counted, then what comes after.
    auto tail = go_result([c = p.client] { return c.write("tail"); });
    std::string got(w->n + 4, '\0');
    const auto r = net::read_full(p.server, as_buf(got));
    EXPECT_FALSE(r.err) << r.err.message();
    EXPECT_EQ(checksum(std::string_view(got).substr(0, w->n)),
              checksum(std::string_view(payload).substr(0, w->n)));
    EXPECT_EQ(got.substr(w->n), "tail");
    const auto t = recv_within(tail);
    ASSERT_TRUE(t.has_value());
    EXPECT_FALSE(t->err) << t->err.message();
    close_both(p);
  });
}

TEST_P(net_ctx_test, accept_ends_with_canceled_and_the_listener_works) {
  gort::run([] {
    auto ln = must(net::listen("tcp", "127.0.0.1:0"), "listen");
    auto [ctx, cancel] = gort::with_cancel(bg);
    auto done = go_parked([ln, ctx = ctx] { return ln.accept(ctx).err; });
    cancel();
    const auto err = recv_within(done);
    ASSERT_TRUE(err.has_value()) << "cancel did not wake accept(ctx)";
    EXPECT_EQ(*err, errc::canceled) << err->message();

    auto [late, late_cancel] = gort::with_timeout(bg, 20ms);
    EXPECT_EQ(ln.accept(late).err, errc::deadline_exceeded);
    late_cancel();

    expect_accepts(ln);  // after the contexts ended
    ln.close();
  });
}

TEST_P(net_ctx_test, dial_with_a_cancelled_context_fails_at_once) {
  gort::run([] {
    auto ln = must(net::listen("tcp", "127.0.0.1:0"), "listen");
    auto [ctx, cancel] = gort::with_cancel(bg);
    cancel();
    const auto r = net::dial(ctx, "tcp", ln.addr());
    EXPECT_EQ(r.err, errc::canceled) << r.err.message();
    EXPECT_FALSE(r.value);
    auto [live, live_cancel] = gort::with_cancel(bg);
    auto c = must(net::dial(live, "tcp", ln.addr()), "dial(live ctx)");
    live_cancel();  // ends the dial's context, not the connection
    expect_accepts(ln, c);
    ln.close();
  });
}

TEST_P(net_ctx_test, dial_timeout_connects_or_times_out) {
  gort::run([] {
    auto ln = must(net::listen("tcp", "127.0.0.1:0"), "listen");
    expect_accepts(
        ln, must(net::dial_timeout("tcp", ln.addr(), 10s), "dial_timeout"));
    for (const std::chrono::nanoseconds d : {0ns, -1000000000ns}) {
      const auto r = net::dial_timeout("tcp", ln.addr(), d);
      EXPECT_EQ(r.err, errc::timeout) << r.err.message();
      EXPECT_FALSE(r.value);
    }
    ln.close();
  });
}

}  // namespace
