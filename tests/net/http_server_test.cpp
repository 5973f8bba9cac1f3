// gort::http::server and serve_mux (gort/http.hpp), tested from the
// outside: the clients here write raw HTTP/1.1 on a net::conn and parse the
// raw replies (http_helpers.hpp), so nothing of the implementation's own
// client is involved.
//
// http_server_test (1, 2 and 4 processors):
//   get_head_and_post_reach_the_handler: method, path, query and body
//     arrive; a 100 KB POST body arrives whole; replies carry
//     Content-Length.
//   the_request_carries_its_fields: target, path, query, version (11, and
//     10 for HTTP/1.0), Host, fields looked up without regard to case (the
//     first of two), remote_addr is the client's address.
//   the_response_has_what_the_handler_set: the first write_header wins; a
//     field set after write_header still goes out; add() gives two fields;
//     writes append; Content-Length counts them.
//   head_gets_the_fields_of_get_and_no_body: Content-Length as the handler
//     wrote, and no body bytes: the next request on the connection parses.
//   keep_alive_serves_two_requests_on_one_connection: both answered on one
//     conn, the handler sees one remote address, connections() == 1.
//   pipelined_requests_are_answered_in_order: three requests in one write.
//   connection_close_and_http10_end_the_connection: after the reply the
//     server closes.
//   serve_mux_routes_exact_subtree_and_longest: exact patterns match only
//     themselves, subtree patterns everything under them, the longest
//     wins, nothing else: 404 "404 page not found".
//   serve_mux_redirects_a_subtree_root_without_its_slash: /dir -> 301
//     Location /dir/ (and /b/c -> /b/c/ while /b/ would match).
//   serve_mux_rejects_bad_registrations: a second registration of a
//     pattern and an empty handler throw usage_error.
//   a_handler_exception_gives_500_and_the_server_goes_on: 500 and the
//     connection closed, also after a partial write; new connections get
//     200.
//   hijack_hands_over_the_connection: the handler gets the conn and the
//     bytes read past the request; the server sends nothing, stops
//     counting it in connections(); a second hijack throws usage_error.
// http_server_bad_input_test (1, 2 and 4 processors): each abuse ends its
// own connection only; a keep-alive "keeper" connection open across it and
// a new connection are still served:
//   a_malformed_request_gets_400: three kinds of garbage.
//   an_oversized_header_gets_431: max_header_bytes 4096, an 8 KB field.
//   an_oversized_body_gets_413: max_body_bytes 1024, Content-Length 100000
//     (the header alone says it is too large; no body is sent).
//   a_peer_stalling_in_its_header_is_closed: read_header_timeout 200 ms,
//     half a header: closed, not before 150 ms (a lower bound only).
//   a_peer_resetting_mid_request_ends_only_its_connection: RST (SO_LINGER
//     0) in the header, in the body, and while the handler runs (its reply
//     then fails); connections() drops back to the keeper.
// http_server_shutdown_test (1, 2 and 4 processors):
//   shutdown_waits_for_an_active_handler_and_closes_idle_connections: the
//     idle keep-alive conn is closed and new dials are refused while
//     shutdown waits; the handler's reply arrives whole; then shutdown
//     returns {} and serve() error::server_closed.
//   shutdown_returns_the_context_error_if_a_handler_outlasts_it:
//     deadline_exceeded; close() then cancels the handler's r.ctx and ends
//     it.
//   close_ends_everything_and_cancels_request_contexts: idle and active
//     connections end, the handler sees its ctx cancelled, close returns
//     after the handler has.
//   serve_after_shutdown_or_close_is_server_closed
//   serve_on_a_closed_listener_returns_the_accept_error: errc::closed.
//   http_serve_runs_until_its_context_ends: http::serve(ctx, ...) serves,
//     and on cancel waits for the active request, then returns {}.
//   http_serve_grace_bounds_the_wait: a handler that would run forever is
//     cancelled after the grace period and serve returns.
// http_server_stress_test (4 processors, twice the cores CI has):
//   many_clients_many_requests: seeded: 200 connections x 5 keep-alive
//     POSTs of random sizes (50 x 3 under ASan, 20 x 3 under TSan), each
//     echoed exactly.
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <variant>

#include <gtest/gtest.h>

