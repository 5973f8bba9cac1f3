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

// serve_forever runs the server: serve(conn) in a goroutine per connection.
template <typename Serve>
int serve_forever(int argc, char** argv, Serve serve) {
  const int procs = argc > 1 ? std::atoi(argv[1]) : 1;
  return gort::run([procs, serve] {
    gort::set_maxprocs(procs);
    auto [ln, err] = gort::net::listen("tcp", "127.0.0.1:0");
    if (err) {
      std::fprintf(stderr, "listen: %s\n", err.message().c_str());
      return 1;
    }
    std::printf("LISTEN %s\n", ln.addr().c_str());
    std::fflush(stdout);
    for (;;) {
      auto [c, accept_err] = ln.accept();
      if (!accept_err) gort::go(serve, c);  // EMFILE and the like: go on
    }
  });
}

}  // namespace gort_bench
