// Andrew Gerrand, "Go: code that grows with grace" (Øredev 2012), the chat
// roulette on the web (golang/talks, content/2012/chat/http/chat.go and
// html.go): gort::http serves a page at "/" whose JavaScript opens a
// WebSocket to "/socket" (web.hpp), and the WebSocket handler puts the
// socket into the same roulette as tcp.cpp (match here; partner, chat, cp
// in chat.hpp). The roulette did not change: a WebSocket is an
// io::read_write_closer as a TCP connection is.
//
// One thing did: the server closes a WebSocket when its handler returns,
// so the handler must not return while chat still uses the socket. It
// wraps the WebSocket in socket, whose close sends on done instead of
// closing; the handler starts match(s) and waits on done. chat's close
// thus lets the handler return, and websocket_handler closes the
// WebSocket, which wakes the other copy's blocked read.
//
// Checks: GET / serves the page; two WebSocket clients see the greetings
// and each other's lines; when one closes, the other sees end of stream
// within 10 s; a second pair does the same; and after the server closes no
// goroutine is left.
//
//   http [addr]   serve, on localhost:4000 by default (the talk's), and
//                 print "listening on HOST:PORT" (tests/browser uses it)
//   http --check  serve on 127.0.0.1:0 and drive it with clients
#include <gort/gort.hpp>
#include <gort/http.hpp>
#include <gort/io.hpp>
#include <gort/net.hpp>

#include "chat.hpp"   // partner, chat, cp
#include "check.hpp"  // the command line and the check's clients
#include "web.hpp"    // root_handler, websocket_handler

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace http = gort::http;
namespace io = gort::io;
namespace net = gort::net;

void match(stream c);

struct socket final : io::read_write_closer {
  socket(http::websocket w, gort::chan<bool> d) : ws(w), done(d) {}
  io::io_result read(std::span<char> b) override { return ws.read(b); }
  io::io_result write(std::string_view b) override { return ws.write(b); }
  std::error_code close() override {
    done.send(true);
    return {};
  }

  http::websocket ws;  // Go embeds it: io.ReadWriter
  gort::chan<bool> done;
};

void socket_handler(http::websocket ws) {
  auto s = std::make_shared<socket>(ws, gort::make_chan<bool>());
  gort::go(match, stream(s));
  s->done.recv();
}

void match(stream c) {
  c->write("Waiting for a partner...");
  gort::select(gort::case_send(partner, c),  // now handled by the other one
               gort::case_recv(partner, [&](std::optional<stream> p) {
                 chat(std::move(*p), c);
               }));
}

int check_chat(net::listener l, const http::serve_mux& mux) {
  const std::size_t base = gort::num_goroutines();
  {
    http::server srv(mux);
    auto served = gort::make_chan<std::error_code>(1);
    gort::go([&] { served.send(srv.serve(l)); });
    check::check_page(l.addr());
    const check::dialer dial = [url = "ws://" + l.addr() +
                                      "/socket"](std::string name) {
      return check::dial_ws(std::move(name), url);
    };
    check::check_pair(dial, "A", "hello from A", dial, "B", "hi from B");
    check::check_pair(dial, "C", "hello from C", dial, "D", "hi from D");
    check::settled(base + 1, "after the clients left");  // serve
    check::ok("A to D gone: their goroutines have exited");
    srv.close();
    if (auto err = *served.recv(); err != http::error::server_closed)
      check::fail("serve: " + err.message());
  }
  check::settled(base, "after the server closed");
  check::ok("server closed: no goroutine left");
  return 0;
}

int main(int argc, char** argv) {
  const check::options o = check::parse(argc, argv, "localhost:4000");
  return gort::run([&] {
    http::serve_mux mux;
    mux.handle("/", root_handler());
    mux.handle("/socket", websocket_handler(socket_handler));
    auto [l, err] = net::listen("tcp", o.addr);
    if (err) check::fail("listen " + o.addr + ": " + err.message());
    if (o.check) return check_chat(l, mux);
    check::ok("listening on " + l.addr());
    http::server srv(mux);
    check::fail("serve: " + srv.serve(l).message());  // log.Fatal
  });
}