#include "gort/context.hpp"
#include "gort/errors.hpp"
#include "gort/http.hpp"
#include "gort/mutex.hpp"
#include "gort/sched.hpp"
#include "gort/select.hpp"
#include "gort/wait_group.hpp"
#include "net/http_helpers.hpp"
#include "support/procs_fixture.hpp"
#include "support/seed.hpp"
#include "support/usage_error.hpp"

namespace {

using namespace gort_test;
using gort::errc;
using empty = std::monostate;

const gort::context bg = gort::context::background();

class http_server_test : public procs_fixture {};
GORT_INSTANTIATE_PROCS(http_server_test);
class http_server_bad_input_test : public procs_fixture {};
GORT_INSTANTIATE_PROCS(http_server_bad_input_test);
class http_server_shutdown_test : public procs_fixture {};
GORT_INSTANTIATE_PROCS(http_server_shutdown_test);
class http_server_stress_test : public procs_fixture {};
INSTANTIATE_TEST_SUITE_P(procs, http_server_stress_test, ::testing::Values(4),
                         procs_name);

// echo answers "METHOD path query body" and X-Method.
void echo(http::response_writer& w, const http::request& r) {
  w.header().set("X-Method", r.method);
  w.write(r.method + " " + r.path + " " + r.query + " " + r.body);
}

// expect_ok checks that a request on c gets 200 and body.
void expect_ok(raw_client& c, std::string_view target, std::string_view body) {
  ASSERT_TRUE(c.send(raw_get(target)));
  const auto m = c.read_response();
  ASSERT_TRUE(m.complete) << m.err.message();
  EXPECT_EQ(m.status, 200);
  EXPECT_EQ(m.body, body);
}

// serves_new_connections checks that a fresh connection is served.
void expect_serves(const serving& s) {
  raw_client c(s.addr());
  ASSERT_TRUE(c.send(raw_get("/ok")));
  const auto m = c.read_response();
  EXPECT_TRUE(m.complete) << "a new connection was not served: "
                          << m.err.message();
  EXPECT_EQ(m.status, 200);
}

TEST_P(http_server_test, get_head_and_post_reach_the_handler) {
  gort::run([] {
    serving s(echo);
    raw_client c(s.addr());
    ASSERT_TRUE(c.send(raw_get("/a?x=1")));
    auto m = c.read_response();
    ASSERT_TRUE(m.complete) << m.err.message();
    EXPECT_EQ(m.status, 200);
    EXPECT_EQ(m.reason(), "OK");
    EXPECT_EQ(m.body, "GET /a x=1 ");
    EXPECT_EQ(m.get("X-Method"), "GET");
    EXPECT_EQ(m.get("Content-Length"), std::to_string(m.body.size()));

    ASSERT_TRUE(c.send(raw_request("POST", "/p", "", "hello")));
    m = c.read_response();
    ASSERT_TRUE(m.complete) << m.err.message();
    EXPECT_EQ(m.body, "POST /p  hello");

    const std::string big = seeded_payload(1, 100'000);
    ASSERT_TRUE(c.send(raw_request("POST", "/big", "", big)));
    m = c.read_response();
    ASSERT_TRUE(m.complete) << m.err.message();
    EXPECT_TRUE(m.body == "POST /big  " + big) << "the 100 KB body differs";
  });
}

TEST_P(http_server_test, the_request_carries_its_fields) {
  gort::run([] {
    auto got = gort::make_chan<http::request>(4);
    serving s([got](http::response_writer& w, const http::request& r) {
      got.send(r);
      w.write("ok");
    });
    raw_client c(s.addr());
    ASSERT_TRUE(
        c.send("GET /p/q?a=1&b=2 HTTP/1.1\r\nHost: example.test:81\r\n"
               "X-Custom-Thing: v1\r\nx-custom-thing: v2\r\n\r\n"));
    ASSERT_EQ(c.read_response().status, 200);
    auto r = recv_within(got);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->method, "GET");
    EXPECT_EQ(r->target, "/p/q?a=1&b=2");
    EXPECT_EQ(r->path, "/p/q");
    EXPECT_EQ(r->query, "a=1&b=2");
    EXPECT_EQ(r->version, 11);
    EXPECT_EQ(r->host, "example.test:81");
    EXPECT_EQ(r->header.get("X-CUSTOM-THING"), "v1");
    EXPECT_TRUE(r->header.has("x-Custom-thing"));
    EXPECT_EQ(r->body, "");
    EXPECT_EQ(r->remote_addr, c.conn().local_addr());
    EXPECT_FALSE(r->ctx.err());

    raw_client c10(s.addr());
    ASSERT_TRUE(c10.send("GET /old HTTP/1.0\r\nHost: h\r\n\r\n"));
    EXPECT_EQ(c10.read_response().status, 200);
    r = recv_within(got);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->version, 10);
    EXPECT_EQ(r->path, "/old");
  });
}

