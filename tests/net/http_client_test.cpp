// gort::http::client, http::get and http::head (gort/http.hpp). Servers
// that behave are gort's http::server; servers that misbehave on purpose
// are raw_server functions writing raw bytes (http_helpers.hpp). Every call
// runs under a context bounded by the watchdog, so a client that hangs
// fails the test.
//
// http_client_test (1, 2 and 4 processors):
//   get_returns_status_fields_and_body: status 200, reason "OK",
//     status_line() "200 OK", a field (any case), the body, url.
//   head_returns_the_status_and_no_body: and the next call on the same
//     client works (no phantom body is read).
//   the_status_line_is_as_the_server_sent_it: "299 Fine By Me".
//   an_error_status_is_a_response_not_an_error: 404 -> "404 Not Found".
//   send_makes_any_request: PUT with a field and a body.
//   a_chunked_body_is_read_whole: Transfer-Encoding: chunked from a raw
//     server.
//   redirects_301_302_303_become_get: a POST ends as a GET without body,
//     url is the final one.
//   redirects_307_308_keep_method_and_body
//   ten_redirects_are_followed_eleven_are_too_many: max_redirects 10
//     (the default); 11 gives error::too_many_redirects, whose message
//     says "stopped after ... redirects" as Go's does.
//   max_redirects_is_the_limit: 2 followed, 3 refused.
//   relative_locations_resolve_against_the_request: "next", "../c",
//     "/abs?q=1", and a redirect to another server.
//   the_context_deadline_bounds_a_silent_server: a server that reads the
//     request and never answers: errc::deadline_exceeded, not before the
//     timeout (a lower bound only).
//   cancel_ends_a_call_with_canceled
//   bad_urls_are_bad_url: "", no scheme, no host, a bad port.
//   other_schemes_are_unsupported: https://, ftp://, ws://; "HTTP://" is
//     http (schemes ignore case, RFC 3986 3.1).
//   a_closed_port_is_connection_refused
//   sequential_gets_reuse_one_connection: five gets, one remote address at
//     the server; close_idle_connections makes the next get dial again.
//   connection_close_replies_are_not_reused: the client dials per request
//     and every request succeeds.
//   a_stale_idle_connection_is_not_an_error: the server closed the kept
//     connection while it was idle; the next get still succeeds.
//   a_server_that_closes_without_replying_is_an_error: no reply, half a
//     header, a short body: an error each time, promptly.
//   a_body_past_max_body_bytes_is_body_too_large: the limit itself is fine.
//   many_goroutines_share_one_client: 16 x 10 gets, each right.
//   the_process_wide_get_and_head_work
#include <atomic>
#include <chrono>
#include <set>
#include <string>
#include <variant>

#include <gtest/gtest.h>

#include "gort/context.hpp"
#include "gort/http.hpp"
#include "gort/mutex.hpp"
#include "gort/sched.hpp"
#include "gort/wait_group.hpp"
#include "net/http_helpers.hpp"
#include "support/procs_fixture.hpp"

