// The echo server of README.md: one goroutine per connection, each parked
// on the network poller while it waits. main dials it three times at once
// and checks that every connection gets its own bytes back.
#include <gort/gort.hpp>
#include <gort/net.hpp>

#include <cstdio>
#include <string>

namespace net = gort::net;

// serve accepts until ln is closed; each connection echoes until its peer
// closes its side.
void serve(net::listener ln) {
  for (;;) {
    auto [c, err] = ln.accept();
    if (err) return;  // errc::closed: the listener was closed
    gort::go([c = c] {
      net::copy(c, c);  // read, write back, until end of stream
      c.close();
    });
  }
}

int main() {
  return gort::run([] {
    auto [ln, err] = net::listen("tcp", "127.0.0.1:0");
    if (err) return std::printf("listen: %s\n", err.message().c_str()), 1;
    gort::go(serve, ln);
    auto results = gort::make_chan<std::string>(3);
    for (const char* word : {"one", "two", "three"}) {
      gort::go([&, word] {
        auto [c, dial_err] = net::dial("tcp", ln.addr());
        if (dial_err) return results.send("dial: " + dial_err.message());
        c.write(std::string_view(word));
        c.close_write();  // end of stream: the server's copy returns
        std::string back(16, '\0');
        auto r = net::read_full(c, std::span<char>(back));
        back.resize(r.n);  // read_full ends with eof after the echo
        c.close();
        results.send(back == word ? "ok" : "wrong echo: " + back);
      });
    }
    int bad = 0;
    for (int i = 0; i < 3; ++i) {
      std::string r = *results.recv();
      bad += r != "ok";
      std::printf("%s\n", r.c_str());
    }
    ln.close();
    return bad;
  });
}