TEST_P(http_server_test, the_response_has_what_the_handler_set) {
  gort::run([] {
    auto statuses = gort::make_chan<int>(1);
    serving s([statuses](http::response_writer& w, const http::request&) {
      w.header().set("X-A", "1");
      w.write_header(201);
      w.write_header(500);  // ignored: the first call wins
      w.header().set("X-After", "late");
      w.header().add("X-Multi", "a");
      w.header().add("X-Multi", "b");
      w.write("part1");
      w.write("part2");
      statuses.send(w.status());
    });
    raw_client c(s.addr());
    ASSERT_TRUE(c.send(raw_get("/")));
    const auto m = c.read_response();
    ASSERT_TRUE(m.complete) << m.err.message();
    EXPECT_EQ(m.status, 201);
    EXPECT_EQ(m.reason(), "Created");
    EXPECT_EQ(m.get("X-A"), "1");
    EXPECT_EQ(m.get("X-After"), "late")
        << "a field set after write_header must still be sent";
    EXPECT_EQ(m.count("X-Multi"), 2u);
    EXPECT_EQ(m.body, "part1part2");
    EXPECT_EQ(m.get("Content-Length"), "10");
    EXPECT_EQ(recv_within(statuses), std::optional<int>(201));
  });
}

TEST_P(http_server_test, head_gets_the_fields_of_get_and_no_body) {
  gort::run([] {
    serving s([](http::response_writer& w, const http::request& r) {
      w.header().set("X-Method", r.method);
      w.write("twelve bytes");
    });
    raw_client c(s.addr());
    ASSERT_TRUE(c.send(raw_request("HEAD", "/")));
    const auto h = c.read_response(/*head=*/true);
    ASSERT_TRUE(h.complete) << h.err.message();
    EXPECT_EQ(h.status, 200);
    EXPECT_EQ(h.get("X-Method"), "HEAD");
    EXPECT_EQ(h.get("Content-Length"), "12");
    // If the HEAD reply carried a body, its bytes would come first here.
    ASSERT_TRUE(c.send(raw_get("/")));
    const auto g = c.read_response();
    ASSERT_TRUE(g.complete) << g.err.message();
    EXPECT_EQ(g.first, "HTTP/1.1") << "body bytes followed the HEAD reply";
    EXPECT_EQ(g.status, 200);
    EXPECT_EQ(g.body, "twelve bytes");
  });
}

TEST_P(http_server_test, keep_alive_serves_two_requests_on_one_connection) {
  gort::run([] {
    auto addrs = gort::make_chan<std::string>(2);
    serving s([addrs](http::response_writer& w, const http::request& r) {
      addrs.send(r.remote_addr);
      w.write(r.path);
    });
    raw_client c(s.addr());
    expect_ok(c, "/1", "/1");
    EXPECT_TRUE(eventually([&] { return s.server().connections() == 1; }))
        << "connections() = " << s.server().connections();
    expect_ok(c, "/2", "/2");
    const auto a = recv_within(addrs), b = recv_within(addrs);
    ASSERT_TRUE(a && b);
    EXPECT_EQ(*a, *b) << "the two requests came on different connections";
    EXPECT_EQ(*a, c.conn().local_addr());
    EXPECT_EQ(s.server().connections(), 1u);
  });
}

TEST_P(http_server_test, pipelined_requests_are_answered_in_order) {
  gort::run([] {
    serving s([](http::response_writer& w, const http::request& r) {
      w.write(r.path);
    });
    raw_client c(s.addr());
    ASSERT_TRUE(c.send(raw_get("/1") + raw_request("POST", "/2", "", "b") +
                       raw_get("/3")));
    for (const char* want : {"/1", "/2", "/3"}) {
      const auto m = c.read_response();
      ASSERT_TRUE(m.complete) << want << ": " << m.err.message();
      EXPECT_EQ(m.body, want);
    }
  });
}

