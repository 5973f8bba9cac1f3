// gort's echo server for tools/net_bench.sh, the port of
// tests/bench/go/echo_server: a goroutine per connection reading into a
// 4 KiB buffer and writing it back. Prints "LISTEN 127.0.0.1:<port>" once
// listening. Usage: echo_server <procs>.
#include <gort/gort.hpp>
#include <gort/net.hpp>

#include <array>
#include <cstdio>
#include <cstdlib>

namespace net = gort::net;

int main(int argc, char** argv) {
  const int procs = argc > 1 ? std::atoi(argv[1]) : 1;
  return gort::run([procs] {
    gort::set_maxprocs(procs);
    auto [ln, err] = net::listen("tcp", "127.0.0.1:0");
    if (err) {
      std::fprintf(stderr, "listen: %s\n", err.message().c_str());
      return 1;
    }
    std::printf("LISTEN %s\n", ln.addr().c_str());
    std::fflush(stdout);
    for (;;) {
      auto [c, accept_err] = ln.accept();
      if (accept_err) continue;  // EMFILE and the like: keep serving
      gort::go([c = c] {
        std::array<char, 4096> buf;
        for (;;) {
          auto r = c.read(std::span<char>(buf));
          if (r.err) break;
          if (c.write(std::string_view(buf.data(), r.n)).err) break;
        }
        c.close();
      });
    }
  });
}
