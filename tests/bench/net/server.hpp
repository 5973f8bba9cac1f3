// tests/bench/net/server.hpp: what gort's benchmark servers share: the
// processor count from argv[1], a listener on 127.0.0.1:0 announced as
// "LISTEN 127.0.0.1:<port>" on stdout (tools/net_bench.sh reads it), and an
// accept loop that hands each connection to its own goroutine.
#pragma once

#include <gort/gort.hpp>
#include <gort/net.hpp>

#include <cstdio>
#include <cstdlib>

namespace gort_bench {

// listen_announced sets the processors from argv[1] (default 1), listens
// on 127.0.0.1:0 and prints "LISTEN <addr>" for the load generator.
inline gort::net::listener listen_announced(int argc, char** argv) {
  gort::set_maxprocs(argc > 1 ? std::atoi(argv[1]) : 1);
  auto [ln, err] = gort::net::listen("tcp", "127.0.0.1:0");
  if (err) {
    std::fprintf(stderr, "listen: %s\n", err.message().c_str());
    std::exit(1);
  }
  std::printf("LISTEN %s\n", ln.addr().c_str());
  std::fflush(stdout);
  return ln;
}

// serve_forever runs the server: serve(conn) in a goroutine per connection.
template <typename Serve>
int serve_forever(int argc, char** argv, Serve serve) {
  return gort::run([argc, argv, serve] {
    gort::net::listener ln = listen_announced(argc, argv);
    for (;;) {
      auto [c, accept_err] = ln.accept();
      if (!accept_err) gort::go(serve, c);  // EMFILE and the like: go on
    }
    return 0;
  });
}

}  // namespace gort_bench