TEST_P(http_server_test, connection_close_and_http10_end_the_connection) {
  gort::run([] {
    serving s(
        [](http::response_writer& w, const http::request&) { w.write("bye"); });
    {
      raw_client c(s.addr());
      ASSERT_TRUE(c.send(raw_get("/", "Connection: close\r\n")));
      const auto m = c.read_response();
      ASSERT_TRUE(m.complete) << m.err.message();
      EXPECT_EQ(m.body, "bye");
      EXPECT_TRUE(c.closed_by_peer()) << "Connection: close was ignored";
    }
    {
      raw_client c(s.addr());
      ASSERT_TRUE(c.send("GET / HTTP/1.0\r\nHost: h\r\n\r\n"));
      const auto m = c.read_response();
      ASSERT_TRUE(m.complete) << m.err.message();
      EXPECT_EQ(m.body, "bye");
      EXPECT_TRUE(c.closed_by_peer()) << "an HTTP/1.0 connection stayed open";
    }
    EXPECT_TRUE(eventually([&] { return s.server().connections() == 0; }));
  });
}

// route answers with its own name.
http::handler route(std::string name) {
  return
      [name](http::response_writer& w, const http::request&) { w.write(name); };
}

TEST_P(http_server_test, serve_mux_routes_exact_subtree_and_longest) {
  gort::run([] {
    http::serve_mux mux;
    mux.handle("/a", route("a"));
    mux.handle("/b/", route("b/"));
    mux.handle("/b/c/", route("b/c/"));
    serving s(std::ref(mux));
    raw_client c(s.addr());
    const std::pair<const char*, const char*> hits[] = {
        {"/a", "a"},          {"/b/", "b/"},     {"/b/x", "b/"},
        {"/b/x/y?q=1", "b/"}, {"/b/c/", "b/c/"}, {"/b/c/d", "b/c/"},
        {"/b/c/d/e", "b/c/"}, {"/b/cx", "b/"},
    };
    for (const auto& [target, want] : hits) {
      ASSERT_TRUE(c.send(raw_get(target)));
      const auto m = c.read_response();
      ASSERT_TRUE(m.complete) << target << ": " << m.err.message();
      EXPECT_EQ(m.status, 200) << target;
      EXPECT_EQ(m.body, want) << target;
    }
    for (const char* target : {"/", "/a/", "/ax", "/nothing", "/c/"}) {
      ASSERT_TRUE(c.send(raw_get(target)));
      const auto m = c.read_response();
      ASSERT_TRUE(m.complete) << target << ": " << m.err.message();
      EXPECT_EQ(m.status, 404) << target;
      EXPECT_EQ(m.reason(), "Not Found") << target;
      EXPECT_EQ(m.body.rfind("404 page not found", 0), 0u)
          << target << ": " << m.body;
    }
  });
}

TEST_P(http_server_test, serve_mux_redirects_a_subtree_root_without_its_slash) {
  gort::run([] {
    http::serve_mux mux;
    mux.handle("/dir/", route("dir/"));
    mux.handle("/b/", route("b/"));
    mux.handle("/b/c/", route("b/c/"));
    serving s(std::ref(mux));
    raw_client c(s.addr());
    for (const char* target : {"/dir", "/b/c", "/b"}) {
      ASSERT_TRUE(c.send(raw_get(target)));
      const auto m = c.read_response();
      ASSERT_TRUE(m.complete) << target << ": " << m.err.message();
      EXPECT_EQ(m.status, 301) << target;
      const std::string want = std::string(target) + "/";
      const std::string loc = m.get("Location");
      EXPECT_TRUE(loc.size() >= want.size() &&
                  loc.compare(loc.size() - want.size(), want.size(), want) == 0)
          << target << ": Location \"" << loc << "\"";
    }
  });
}

TEST_P(http_server_test, serve_mux_rejects_bad_registrations) {
  http::serve_mux mux;
  mux.handle("/a", route("a"));
  EXPECT_TRUE(
      throws_usage_error([&] { mux.handle("/a", route("again")); }, ""));
  EXPECT_TRUE(
      throws_usage_error([&] { mux.handle("/x", http::handler()); }, ""));
}

