// Andrew Gerrand, "Go: code that grows with grace" (Øredev 2012), the chat
// roulette with tcp_simple's leak fixed (golang/talks,
// content/2012/chat/tcp/chat.go). match is unchanged; chat now runs both
// copies in cp goroutines that send io::copy's error on errc (buffer 1),
// takes the first, logs it if it is not a clean end, and closes both
// connections. The second copy's blocked read then returns errc::closed
// ("use of closed network connection"), it sends into the room left in
// errc and exits: this is where gort's Close wakes a blocked read. chat
// and cp are in chat.hpp, as every later version keeps them.
//
// Checks: two clients see "Waiting for a partner..." and "Found one! Say
// hi." and each other's lines; when one closes, the other sees end of
// stream within 10 s; a second pair chats after the first has gone; and
// when the listener closes no goroutine is left.
//
//   tcp [addr]   serve, on localhost:4000 by default (the talk's)
//   tcp --check  serve on 127.0.0.1:0 and drive it with clients
#include <gort/gort.hpp>
#include <gort/io.hpp>
#include <gort/net.hpp>

#include "chat.hpp"   // partner, chat, cp
#include "check.hpp"  // the command line and the check's clients

#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace io = gort::io;
namespace net = gort::net;

void match(stream c) {
  c->write("Waiting for a partner...");
  gort::select(gort::case_send(partner, c),  // now handled by the other one
               gort::case_recv(partner, [&](std::optional<stream> p) {
                 chat(std::move(*p), c);
               }));
}

// serve is main's accept loop; the check ends it by closing l.
void serve(net::listener l) {
  for (;;) {
    auto [c, err] = l.accept();
    if (err == gort::errc::closed) return;
    if (err) check::fail("accept: " + err.message());  // log.Fatal
    gort::go(match, stream(std::make_shared<io::conn_stream>(c)));
  }
}

int check_chat(net::listener l) {
  const std::size_t base = gort::num_goroutines();
  gort::go(serve, l);
  const check::dialer dial = [&](std::string name) {
    return check::dial_tcp(std::move(name), l.addr());
  };
  check::check_pair(dial, "A", "hello from A\n", dial, "B", "hi from B\n");
  check::settled(base + 1, "after A and B left");  // serve is left
  check::ok("A and B gone: their goroutines have exited");
  check::check_pair(dial, "C", "hello from C\n", dial, "D", "hi from D\n");
  l.close();
  check::settled(base, "after the listener closed");
  check::ok("listener closed: no goroutine left");
  return 0;
}

int main(int argc, char** argv) {
  const check::options o = check::parse(argc, argv, "localhost:4000");
  return gort::run([&] {
    auto [l, err] = net::listen("tcp", o.addr);
    if (err) check::fail("listen " + o.addr + ": " + err.message());
    if (o.check) return check_chat(l);
    check::ok("listening on " + l.addr());
    serve(l);
    return 1;
  });
}
