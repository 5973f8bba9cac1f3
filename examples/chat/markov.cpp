// Andrew Gerrand, "Go: code that grows with grace" (Øredev 2012), the web
// chat roulette with a Markov chain bot for those who wait alone (golang/
// talks, content/2012/chat/markov/). The handler, match with its third
// case and the bot are in markov_chat.hpp, the chain in markov.hpp; chat
// is still tcp.cpp's (chat.hpp). This file is main, as in the talk, plus
// the check.
//
// Checks: GET / serves the page; two WebSocket clients meet before the bot
// timeout, see the greetings and each other's lines, and when one closes
// the other sees end of stream within 10 s; then a lone client meets the
// bot after the timeout, and the bot's greeting and its answer to the
// client's line are each 1 to 10 words, every word following its two
// predecessors in something said before; after the server closes no
// goroutine is left (the bot's sleeping speakers included).
//
//   markov [--bot-timeout=5s] [--bot-delay=1s] [--seed=1] [addr]
//   markov --check ...  serve on 127.0.0.1:0 and drive it with clients
// The check's timeouts are scaled down (markov.args): the pair must meet
// within --bot-timeout, so it stays a generous second or more.
#include <gort/gort.hpp>
#include <gort/http.hpp>
#include <gort/net.hpp>

#include "check.hpp"        // the command line and the check's clients
#include "markov_chat.hpp"  // socket_handler, match, Bot, chain
#include "web.hpp"          // root_handler, websocket_handler

#include <memory>
#include <string>
#include <utility>

using namespace std::chrono_literals;
namespace http = gort::http;
namespace net = gort::net;

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
    const std::string a_line = "the quick brown fox jumps over the lazy dog";
    const std::string b_line = "the lazy dog sleeps and the fox jumps again";
    check::check_pair(dial, "A", a_line, dial, "B", b_line);
    check::check_bot(dial, "C", "the dog jumps over the fox", {a_line, b_line});
    check::settled(base + 1, "after the clients left");  // serve
    check::ok("A, B and C gone: their goroutines have exited");
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
  bot_timeout = o.duration("bot-timeout", 5s);
  bot_delay = o.duration("bot-delay", 1s);
  chain = std::make_shared<markov_chain>(
      2, static_cast<unsigned>(o.number("seed", 1)));
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