TEST_P(http_server_test, a_handler_exception_gives_500_and_the_server_goes_on) {
  gort::run([] {
    http::serve_mux mux;
    mux.handle("/boom", [](http::response_writer&, const http::request&) {
      throw std::runtime_error("handler failed");
    });
    mux.handle("/partial", [](http::response_writer& w, const http::request&) {
      w.write("half a reply");
      throw std::runtime_error("handler failed later");
    });
    mux.handle("/ok", route("ok"));
    serving s(std::ref(mux));
    raw_client keeper(s.addr());
    expect_ok(keeper, "/ok", "ok");
    for (const char* target : {"/boom", "/partial"}) {
      raw_client c(s.addr());
      ASSERT_TRUE(c.send(raw_get(target)));
      const auto m = c.read_response();
      ASSERT_TRUE(m.complete) << target << ": " << m.err.message();
      EXPECT_EQ(m.status, 500) << target;
      EXPECT_EQ(m.reason(), "Internal Server Error");
      EXPECT_TRUE(c.closed_by_peer())
          << target << ": the connection stayed open";
    }
    expect_ok(keeper, "/ok", "ok");
    expect_serves(s);
  });
}

TEST_P(http_server_test, hijack_hands_over_the_connection) {
  gort::run([] {
    auto taken = gort::make_chan<http::hijacked_conn>(1);
    std::atomic<bool> second_throws{false};
    serving s([&](http::response_writer& w, const http::request&) {
      auto h = w.hijack();
      second_throws = throws_usage_error([&] { w.hijack(); }, "");
      EXPECT_TRUE(w.hijacked());
      w.write_header(500);  // ignored: nothing is sent for a hijacked conn
      taken.send(std::move(h));
    });
    raw_client c(s.addr());
    ASSERT_TRUE(c.send(raw_get("/hj") + "EXTRA"));
    auto h = recv_within(taken);
    ASSERT_TRUE(h.has_value());
    EXPECT_TRUE(second_throws.load()) << "a second hijack did not throw";
    // The bytes past the request: some may have been read with it.
    stream_reader hr(h->conn);
    std::string extra = h->buffered;
    while (extra.size() < 5 && hr.fill())
      extra += std::exchange(hr.buffered(), {});
    EXPECT_EQ(extra, "EXTRA");
    EXPECT_TRUE(eventually([&] { return s.server().connections() == 0; }))
        << "a hijacked connection is still counted";
    ASSERT_FALSE(h->conn.write(std::string_view("RAW REPLY")).err);
    h->conn.close();
    EXPECT_EQ(c.wait_end(), "RAW REPLY") << "the server wrote on a hijacked "
                                            "connection";
  });
}

// with_keeper runs body beside a served keep-alive connection, and checks
// that it is still served afterwards, and a new one too.
template <class F>
void with_keeper(serving& s, F body) {
  raw_client keeper(s.addr());
  expect_ok(keeper, "/ok", "ok");
  body();
  expect_ok(keeper, "/ok", "ok");
  expect_serves(s);
}

http::handler ok_handler() { return route("ok"); }

TEST_P(http_server_bad_input_test, a_malformed_request_gets_400) {
  gort::run([] {
    serving s(ok_handler());
    with_keeper(s, [&] {
      for (const char* junk :
           {"NOT HTTP AT ALL\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n"}) {
        raw_client c(s.addr());
        ASSERT_TRUE(c.send(junk));
        const auto m = c.read_response();
        ASSERT_TRUE(m.complete) << junk << ": " << m.err.message();
        EXPECT_EQ(m.status, 400) << junk;
        EXPECT_TRUE(c.closed_by_peer()) << junk;
      }
    });
  });
}

TEST_P(http_server_bad_input_test, an_oversized_header_gets_431) {
  gort::run([] {
    http::server_options o;
    o.max_header_bytes = 4096;
    serving s(ok_handler(), o);
    with_keeper(s, [&] {
      raw_client c(s.addr());
      ASSERT_TRUE(
          c.send(raw_get("/ok", "X-Big: " + std::string(8000, 'a') + "\r\n")));
      const auto m = c.read_response();
      ASSERT_TRUE(m.complete) << m.err.message();
      EXPECT_EQ(m.status, 431);
      EXPECT_TRUE(c.closed_by_peer());
    });
  });
}

TEST_P(http_server_bad_input_test, an_oversized_body_gets_413) {
  gort::run([] {
    http::server_options o;
    o.max_body_bytes = 1024;
    serving s(ok_handler(), o);
    with_keeper(s, [&] {
      raw_client c(s.addr());
      ASSERT_TRUE(
          c.send("POST /ok HTTP/1.1\r\nHost: x\r\n"
                 "Content-Length: 100000\r\n\r\n"));
      const auto m = c.read_response();
      ASSERT_TRUE(m.complete) << m.err.message();
      EXPECT_EQ(m.status, 413) << m.reason();
      EXPECT_TRUE(c.closed_by_peer());
      // Within the limit is fine.
      raw_client d(s.addr());
      ASSERT_TRUE(
          d.send(raw_request("POST", "/ok", "", std::string(1024, 'b'))));
      EXPECT_EQ(d.read_response().status, 200);
    });
  });
}

