// gort::http::websocket (gort/http.hpp): accept inside a handler, dial,
// messages, close, the io interface, and RFC 6455 on the wire. The wire
// tests drive the server with a raw net::conn client that writes masked
// frames by hand (http_helpers.hpp), so they do not depend on gort's own
// WebSocket client.
//
// websocket_test (1, 2 and 4 processors):
//   dial_and_accept_shake_hands: both ends exist and see each other's
//     addresses.
//   text_and_binary_messages_go_both_ways: the binary flag survives; empty
//     messages, NUL bytes and the lengths around the 7/16/64-bit length
//     boundaries (125, 126, 65535, 65536) arrive exactly.
//   a_large_message_goes_both_ways: 1 MiB, seeded, each way (a 64-bit
//     length, or fragments, the writer's choice).
//   a_message_past_max_message_bytes_is_an_error: message_too_large.
//   concurrent_reader_and_writer_share_one_websocket: on each end one
//     goroutine writes while another reads (2000 messages; 500 under ASan,
//     200 under TSan), all echoed in order; TSan must stay quiet.
//   closing_the_client_gives_the_server_eof / closing_the_server_gives_the
//     _client_eof
//   close_wakes_a_blocked_read_on_the_closing_side_with_closed: and the
//     peer's read gets eof.
//   accept_of_a_plain_request_is_400_and_not_websocket: the raw client gets
//     400, accept() returns error::not_websocket.
//   dial_of_a_plain_route_is_bad_handshake
//   dial_errors_are_values: http:// is unsupported_scheme, garbage is
//     bad_url, a closed port is connection_refused, a server that never
//     answers the handshake ends with the context's deadline_exceeded.
//   it_is_an_io_read_write_closer: io::copy(string_writer, ws) gets every
//     message's bytes until the peer closes, err empty; write() sends one
//     text message per call; small reads split a message across calls.
//   a_raw_handshake_is_answered_per_rfc_6455: 101, Upgrade, Connection,
//     and RFC 6455's own sample Sec-WebSocket-Accept.
//   server_frames_are_unmasked_with_the_right_length_form: 3, 200 and
//     70000 bytes use the 7-bit, 16-bit and 64-bit length forms (or, for
//     the large one, fragments), never a mask.
//   pings_are_answered_while_reading: a masked ping "hi" gets pong "hi"
//     while the server is parked in read_message, which then gets the
//     next text message.
//   fragments_are_joined_and_control_frames_may_interleave: text "hel",
//     ping, continuation "lo": the server reads "hello".
//   a_close_frame_is_answered_and_reads_get_eof
//   an_unmasked_client_frame_is_bad_frame
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include "gort/context.hpp"
#include "gort/http.hpp"
#include "gort/io.hpp"
#include "gort/sched.hpp"
#include "gort/wait_group.hpp"
#include "net/http_helpers.hpp"
#include "support/procs_fixture.hpp"

namespace {

using namespace gort_test;
namespace io = gort::io;
using gort::errc;
using empty = std::monostate;

const gort::context bg = gort::context::background();

class websocket_test : public procs_fixture {};
GORT_INSTANTIATE_PROCS(websocket_test);

std::string what(const std::error_code& e) {
  return e ? e.message() + " (" + e.category().name() + ":" +
                 std::to_string(e.value()) + ")"
           : "no error";
}

// ws_server: /ws accepts a WebSocket and hands it to the test on
// `accepted` (or the error on `refused`); /plain answers "plain".
struct ws_server {
  explicit ws_server(http::websocket_options o = {}) : opts(std::move(o)) {
    mux.handle("/ws", [this](http::response_writer& w, const http::request& r) {
      auto [ws, err] = http::websocket::accept(w, r, opts);
      if (err) {
        refused.send(err);
        return;
      }
      accepted.send(ws);
    });
    mux.handle("/plain", [](http::response_writer& w, const http::request&) {
      w.write("plain");
    });
    s = std::make_unique<serving>(std::ref(mux));
  }
  std::string url(std::string_view path = "/ws") const {
    return "ws://" + s->addr() + std::string(path);
  }
  const std::string& addr() const { return s->addr(); }
  // next returns the next accepted server end.
  http::websocket next() {
    auto w = recv_within(accepted);
    if (!w) throw test_failure("the server accepted no websocket");
    return *w;
  }