namespace {

using namespace gort_test;
using gort::errc;
using empty = std::monostate;

const gort::context bg = gort::context::background();

class http_client_test : public procs_fixture {};
GORT_INSTANTIATE_PROCS(http_client_test);

// bounded is a context that ends with the watchdog.
struct bounded {
  bounded() {
    auto [c, f] = gort::with_timeout(bg, watchdog);
    ctx = c;
    cancel = f;
  }
  ~bounded() { cancel(); }
  gort::context ctx;
  gort::cancel_func cancel;
};

// describe_err renders a result's error for a failure message.
std::string what(const std::error_code& e) {
  return e ? e.message() + " (" + e.category().name() + ":" +
                 std::to_string(e.value()) + ")"
           : "no error";
}

// finals: /final answers "METHOD body"; /NNN redirects there with NNN.
void add_finals(http::serve_mux& mux) {
  mux.handle("/final", [](http::response_writer& w, const http::request& r) {
    w.write(r.method + " " + r.body);
  });
  for (int code : {301, 302, 303, 307, 308}) {
    mux.handle(std::string("/").append(std::to_string(code)),
               [code](http::response_writer& w, const http::request&) {
                 http::redirect(w, "/final", code);
               });
  }
  // /chain/N redirects to /chain/N-1; /chain/0 answers "end".
  mux.handle("/chain/", [](http::response_writer& w, const http::request& r) {
    const int n = std::atoi(r.path.c_str() + 7);
    if (n == 0) return w.write("end");
    http::redirect(w, "/chain/" + std::to_string(n - 1), 302);
  });
}

TEST_P(http_client_test, get_returns_status_fields_and_body) {
  gort::run([] {
    serving s([](http::response_writer& w, const http::request&) {
      w.header().set("X-Answer", "42");
      w.write("hello");
    });
    http::client c;
    bounded b;
    auto [resp, err] = c.get(b.ctx, s.url("/x"));
    ASSERT_FALSE(err) << what(err);
    EXPECT_EQ(resp.status, 200);
    EXPECT_EQ(resp.reason, "OK");
    EXPECT_EQ(resp.status_line(), "200 OK");
    EXPECT_EQ(resp.header.get("x-answer"), "42");
    EXPECT_EQ(resp.body, "hello");
    EXPECT_EQ(resp.url, s.url("/x"));
    EXPECT_EQ(resp.version, 11);
  });
}

TEST_P(http_client_test, head_returns_the_status_and_no_body) {
  gort::run([] {
    serving s([](http::response_writer& w, const http::request& r) {
      w.header().set("X-Method", r.method);
      w.write("twelve bytes");
    });
    http::client c;
    bounded b;
    auto [resp, err] = c.head(b.ctx, s.url("/"));
    ASSERT_FALSE(err) << what(err);
    EXPECT_EQ(resp.status_line(), "200 OK");
    EXPECT_EQ(resp.header.get("X-Method"), "HEAD");
    EXPECT_EQ(resp.body, "");
    auto [again, err2] = c.get(b.ctx, s.url("/"));
    ASSERT_FALSE(err2) << what(err2);
    EXPECT_EQ(again.body, "twelve bytes");
  });
}

TEST_P(http_client_test, the_status_line_is_as_the_server_sent_it) {
  gort::run([] {
    raw_server s([](stream_reader& r) {
      if (!read_request(r).complete) return;
      r.conn().write(raw_response_text(299, "Fine By Me", "", "body"));
    });
    http::client c;
    bounded b;
    auto [resp, err] = c.get(b.ctx, s.url("/"));
    ASSERT_FALSE(err) << what(err);
    EXPECT_EQ(resp.status, 299);
    EXPECT_EQ(resp.reason, "Fine By Me");
    EXPECT_EQ(resp.status_line(), "299 Fine By Me");
    EXPECT_EQ(resp.body, "body");
  });
}

TEST_P(http_client_test, an_error_status_is_a_response_not_an_error) {
  gort::run([] {
    http::serve_mux mux;  // nothing registered: 404 for everything
    serving s(std::ref(mux));
    http::client c;
    bounded b;
    auto [resp, err] = c.get(b.ctx, s.url("/missing"));
    ASSERT_FALSE(err) << what(err);
    EXPECT_EQ(resp.status, 404);
    EXPECT_EQ(resp.status_line(), "404 Not Found");
    EXPECT_EQ(resp.body.rfind("404 page not found", 0), 0u) << resp.body;
  });
}

TEST_P(http_client_test, send_makes_any_request) {
  gort::run([] {
    serving s([](http::response_writer& w, const http::request& r) {
      w.write(r.method + "|" + std::string(r.header.get("X-Thing")) + "|" +
              r.body);
    });
    http::client c;
    bounded b;
    http::header h;
    h.set("X-Thing", "thing");
    auto [resp, err] = c.send(b.ctx, "PUT", s.url("/put"), h, "payload");
    ASSERT_FALSE(err) << what(err);
    EXPECT_EQ(resp.body, "PUT|thing|payload");
    const std::string big = seeded_payload(3, 200'000);
    auto [r2, e2] = c.send(b.ctx, "POST", s.url("/big"), {}, big);
    ASSERT_FALSE(e2) << what(e2);
    EXPECT_TRUE(r2.body == "POST||" + big) << "the 200 KB body differs";
  });
}

TEST_P(http_client_test, a_chunked_body_is_read_whole) {
  gort::run([] {
    raw_server s([](stream_reader& r) {
      if (!read_request(r).complete) return;
      r.conn().write(std::string_view(
          "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
          "5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n"));
      r.rest();
    });
    http::client c;
    bounded b;
    auto [resp, err] = c.get(b.ctx, s.url("/"));
    ASSERT_FALSE(err) << what(err);
    EXPECT_EQ(resp.body, "hello, world");
  });
}

TEST_P(http_client_test, redirects_301_302_303_become_get) {
  gort::run([] {
    http::serve_mux mux;
    add_finals(mux);
    serving s(std::ref(mux));
    http::client c;
    bounded b;
    for (const char* code : {"/301", "/302", "/303"}) {
      auto [g, gerr] = c.get(b.ctx, s.url(code));
      ASSERT_FALSE(gerr) << code << ": " << what(gerr);
      EXPECT_EQ(g.status, 200) << code;
      EXPECT_EQ(g.body, "GET ") << code;
      EXPECT_EQ(g.url, s.url("/final")) << code;
      auto [p, perr] = c.send(b.ctx, "POST", s.url(code), {}, "data");
      ASSERT_FALSE(perr) << code << ": " << what(perr);
      EXPECT_EQ(p.body, "GET ") << code << ": a POST must become a GET";
    }
  });
}

TEST_P(http_client_test, redirects_307_308_keep_method_and_body) {
  gort::run([] {
    http::serve_mux mux;
    add_finals(mux);
    serving s(std::ref(mux));
    http::client c;
    bounded b;
    for (const char* code : {"/307", "/308"}) {
      auto [p, perr] = c.send(b.ctx, "POST", s.url(code), {}, "data");
      ASSERT_FALSE(perr) << code << ": " << what(perr);
      EXPECT_EQ(p.status, 200) << code;
      EXPECT_EQ(p.body, "POST data") << code;
      EXPECT_EQ(p.url, s.url("/final")) << code;
      auto [q, qerr] = c.send(b.ctx, "PUT", s.url(code), {}, "put body");
      ASSERT_FALSE(qerr) << code << ": " << what(qerr);
      EXPECT_EQ(q.body, "PUT put body") << code;
    }
  });
}

TEST_P(http_client_test, ten_redirects_are_followed_eleven_are_too_many) {
  gort::run([] {
    http::serve_mux mux;
    add_finals(mux);
    serving s(std::ref(mux));
    http::client c;
    bounded b;
    auto [ok, err] = c.get(b.ctx, s.url("/chain/10"));
    ASSERT_FALSE(err) << "10 redirects: " << what(err);
    EXPECT_EQ(ok.body, "end");
    EXPECT_EQ(ok.url, s.url("/chain/0"));
    auto [no, nerr] = c.get(b.ctx, s.url("/chain/11"));
    EXPECT_EQ(nerr, http::error::too_many_redirects) << what(nerr);
    // Go's words, "stopped after 10 redirects", less the count, which an
    // error code's message cannot carry (max_redirects is per client).
    EXPECT_NE(nerr.message().find("stopped after"), std::string::npos)
        << nerr.message();
    EXPECT_NE(nerr.message().find("redirects"), std::string::npos)
        << nerr.message();
  });
}

TEST_P(http_client_test, max_redirects_is_the_limit) {
  gort::run([] {
    http::serve_mux mux;
    add_finals(mux);
    serving s(std::ref(mux));
    http::client_options o;
    o.max_redirects = 2;
    http::client c(o);
    bounded b;
    auto [ok, err] = c.get(b.ctx, s.url("/chain/2"));
    EXPECT_FALSE(err) << what(err);
    EXPECT_EQ(ok.body, "end");
    auto [no, nerr] = c.get(b.ctx, s.url("/chain/3"));
    EXPECT_EQ(nerr, http::error::too_many_redirects) << what(nerr);
  });
}

TEST_P(http_client_test, relative_locations_resolve_against_the_request) {
  gort::run([] {
    serving other([](http::response_writer& w, const http::request& r) {
      w.write("there " + r.path);
    });
    http::serve_mux mux;
    // Location fields set by hand: http::redirect may rewrite relative
    // URLs itself (Go's does), and the client's resolution is under test.
    auto location = [](std::string to) {
      return [to](http::response_writer& w, const http::request&) {
        w.header().set("Location", to);
        w.write_header(302);
      };
    };
    mux.handle("/rel/a/b", location("next"));
    mux.handle("/rel/a/next", location("../c"));
    mux.handle("/rel/c", location("/rel/abs?q=1"));
    mux.handle("/rel/abs",
               [](http::response_writer& w, const http::request& r) {
                 w.write("abs " + r.query);
               });
    mux.handle("/away", location(other.url("/there")));
    serving s(std::ref(mux));
    http::client c;
    bounded b;
    auto [r, err] = c.get(b.ctx, s.url("/rel/a/b"));
    ASSERT_FALSE(err) << what(err);
    EXPECT_EQ(r.body, "abs q=1");
    EXPECT_EQ(r.url, s.url("/rel/abs?q=1"));
    auto [a, aerr] = c.get(b.ctx, s.url("/away"));
    ASSERT_FALSE(aerr) << what(aerr);
    EXPECT_EQ(a.body, "there /there");
    EXPECT_EQ(a.url, other.url("/there"));
  });
}

// silent_server reads a request and then waits, never answering, until
// the client goes (or stop()); `got` receives one value per request.
struct silent_server {
  gort::chan<empty> got = gort::make_chan<empty>(16);
  raw_server srv{[this](stream_reader& r) {
    if (!read_request(r).complete) return;
    got.send(empty{});
    r.rest();
  }};
};

TEST_P(http_client_test, the_context_deadline_bounds_a_silent_server) {
  gort::run([] {
    silent_server s;
    http::client c;
    auto [ctx, cancel] = gort::with_timeout(bg, std::chrono::milliseconds(200));
    const auto t0 = std::chrono::steady_clock::now();
    auto done =
        go_result([&, ctx = ctx] { return c.get(ctx, s.srv.url("/")).err; });
    const auto err = recv_within(done);
    ASSERT_TRUE(err.has_value()) << "get outlived its context";
    EXPECT_EQ(*err, errc::deadline_exceeded) << what(*err);
    EXPECT_GE(std::chrono::steady_clock::now() - t0,
              std::chrono::milliseconds(150));
    EXPECT_TRUE(recv_within(s.got).has_value())
        << "the request never reached the server";
  });
}

TEST_P(http_client_test, cancel_ends_a_call_with_canceled) {
  gort::run([] {
    silent_server s;
    http::client c;
    auto [ctx, cancel] = gort::with_cancel(bg);
    auto done =
        go_result([&, ctx = ctx] { return c.get(ctx, s.srv.url("/")).err; });
    ASSERT_TRUE(recv_within(s.got).has_value());
    cancel();
    const auto err = recv_within(done);
    ASSERT_TRUE(err.has_value()) << "cancel did not end get";
    EXPECT_EQ(*err, errc::canceled) << what(*err);
  });
}

TEST_P(http_client_test, bad_urls_are_bad_url) {
  gort::run([] {
    http::client c;
    bounded b;
    for (const char* url :
         {"", "127.0.0.1/x", "http//127.0.0.1/", "http://", "http:///x",
          "http://127.0.0.1:notaport/", "://127.0.0.1/"}) {
      auto [resp, err] = c.get(b.ctx, url);
      EXPECT_EQ(err, http::error::bad_url)
          << "\"" << url << "\": " << what(err);
    }
  });
}

TEST_P(http_client_test, other_schemes_are_unsupported) {
  gort::run([] {
    serving s(
        [](http::response_writer& w, const http::request&) { w.write("ok"); });
    http::client c;
    bounded b;
    for (const std::string scheme : {"https", "ftp", "ws"}) {
      auto [resp, err] = c.get(b.ctx, scheme + "://" + s.addr() + "/");
      EXPECT_EQ(err, http::error::unsupported_scheme)
          << scheme << ": " << what(err);
    }
    auto [resp, err] = c.get(b.ctx, "HTTP://" + s.addr() + "/");
    EXPECT_FALSE(err) << "HTTP:// (schemes ignore case): " << what(err);
    EXPECT_EQ(resp.body, "ok");
  });
}

TEST_P(http_client_test, a_closed_port_is_connection_refused) {
  gort::run([] {
    auto ln = must(net::listen("tcp", "127.0.0.1:0"), "listen");
    const std::string addr = ln.addr();
    ln.close();
    http::client c;
    bounded b;
    auto [resp, err] = c.get(b.ctx, "http://" + addr + "/");
    EXPECT_EQ(err, std::errc::connection_refused) << what(err);
  });
}

// addr_log is a server that records each request's remote address.
struct addr_log {
  gort::mutex mu;
  std::set<std::string> addrs;  // protected by mu
  std::size_t distinct() {
    std::lock_guard lk(mu);
    return addrs.size();
  }
  http::handler handler() {
    return [this](http::response_writer& w, const http::request& r) {
      {
        std::lock_guard lk(mu);
        addrs.insert(r.remote_addr);
      }
      w.write("seen " + r.path);
    };
  }
};

TEST_P(http_client_test, sequential_gets_reuse_one_connection) {
  gort::run([] {
    addr_log log;
    serving s(log.handler());
    http::client c;
    bounded b;
    for (int i = 0; i < 5; ++i) {
      const std::string path = std::string("/").append(std::to_string(i));
      auto [r, err] = c.get(b.ctx, s.url(path));
      ASSERT_FALSE(err) << what(err);
      EXPECT_EQ(r.body, "seen " + path);
    }
    EXPECT_EQ(log.distinct(), 1u)
        << "sequential gets used " << log.distinct() << " connections";
    auto [h, herr] = c.head(b.ctx, s.url("/h"));
    ASSERT_FALSE(herr) << what(herr);
    EXPECT_EQ(log.distinct(), 1u) << "a HEAD did not reuse the connection";
    c.close_idle_connections();
    auto [r, err] = c.get(b.ctx, s.url("/after"));
    ASSERT_FALSE(err) << what(err);
    EXPECT_EQ(log.distinct(), 2u)
        << "close_idle_connections left the connection in use";
  });
}

TEST_P(http_client_test, connection_close_replies_are_not_reused) {
  gort::run([] {
    raw_server s([](stream_reader& r) {
      if (!read_request(r).complete) return;
      r.conn().write(
          raw_response_text(200, "OK", "Connection: close\r\n", "once"));
    });
    http::client c;
    bounded b;
    for (int i = 0; i < 3; ++i) {
      auto [r, err] = c.get(b.ctx, s.url("/"));
      ASSERT_FALSE(err) << "request " << i << ": " << what(err);
      EXPECT_EQ(r.body, "once");
    }
    EXPECT_EQ(s.accepted(), 3u);
  });
}

TEST_P(http_client_test, a_stale_idle_connection_is_not_an_error) {
  gort::run([] {
    auto closed = gort::make_chan<empty>(4);
    // One keep-alive reply per connection, then the server closes it, as
    // a server's idle timeout would.
    raw_server s([closed](stream_reader& r) {
      if (!read_request(r).complete) return;
      r.conn().write(raw_response_text(200, "OK", "", "fresh"));
      r.conn().close();
      closed.send(empty{});
    });
    http::client c;
    bounded b;
    auto [r1, e1] = c.get(b.ctx, s.url("/"));
    ASSERT_FALSE(e1) << what(e1);
    ASSERT_TRUE(recv_within(closed).has_value());
    auto [r2, e2] = c.get(b.ctx, s.url("/"));
    EXPECT_FALSE(e2) << "a get after the server closed the idle connection: "
                     << what(e2);
    EXPECT_EQ(r2.body, "fresh");
    EXPECT_EQ(s.accepted(), 2u);
  });
}

TEST_P(http_client_test, a_server_that_closes_without_replying_is_an_error) {
  gort::run([] {
    const std::string replies[] = {
        "",
        "HTTP/1.1 200 OK\r\nContent-Le",
        "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b",
    };
    for (const std::string& reply : replies) {
      raw_server s([reply](stream_reader& r) {
        if (!read_request(r).complete) return;
        if (!reply.empty()) r.conn().write(reply);
      });
      http::client c;
      bounded b;
      auto done = go_result([&] { return c.get(b.ctx, s.url("/")).err; });
      const auto err = recv_within(done);
      ASSERT_TRUE(err.has_value()) << "\"" << reply << "\": get hung";
      EXPECT_TRUE(*err) << "\"" << reply << "\": no error";
      EXPECT_NE(*err, errc::deadline_exceeded) << "\"" << reply << "\"";
    }
  });
}

TEST_P(http_client_test, a_body_past_max_body_bytes_is_body_too_large) {
  gort::run([] {
    serving s([](http::response_writer& w, const http::request& r) {
      w.write(std::string(r.path == "/big" ? 2000 : 1000, 'z'));
    });
    http::client_options o;
    o.max_body_bytes = 1000;
    http::client c(o);
    bounded b;
    auto [ok, err] = c.get(b.ctx, s.url("/limit"));
    EXPECT_FALSE(err) << what(err);
    EXPECT_EQ(ok.body.size(), 1000u);
    auto [no, nerr] = c.get(b.ctx, s.url("/big"));
    EXPECT_EQ(nerr, http::error::body_too_large) << what(nerr);
  });
}

TEST_P(http_client_test, many_goroutines_share_one_client) {
  gort::run([] {
    serving s([](http::response_writer& w, const http::request& r) {
      w.write(r.path);
    });
    http::client c;
    bounded b;
    constexpr int goroutines = 16, each = 10;
    std::atomic<int> good{0};
    gort::wait_group wg;
    wg.add(goroutines);
    for (int g = 0; g < goroutines; ++g) {
      gort::go([&, g] {
        for (int k = 0; k < each; ++k) {
          std::string path = std::string("/").append(std::to_string(g));
          path.append("/").append(std::to_string(k));
          auto [r, err] = c.get(b.ctx, s.url(path));
          if (!err && r.body == path) good.fetch_add(1);
        }
        wg.done();
      });
    }
    wg.wait();
    EXPECT_EQ(good.load(), goroutines * each);
  });
}

TEST_P(http_client_test, the_process_wide_get_and_head_work) {
  gort::run([] {
    serving s([](http::response_writer& w, const http::request& r) {
      w.write("process-wide " + r.method);
    });
    auto [g, gerr] = http::get(s.url("/"));
    ASSERT_FALSE(gerr) << what(gerr);
    EXPECT_EQ(g.body, "process-wide GET");
    bounded b;
    auto [h, herr] = http::head(b.ctx, s.url("/"));
    ASSERT_FALSE(herr) << what(herr);
    EXPECT_EQ(h.status_line(), "200 OK");
    EXPECT_EQ(h.body, "");
    auto [g2, g2err] = http::get(b.ctx, s.url("/"));
    EXPECT_FALSE(g2err) << what(g2err);
    auto [h2, h2err] = http::head(s.url("/"));
    EXPECT_FALSE(h2err) << what(h2err);
  });
}

}  // namespace
