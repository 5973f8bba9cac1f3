// Andrew Gerrand, "Go: code that grows with grace" (Øredev 2012), the first
// chat roulette (golang/talks, content/2012/chat/tcp-simple/chat.go): each
// connection gets a goroutine, match, that says "Waiting for a partner..."
// and then either hands itself over on the unbuffered partner channel (the
// goroutine that takes it does the talking) or takes a partner from it and
// chats: both copy directions at once, one in a new goroutine.
//
// It leaks, and the check shows how. When A leaves, the copy reading A gets
// end of stream and returns, and chat and its match goroutine with it. But
// nothing closes anything: the other copy goroutine stays blocked reading
// B, and B's connection stays open, so B is never told that A has gone.
// That goroutine and both sockets live as long as B does (tcp.cpp is the
// fix). The check counts goroutines with gort::num_goroutines before and
// after A leaves, sees the copy goroutine still there and B's stream still
// open after 500 ms, and prints it (tcp_simple.out); only when B leaves too
// does the leaked copy read end of stream and exit.
//
//   tcp_simple [addr]   serve, on localhost:4000 by default (the talk's)
//   tcp_simple --check  serve on 127.0.0.1:0 and drive it with clients
#include <gort/gort.hpp>
#include <gort/io.hpp>
#include <gort/net.hpp>

#include "check.hpp"  // the command line and the check's clients

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <utility>

using namespace std::chrono_literals;
namespace io = gort::io;
namespace net = gort::net;

using stream = std::shared_ptr<io::read_write_closer>;  // io.ReadWriteCloser

auto partner = gort::make_chan<stream>();

void chat(stream a, stream b) {
  a->write("Found one! Say hi.\n");
  b->write("Found one! Say hi.\n");
  gort::go([a, b] { io::copy(*a, *b); });
  io::copy(*b, *a);
}

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

void goroutines_are(std::size_t want, const char* when) {
  check::settled(want, when);
  if (gort::num_goroutines() != want)
    check::fail(std::string(when) + ": " +
                std::to_string(gort::num_goroutines()) +
                " goroutines alive, want " + std::to_string(want));
}

int check_leak(net::listener l) {
  const std::size_t base = gort::num_goroutines();
  gort::go(serve, l);
  auto a = check::dial_tcp("A", l.addr());
  a->expect("Waiting for a partner...");
  auto b = check::dial_tcp("B", l.addr());
  b->expect("Waiting for a partner...");
  a->expect("Found one! Say hi.\n");
  b->expect("Found one! Say hi.\n");
  check::ok(
      R"(A and B see "Waiting for a partner..." and "Found one! Say hi.")");
  a->say("hello from A\n");
  b->expect("hello from A\n");
  b->say("hi from B\n");
  a->expect("hi from B\n");
  check::ok("A and B see each other's lines");
  // serve, and chat's two copies (the other match goroutine has returned).
  goroutines_are(base + 3, "while A and B chat");
  a->close();
  // The copy reading A returns, and its goroutine ends. Nothing closes B.
  goroutines_are(base + 2, "after A left");
  b->expect_open(500ms);
  goroutines_are(base + 2, "500 ms after A left");
  check::ok("A leaves: B sees no end of stream in 500 ms (nobody closed it)");
  check::ok("A leaves: 1 copy goroutine is still running, reading B (leaked)");
  b->close();
  goroutines_are(base + 1, "after B left");
  check::ok("B leaves too: only now does the leaked copy see end of stream");
  l.close();
  goroutines_are(base, "after the listener closed");
  check::ok("listener closed: no goroutine left");
  return 0;
}

int main(int argc, char** argv) {
  const check::options o = check::parse(argc, argv, "localhost:4000");
  return gort::run([&] {
    auto [l, err] = net::listen("tcp", o.addr);
    if (err) check::fail("listen " + o.addr + ": " + err.message());
    if (o.check) return check_leak(l);
    check::ok("listening on " + l.addr());
    serve(l);
    return 1;
  });
}
