// gort's HTTP hello server for tools/net_bench.sh, beside Go's net/http
// one (tests/bench/go/http_server): gort::http::server (Boost.Beast's
// parser and serializer over gort::net, a goroutine per connection,
// keep-alive), "Hello, World!" as text/plain, as Go's handler writes it.
// Prints "LISTEN 127.0.0.1:<port>". Usage: http_server <procs>.
#include <gort/http.hpp>

#include "net/server.hpp"

namespace http = gort::http;

int main(int argc, char** argv) {
  return gort::run([argc, argv] {
    gort::net::listener ln = gort_bench::listen_announced(argc, argv);
    http::server srv([](http::response_writer& w, const http::request&) {
      w.header().set("Content-Type", "text/plain");
      w.write("Hello, World!");
    });
    return srv.serve(ln) ? 1 : 0;
  });
}
