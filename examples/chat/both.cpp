// Andrew Gerrand, "Go: code that grows with grace" (Øredev 2012), the last
// chat roulette (golang/talks, content/2012/chat/both/): markov.cpp's web
// server, and beside it, in a goroutine, tcp.cpp's listener, both feeding
// the one match. A TCP user and a web user can be partners because both
// are io::read_write_closers; only web users' lines teach the bot (the
// TCP side has no pipe into the chain), and the page sends each line with
// a newline, for the TCP users' sake (both/html.go).
//
// Checks: GET / serves the page; a TCP client and a WebSocket client meet,
// see the greetings and each other's lines, and when the TCP one leaves
// the web one sees end of stream; the same with a web client leaving a TCP
// one; a lone web client meets the bot after the timeout and gets 1 to 10
// words drawn from what web users said; after the server and the TCP
// listener close no goroutine is left.
//
//   both [--tcp=localhost:4001] [--bot-timeout=5s] [--bot-delay=1s]
//        [--seed=1] [addr]   HTTP on addr (localhost:4000), TCP on --tcp
//   both --check ...         both on 127.0.0.1:0, driven by clients
#include <gort/gort.hpp>
#include <gort/http.hpp>
#include <gort/io.hpp>
#include <gort/net.hpp>

#include "check.hpp"        // the command line and the check's clients
#include "markov_chat.hpp"  // socket_handler, match, Bot, chain
#include "web.hpp"          // root_handler, websocket_handler

#include <memory>
#include <string>
#include <utility>

using namespace std::chrono_literals;
namespace http = gort::http;
namespace io = gort::io;
namespace net = gort::net;

// net_listen is netListen, given its listener so that the check can close
// it; it returns then.
void net_listen(net::listener l) {
  for (;;) {
    auto [c, err] = l.accept();
    if (err == gort::errc::closed) return;
    if (err) check::fail("accept: " + err.message());  // log.Fatal
    gort::go(match, stream(std::make_shared<io::conn_stream>(c)));
  }
}

int check_chat(net::listener l, net::listener tl, const http::serve_mux& mux) {
  const std::size_t base = gort::num_goroutines();
  {
    http::server srv(mux);
    auto served = gort::make_chan<std::error_code>(1);
    gort::go([&] { served.send(srv.serve(l)); });
    gort::go(net_listen, tl);
    check::check_page(l.addr());
    const check::dialer web = [url = "ws://" + l.addr() +
                                     "/socket"](std::string name) {
      return check::dial_ws(std::move(name), url);
    };
    const check::dialer tcp = [addr = tl.addr()](std::string name) {
      return check::dial_tcp(std::move(name), addr);
    };
    const std::string b_line = "the web says hello to the terminal\n";
    const std::string c_line = "the terminal says hello to the web\n";
    check::check_pair(tcp, "A (TCP)", "hello from the TCP side\n", web,
                      "B (web)", b_line);
    check::check_pair(web, "C (web)", c_line, tcp, "D (TCP)",
                      "hi from the TCP side\n");
    check::check_bot(web, "E (web)", "the web says hello\n", {b_line, c_line});
    check::settled(base + 2, "after the clients left");  // serve and net_listen
    check::ok("A to E gone: their goroutines have exited");
    srv.close();
    tl.close();
    if (auto err = *served.recv(); err != http::error::server_closed)
      check::fail("serve: " + err.message());
  }
  check::settled(base, "after the servers closed");
  check::ok("servers closed: no goroutine left");
  return 0;
}

int main(int argc, char** argv) {
  const check::options o = check::parse(argc, argv, "localhost:4000");
  const std::string tcp_addr =
      o.check ? "127.0.0.1:0"
              : (o.flags.contains("tcp") ? o.flags.find("tcp")->second
                                         : "localhost:4001");
  bot_timeout = o.duration("bot-timeout", 5s);
  bot_delay = o.duration("bot-delay", 1s);
  chain = std::make_shared<markov_chain>(
      2, static_cast<unsigned>(o.number("seed", 1)));
  return gort::run([&] {
    http::serve_mux mux;
    mux.handle("/", root_handler("\n"));
    mux.handle("/socket", websocket_handler(socket_handler));
    auto [l, err] = net::listen("tcp", o.addr);
    if (err) check::fail("listen " + o.addr + ": " + err.message());
    auto [tl, terr] = net::listen("tcp", tcp_addr);
    if (terr) check::fail("listen " + tcp_addr + ": " + terr.message());
    if (o.check) return check_chat(l, tl, mux);
    check::ok("listening on " + l.addr() + " (HTTP) and " + tl.addr() +
              " (TCP)");
    gort::go(net_listen, tl);
    http::server srv(mux);
    check::fail("serve: " + srv.serve(l).message());  // log.Fatal
  });
}