TEST_P(http_server_bad_input_test, a_peer_stalling_in_its_header_is_closed) {
  gort::run([] {
    http::server_options o;
    o.read_header_timeout = std::chrono::milliseconds(200);
    serving s(ok_handler(), o);
    raw_client c(s.addr());
    const auto t0 = std::chrono::steady_clock::now();
    ASSERT_TRUE(c.send("GET /ok HTTP/1.1\r\nHost: x\r\nX-Half"));
    EXPECT_TRUE(c.closed_by_peer())
        << "a stalled header was not closed: " << c.err().message();
    EXPECT_GE(std::chrono::steady_clock::now() - t0,
              std::chrono::milliseconds(150))
        << "closed before read_header_timeout";
    EXPECT_TRUE(eventually([&] { return s.server().connections() == 0; }));
    expect_serves(s);
  });
}

TEST_P(http_server_bad_input_test,
       a_peer_resetting_mid_request_ends_only_its_connection) {
  gort::run([] {
    auto entered = gort::make_chan<empty>(1);
    auto release = gort::make_chan<empty>();
    http::serve_mux mux;
    mux.handle("/ok", ok_handler());
    mux.handle("/slow", [&](http::response_writer& w, const http::request&) {
      entered.send(empty{});
      release.recv();
      w.write(std::string(64 * 1024, 'r'));  // to a peer that has gone
    });
    serving s(std::ref(mux));
    with_keeper(s, [&] {
      {
        raw_client c(s.addr());
        ASSERT_TRUE(c.send("GET /ok HTTP/1.1\r\nHost: x\r\nX-Hal"));
        EXPECT_TRUE(eventually([&] { return s.server().connections() == 2; }));
        c.reset();
      }
      {
        raw_client c(s.addr());
        ASSERT_TRUE(
            c.send("POST /ok HTTP/1.1\r\nHost: x\r\n"
                   "Content-Length: 1000\r\n\r\n" +
                   std::string(100, 'x')));
        EXPECT_TRUE(eventually([&] { return s.server().connections() == 2; }));
        c.reset();
      }
      {
        raw_client c(s.addr());
        ASSERT_TRUE(c.send(raw_get("/slow")));
        ASSERT_TRUE(recv_within(entered).has_value());
        c.reset();
        release.send(empty{});
      }
      EXPECT_TRUE(eventually([&] { return s.server().connections() == 1; }))
          << "a reset connection is still served: connections() = "
          << s.server().connections();
    });
  });
}

// slow_mux: /slow signals `entered`, then waits for `release` (or, if
// watch_ctx, for its request's ctx, recording that it saw it end); /ok
// answers at once.
struct slow_mux {
  gort::chan<empty> entered = gort::make_chan<empty>(4);
  gort::chan<empty> release = gort::make_chan<empty>();
  gort::chan<std::error_code> returned = gort::make_chan<std::error_code>(4);
  http::serve_mux mux;
  explicit slow_mux(bool watch_ctx = false) {
    mux.handle("/ok", route("ok"));
    mux.handle("/slow", [this, watch_ctx](http::response_writer& w,
                                          const http::request& r) {
      entered.send(empty{});
      if (watch_ctx) {
        gort::select(gort::case_recv(release), gort::case_recv(r.ctx.done()));
      } else {
        release.recv();
      }
      w.write("slow done");
      returned.send(r.ctx.err());
    });
  }
};

// refused says whether new connections are refused now.
bool refused(const std::string& addr) {
  auto [c, err] = net::dial("tcp", addr);
  if (!err) c.close();
  return static_cast<bool>(err);
}

