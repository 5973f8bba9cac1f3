// gort's echo server for tools/net_bench.sh, the port of
// tests/bench/go/echo_server: a goroutine per connection reading into a
// 4 KiB buffer and writing it back. Prints "LISTEN 127.0.0.1:<port>" once
// listening. Usage: echo_server <procs>.
#include <array>

#include "net/server.hpp"

int main(int argc, char** argv) {
  return gort_bench::serve_forever(argc, argv, [](gort::net::conn c) {
    std::array<char, 4096> buf;
    for (;;) {
      auto r = c.read(std::span<char>(buf));
      if (r.err) break;
      if (c.write(std::string_view(buf.data(), r.n)).err) break;
    }
    c.close();
  });
}