  http::websocket_options opts;
  gort::chan<http::websocket> accepted = gort::make_chan<http::websocket>(8);
  gort::chan<std::error_code> refused = gort::make_chan<std::error_code>(8);
  http::serve_mux mux;
  std::unique_ptr<serving> s;
};

// ends is a dialled client end and its accepted server end.
struct ends {
  http::websocket client, server;
  ~ends() {
    if (client) client.close();
    if (server) server.close();
  }
};

ends connect(ws_server& srv, http::websocket_options o = {}) {
  auto [ctx, cancel] = gort::with_timeout(bg, watchdog);
  auto c = must(http::websocket::dial(ctx, srv.url(), std::move(o)), "dial");
  cancel();
  return {c, srv.next()};
}

// expect_message reads one message from ws and compares it.
void expect_message(const http::websocket& ws, std::string_view data,
                    bool binary) {
  auto [m, err] = ws.read_message();
  ASSERT_FALSE(err) << what(err);
  EXPECT_EQ(m.binary, binary);
  EXPECT_EQ(m.data.size(), data.size());
  EXPECT_TRUE(m.data == data) << "message bytes differ";
}

TEST_P(websocket_test, dial_and_accept_shake_hands) {
  gort::run([] {
    ws_server srv;
    ends e = connect(srv);
    ASSERT_TRUE(e.client);
    ASSERT_TRUE(e.server);
    EXPECT_FALSE(e.client == e.server);
    EXPECT_EQ(e.client.conn().local_addr(), e.server.conn().remote_addr());
    EXPECT_EQ(e.server.conn().local_addr(), srv.addr());
  });
}

TEST_P(websocket_test, text_and_binary_messages_go_both_ways) {
  gort::run([] {
    ws_server srv;
    ends e = connect(srv);
    EXPECT_FALSE(e.client.write_message("hello"));
    expect_message(e.server, "hello", false);
    const std::string bin("\0\1\2\xff\0", 5);
    EXPECT_FALSE(e.server.write_message(bin, true));
    expect_message(e.client, bin, true);
    EXPECT_FALSE(e.client.write_message("", false));
    expect_message(e.server, "", false);
    EXPECT_FALSE(e.server.write_message("", true));
    expect_message(e.client, "", true);
    for (std::size_t n : {125u, 126u, 127u, 65535u, 65536u}) {
      const std::string p = seeded_payload(n, n);
      EXPECT_FALSE(e.client.write_message(p, true));
      expect_message(e.server, p, true);
      EXPECT_FALSE(e.server.write_message(p, true));
      expect_message(e.client, p, true);
    }
  });
}

TEST_P(websocket_test, a_large_message_goes_both_ways) {
  gort::run([] {
    ws_server srv;
    ends e = connect(srv);
    const std::string big = seeded_payload(99, 1 << 20);
    // Written from another goroutine: a 1 MiB write may need the reader.
    auto sent = go_result([&] { return e.client.write_message(big, true); });
    expect_message(e.server, big, true);
    EXPECT_EQ(recv_within(sent), std::optional(std::error_code()));
    auto back = go_result([&] { return e.server.write_message(big, false); });
    expect_message(e.client, big, false);
    EXPECT_EQ(recv_within(back), std::optional(std::error_code()));
  });
}

TEST_P(websocket_test, a_message_past_max_message_bytes_is_an_error) {
  gort::run([] {
    http::websocket_options o;
    o.max_message_bytes = 1000;
    ws_server srv(o);
    ends e = connect(srv);
    EXPECT_FALSE(e.client.write_message(std::string(1000, 'a')));
    expect_message(e.server, std::string(1000, 'a'), false);
    gort::go([c = e.client] { c.write_message(std::string(2000, 'b')); });
    auto [m, err] = e.server.read_message();
    EXPECT_EQ(err, http::error::message_too_large) << what(err);
  });
}

TEST_P(websocket_test, concurrent_reader_and_writer_share_one_websocket) {
  gort::run([] {
    const int n = static_cast<int>(scaled(2000, 500, 200));
    ws_server srv;
    ends e = connect(srv);
    // Server: a reader goroutine passes each message to a writer goroutine
    // that echoes it, so each end has a reader and a writer at once.
    auto relay = gort::make_chan<http::message>(16);
    gort::wait_group wg;
    wg.add(4);
    gort::go([&] {
      for (;;) {
        auto [m, err] = e.server.read_message();
        if (err) break;
        relay.send(std::move(m));
      }
      relay.close();
      wg.done();
    });
    gort::go([&] {
      for (http::message m : relay)
        if (e.server.write_message(m.data, m.binary)) break;
      wg.done();
    });
    std::atomic<int> in_order{0};
    gort::go([&] {
      for (int i = 0; i < n; ++i)
        if (e.client.write_message(
                std::to_string(i) + ":" + seeded_payload(i, i % 300),
                i % 2 == 1))
          break;
      wg.done();
    });
    gort::go([&] {
      for (int i = 0; i < n; ++i) {
        auto [m, err] = e.client.read_message();
        if (err) break;
        if (m.data == std::to_string(i) + ":" + seeded_payload(i, i % 300) &&
            m.binary == (i % 2 == 1))
          in_order.fetch_add(1);
      }
      e.client.close();  // the server's reader then ends, then its writer
      wg.done();
    });
    wg.wait();
    EXPECT_EQ(in_order.load(), n);
  });
}

TEST_P(websocket_test, closing_the_client_gives_the_server_eof) {
  gort::run([] {
    ws_server srv;
    ends e = connect(srv);
    EXPECT_FALSE(e.client.write_message("last"));
    EXPECT_FALSE(e.client.close());
    expect_message(e.server, "last", false);
    auto [m, err] = e.server.read_message();
    EXPECT_EQ(err, errc::eof) << what(err);
  });
}

TEST_P(websocket_test, closing_the_server_gives_the_client_eof) {
  gort::run([] {
    ws_server srv;
    ends e = connect(srv);
    EXPECT_FALSE(e.server.write_message("last"));
    EXPECT_FALSE(e.server.close());
    expect_message(e.client, "last", false);
    auto [m, err] = e.client.read_message();
    EXPECT_EQ(err, errc::eof) << what(err);
  });
}

TEST_P(websocket_test,
       close_wakes_a_blocked_read_on_the_closing_side_with_closed) {
  gort::run([] {
    ws_server srv;
    ends e = connect(srv);
    auto blocked = go_parked([s = e.server] { return s.read_message().err; });
    auto peer = go_parked([c = e.client] { return c.read_message().err; });
    EXPECT_FALSE(e.server.close());
    const auto err = recv_within(blocked);
    ASSERT_TRUE(err.has_value()) << "close did not wake the blocked read";
    EXPECT_EQ(*err, errc::closed) << what(*err);
    const auto perr = recv_within(peer);
    ASSERT_TRUE(perr.has_value()) << "the peer's read did not end";
    EXPECT_EQ(*perr, errc::eof) << what(*perr);
  });
}

TEST_P(websocket_test, accept_of_a_plain_request_is_400_and_not_websocket) {
  gort::run([] {
    ws_server srv;
    raw_client c(srv.addr());
    ASSERT_TRUE(c.send(raw_get("/ws")));
    const auto m = c.read_response();
    ASSERT_TRUE(m.complete) << m.err.message();
    EXPECT_EQ(m.status, 400);
    const auto err = recv_within(srv.refused);
    ASSERT_TRUE(err.has_value());
    EXPECT_EQ(*err, http::error::not_websocket) << what(*err);
    // Still served, on the same connection or a new one.
    raw_client d(srv.addr());
    ASSERT_TRUE(d.send(raw_get("/plain")));
    EXPECT_EQ(d.read_response().body, "plain");
  });
}

TEST_P(websocket_test, dial_of_a_plain_route_is_bad_handshake) {
  gort::run([] {
    ws_server srv;
    auto [ctx, cancel] = gort::with_timeout(bg, watchdog);
    auto [ws, err] = http::websocket::dial(ctx, srv.url("/plain"));
    EXPECT_EQ(err, http::error::bad_handshake) << what(err);
    EXPECT_FALSE(ws);
  });
}

TEST_P(websocket_test, dial_errors_are_values) {
  gort::run([] {
    ws_server srv;
    auto [ctx, cancel] = gort::with_timeout(bg, watchdog);
    EXPECT_EQ(http::websocket::dial(ctx, "http://" + srv.addr() + "/ws").err,
              http::error::unsupported_scheme);
    EXPECT_EQ(http::websocket::dial(ctx, "ws//nothing").err,
              http::error::bad_url);
    auto ln = must(net::listen("tcp", "127.0.0.1:0"), "listen");
    const std::string gone = ln.addr();
    ln.close();
    const auto refused = http::websocket::dial(ctx, "ws://" + gone + "/").err;
    EXPECT_EQ(refused, std::errc::connection_refused) << what(refused);

    auto got = gort::make_chan<empty>(4);
    raw_server silent([got](stream_reader& r) {
      if (!read_request(r).complete) return;
      got.send(empty{});
      r.rest();
    });
    auto [short_ctx, c2] =
        gort::with_timeout(bg, std::chrono::milliseconds(200));
    auto done = go_result([&, short_ctx = short_ctx] {
      return http::websocket::dial(short_ctx, "ws://" + silent.addr() + "/")
          .err;
    });
    const auto err = recv_within(done);
    ASSERT_TRUE(err.has_value()) << "dial outlived its context";
    EXPECT_EQ(*err, errc::deadline_exceeded) << what(*err);
  });
}

TEST_P(websocket_test, it_is_an_io_read_write_closer) {
  gort::run([] {
    ws_server srv;
    ends e = connect(srv);
    gort::go([s = e.server]() mutable {
      io::writer& w = s;
      for (const char* part : {"one ", "two ", "three"}) w.write(part);
      s.close();
    });
    std::string out;
    io::string_writer sw(out);
    const auto res = io::copy(sw, e.client);
    EXPECT_FALSE(res.err) << what(res.err);
    EXPECT_EQ(out, "one two three");
    EXPECT_EQ(res.n, out.size());
  });
  gort::run([] {
    ws_server srv;
    ends e = connect(srv);
    EXPECT_FALSE(e.client.write_message("abcdefgh"));
    EXPECT_FALSE(e.client.write_message("ij"));
    io::reader& r = e.server;
    std::string got;
    std::string buf(3, '\0');
    while (got.size() < 10) {
      const auto res = r.read(std::span<char>(buf));
      ASSERT_FALSE(res.err) << what(res.err);
      ASSERT_LE(res.n, 3u);
      got.append(buf, 0, res.n);
    }
    EXPECT_EQ(got, "abcdefghij");
    // write() sends one text message per call.
    io::writer& w = e.server;
    EXPECT_EQ(w.write("xyz").n, 3u);
    expect_message(e.client, "xyz", false);
  });
}

// raw_ws is a hand-made client: the handshake written by hand, frames by
// ws_frame.
struct raw_ws {
  explicit raw_ws(ws_server& srv) : c(srv.addr()) {
    handshake_ok = c.send(ws_upgrade_request("/ws"));
    reply = c.read_response();
    if (reply.status == 101) server = srv.next();
  }
  raw_client c;
  bool handshake_ok = false;
  raw_message reply;
  http::websocket server;
  ~raw_ws() {
    if (server) server.close();
  }
};

TEST_P(websocket_test, a_raw_handshake_is_answered_per_rfc_6455) {
  gort::run([] {
    ws_server srv;
    raw_ws r(srv);
    ASSERT_TRUE(r.reply.complete) << r.reply.err.message();
    EXPECT_EQ(r.reply.status, 101);
    EXPECT_TRUE(iequals(r.reply.get("Upgrade"), "websocket"))
        << r.reply.get("Upgrade");
    EXPECT_NE(r.reply.get("Connection").find("pgrade"), std::string::npos)
        << r.reply.get("Connection");
    EXPECT_EQ(r.reply.get("Sec-WebSocket-Accept"), ws_sample_accept);
    EXPECT_TRUE(r.server);
  });
}

// read_server_message reads frames until FIN, joining continuations, and
// checks that none is masked; it returns the first frame too.
struct raw_message_frames {
  std::vector<ws_raw_frame> frames;
  std::string data;
};
raw_message_frames read_raw_message(stream_reader& r) {
  raw_message_frames out;
  for (;;) {
    ws_raw_frame f = read_ws_frame(r);
    if (!f.ok) break;
    out.data += f.payload;
    out.frames.push_back(f);
    if (f.fin) break;
  }
  return out;
}

TEST_P(websocket_test, server_frames_are_unmasked_with_the_right_length_form) {
  gort::run([] {
    ws_server srv;
    raw_ws r(srv);
    ASSERT_TRUE(r.server);
    for (std::size_t n : {3u, 200u, 70000u}) {
      const std::string p = seeded_payload(n, n);
      auto sent = go_result([&] { return r.server.write_message(p, true); });
      const auto m = read_raw_message(r.c);
      ASSERT_FALSE(m.frames.empty()) << n << ": no frame";
      EXPECT_EQ(m.frames.front().opcode, ws_binary) << n;
      for (std::size_t i = 1; i < m.frames.size(); ++i)
        EXPECT_EQ(m.frames[i].opcode, ws_continuation) << n;
      for (const auto& f : m.frames) {
        EXPECT_FALSE(f.masked) << n << ": a server frame was masked";
        const int want = f.length < 126       ? static_cast<int>(f.length)
                         : f.length <= 0xffff ? 126
                                              : 127;
        EXPECT_EQ(f.length_code, want)
            << n << ": a " << f.length << "-byte frame used length code "
            << f.length_code << " (RFC 6455 5.2: minimal encoding)";
      }
      EXPECT_TRUE(m.data == p) << n << ": payload differs";
      EXPECT_TRUE(recv_within(sent).has_value());
    }
  });
}

TEST_P(websocket_test, pings_are_answered_while_reading) {
  gort::run([] {
    ws_server srv;
    raw_ws r(srv);
    ASSERT_TRUE(r.server);
    auto reading = go_parked([s = r.server] { return s.read_message(); });
    ASSERT_TRUE(r.c.send(ws_frame(ws_ping, "hi")));
    const auto pong = read_ws_frame(r.c);
    ASSERT_TRUE(pong.ok) << "no pong";
    EXPECT_EQ(pong.opcode, ws_pong);
    EXPECT_TRUE(pong.fin);
    EXPECT_FALSE(pong.masked);
    EXPECT_EQ(pong.payload, "hi");
    EXPECT_EQ(reading.size(), 0u) << "a ping ended read_message";
    ASSERT_TRUE(r.c.send(ws_frame(ws_text, "after the ping")));
    const auto got = recv_within(reading);
    ASSERT_TRUE(got.has_value());
    ASSERT_FALSE(got->err) << what(got->err);
    EXPECT_EQ(got->value.data, "after the ping");
    EXPECT_FALSE(got->value.binary);
  });
}

TEST_P(websocket_test, fragments_are_joined_and_control_frames_may_interleave) {
  gort::run([] {
    ws_server srv;
    raw_ws r(srv);
    ASSERT_TRUE(r.server);
    auto reading = go_result([s = r.server] { return s.read_message(); });
    ASSERT_TRUE(
        r.c.send(ws_frame(ws_text, "hel", /*fin=*/false) +
                 ws_frame(ws_ping, "p", true, true, 0x01020304) +
                 ws_frame(ws_continuation, "lo", true, true, 0xa0b0c0d0)));
    const auto got = recv_within(reading);
    ASSERT_TRUE(got.has_value());
    ASSERT_FALSE(got->err) << what(got->err);
    EXPECT_EQ(got->value.data, "hello");
    const auto pong = read_ws_frame(r.c);
    ASSERT_TRUE(pong.ok);
    EXPECT_EQ(pong.opcode, ws_pong);
    EXPECT_EQ(pong.payload, "p");
  });
}

TEST_P(websocket_test, a_close_frame_is_answered_and_reads_get_eof) {
  gort::run([] {
    ws_server srv;
    raw_ws r(srv);
    ASSERT_TRUE(r.server);
    auto reading = go_result([s = r.server] { return s.read_message().err; });
    ASSERT_TRUE(r.c.send(ws_frame(ws_close, std::string("\x03\xe8", 2))));
    const auto err = recv_within(reading);
    ASSERT_TRUE(err.has_value());
    EXPECT_EQ(*err, errc::eof) << what(*err);
    const auto reply = read_ws_frame(r.c);
    ASSERT_TRUE(reply.ok) << "the close was not answered";
    EXPECT_EQ(reply.opcode, ws_close);
    EXPECT_FALSE(reply.masked);
  });
}

TEST_P(websocket_test, an_unmasked_client_frame_is_bad_frame) {
  gort::run([] {
    ws_server srv;
    raw_ws r(srv);
    ASSERT_TRUE(r.server);
    auto reading = go_result([s = r.server] { return s.read_message().err; });
    ASSERT_TRUE(r.c.send(ws_frame(ws_text, "bare", true, /*masked=*/false)));
    const auto err = recv_within(reading);
    ASSERT_TRUE(err.has_value());
    EXPECT_EQ(*err, http::error::bad_frame) << what(*err);
  });
}

}  // namespace