TEST_P(http_server_shutdown_test,
       shutdown_waits_for_an_active_handler_and_closes_idle_connections) {
  gort::run([] {
    slow_mux m;
    serving s(std::ref(m.mux));
    raw_client idle(s.addr());
    expect_ok(idle, "/ok", "ok");
    raw_client active(s.addr());
    ASSERT_TRUE(active.send(raw_get("/slow")));
    ASSERT_TRUE(recv_within(m.entered).has_value());
    auto done = go_result([&] { return s.server().shutdown(bg); });
    EXPECT_TRUE(idle.closed_by_peer()) << "the idle connection stayed open";
    EXPECT_TRUE(eventually([&] { return refused(s.addr()); }))
        << "the listener still accepts during shutdown";
    EXPECT_EQ(done.size(), 0u) << "shutdown returned with a handler running";
    m.release.send(empty{});
    const auto r = active.read_response();
    ASSERT_TRUE(r.complete)
        << "the active request lost its reply: " << r.err.message();
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "slow done");
    const auto err = recv_within(done);
    ASSERT_TRUE(err.has_value()) << "shutdown did not return";
    EXPECT_FALSE(*err) << err->message();
    const auto served = s.serve_result();
    ASSERT_TRUE(served.has_value());
    EXPECT_EQ(*served, http::error::server_closed) << served->message();
    EXPECT_TRUE(active.closed_by_peer());
    EXPECT_EQ(s.server().connections(), 0u);
  });
}

TEST_P(http_server_shutdown_test,
       shutdown_returns_the_context_error_if_a_handler_outlasts_it) {
  gort::run([] {
    slow_mux m(/*watch_ctx=*/true);
    serving s(std::ref(m.mux));
    raw_client active(s.addr());
    ASSERT_TRUE(active.send(raw_get("/slow")));
    ASSERT_TRUE(recv_within(m.entered).has_value());
    auto [ctx, cancel] = gort::with_timeout(bg, std::chrono::milliseconds(100));
    EXPECT_EQ(s.server().shutdown(ctx), errc::deadline_exceeded);
    EXPECT_EQ(m.returned.size(), 0u) << "the handler was ended by shutdown";
    EXPECT_FALSE(s.server().close());
    const auto seen = recv_within(m.returned);
    ASSERT_TRUE(seen.has_value()) << "close() did not end the handler";
    EXPECT_TRUE(*seen) << "the handler's ctx was not cancelled by close()";
    EXPECT_TRUE(active.closed_by_peer());
    const auto served = s.serve_result();
    ASSERT_TRUE(served.has_value());
    EXPECT_EQ(*served, http::error::server_closed);
  });
}

TEST_P(http_server_shutdown_test,
       close_ends_everything_and_cancels_request_contexts) {
  gort::run([] {
    slow_mux m(/*watch_ctx=*/true);
    serving s(std::ref(m.mux));
    raw_client idle(s.addr());
    expect_ok(idle, "/ok", "ok");
    raw_client active(s.addr());
    ASSERT_TRUE(active.send(raw_get("/slow")));
    ASSERT_TRUE(recv_within(m.entered).has_value());
    auto done = go_result([&] { return s.server().close(); });
    const auto closed = recv_within(done);
    ASSERT_TRUE(closed.has_value()) << "close() did not return";
    EXPECT_EQ(m.returned.size(), 1u) << "close() returned before the handler";
    const auto seen = recv_within(m.returned);
    ASSERT_TRUE(seen.has_value());
    EXPECT_EQ(*seen, errc::canceled) << seen->message();
    EXPECT_TRUE(idle.closed_by_peer());
    EXPECT_TRUE(active.closed_by_peer());
    EXPECT_EQ(s.server().connections(), 0u);
    EXPECT_TRUE(refused(s.addr()));
  });
}

TEST_P(http_server_shutdown_test,
       serve_after_shutdown_or_close_is_server_closed) {
  gort::run([] {
    for (bool use_close : {false, true}) {
      http::server srv(ok_handler());
      if (use_close) {
        EXPECT_FALSE(srv.close());
      } else {
        EXPECT_FALSE(srv.shutdown(bg));
      }
      auto ln = must(net::listen("tcp", "127.0.0.1:0"), "listen");
      auto done = go_result([&srv, ln] { return srv.serve(ln); });
      const auto err = recv_within(done);
      ASSERT_TRUE(err.has_value()) << "serve() after shutdown did not return";
      EXPECT_EQ(*err, http::error::server_closed) << err->message();
      ln.close();
    }
  });
}

TEST_P(http_server_shutdown_test,
       serve_on_a_closed_listener_returns_the_accept_error) {
  gort::run([] {
    http::server srv(ok_handler());
    auto ln = must(net::listen("tcp", "127.0.0.1:0"), "listen");
    ln.close();
    auto done = go_result([&srv, ln] { return srv.serve(ln); });
    const auto err = recv_within(done);
    ASSERT_TRUE(err.has_value());
    EXPECT_EQ(*err, errc::closed) << err->message();
  });
}

TEST_P(http_server_shutdown_test, http_serve_runs_until_its_context_ends) {
  gort::run([] {
    slow_mux m;
    auto ln = must(net::listen("tcp", "127.0.0.1:0"), "listen");
    const std::string addr = ln.addr();
    auto [ctx, cancel] = gort::with_cancel(bg);
    auto served = go_result(
        [&, ln, ctx = ctx] { return http::serve(ctx, ln, std::ref(m.mux)); });
    {
      raw_client c(addr);
      expect_ok(c, "/ok", "ok");
    }
    raw_client active(addr);
    ASSERT_TRUE(active.send(raw_get("/slow")));
    ASSERT_TRUE(recv_within(m.entered).has_value());
    cancel();
    EXPECT_TRUE(eventually([&] { return refused(addr); }))
        << "still accepting after the context ended";
    EXPECT_EQ(served.size(), 0u) << "serve returned with a request active";
    m.release.send(empty{});
    const auto r = active.read_response();
    ASSERT_TRUE(r.complete) << r.err.message();
    EXPECT_EQ(r.body, "slow done");
    const auto err = recv_within(served);
    ASSERT_TRUE(err.has_value()) << "http::serve did not return";
    EXPECT_FALSE(*err) << err->message();
  });
}

TEST_P(http_server_shutdown_test, http_serve_grace_bounds_the_wait) {
  gort::run([] {
    slow_mux m(/*watch_ctx=*/true);
    auto ln = must(net::listen("tcp", "127.0.0.1:0"), "listen");
    const std::string addr = ln.addr();
    auto [ctx, cancel] = gort::with_cancel(bg);
    auto served = go_result([&, ln, ctx = ctx] {
      return http::serve(ctx, ln, std::ref(m.mux), {},
                         std::chrono::milliseconds(100));
    });
    raw_client active(addr);
    ASSERT_TRUE(active.send(raw_get("/slow")));
    ASSERT_TRUE(recv_within(m.entered).has_value());
    cancel();
    const auto err = recv_within(served);
    ASSERT_TRUE(err.has_value()) << "http::serve outlived its grace period";
    std::printf("[   info   ] http::serve after the grace period: %s\n",
                err->message().c_str());
    const auto seen = recv_within(m.returned);
    ASSERT_TRUE(seen.has_value());
    EXPECT_TRUE(*seen) << "the handler's ctx was not cancelled";
  });
}

TEST_P(http_server_stress_test, many_clients_many_requests) {
  const std::uint64_t seed = test_seed();
  gort::run([seed] {
    const std::size_t conns = scaled(200, 50, 20);
    const std::size_t per = scaled(5, 3, 3);
    serving s([](http::response_writer& w, const http::request& r) {
      w.header().set("X-Seq", r.header.get("X-Seq"));
      w.write(r.body);
    });
    std::atomic<std::size_t> good{0}, dial_errors{0};
    gort::mutex mu;
    std::string first_failure;  // protected by mu
    gort::wait_group wg;
    wg.add(static_cast<std::int64_t>(conns));
    for (std::size_t i = 0; i < conns; ++i) {
      gort::go([&, i] {
        auto [conn, err] = net::dial("tcp", s.addr());
        if (err) {
          dial_errors.fetch_add(1);
          wg.done();
          return;
        }
        raw_client c(conn);
        for (std::size_t k = 0; k < per; ++k) {
          const std::uint64_t x = mix(seed ^ (i * 1000 + k));
          const std::string body = seeded_payload(x, 1 + x % 8192);
          const std::string seq = std::to_string(i) + "." + std::to_string(k);
          const bool sent = c.send(
              raw_request("POST", "/echo", "X-Seq: " + seq + "\r\n", body));
          const auto m = sent ? c.read_response() : raw_message{};
          if (m.complete && m.status == 200 && m.body == body &&
              m.get("X-Seq") == seq) {
            good.fetch_add(1);
          } else {
            std::lock_guard lk(mu);
            if (first_failure.empty())
              first_failure = "conn " + std::to_string(i) + " request " +
                              std::to_string(k) + ": status " +
                              std::to_string(m.status) + " " + m.err.message();
            break;
          }
        }
        wg.done();
      });
    }
    wg.wait();
    EXPECT_EQ(dial_errors.load(), 0u);
    EXPECT_EQ(good.load(), conns * per) << first_failure;
  });
}

}  // namespace
