// gort's HTTP hello server for tools/net_bench.sh, beside Go's net/http
// one (tests/bench/go/http_server): Boost.Beast's HTTP/1.1 parser and
// serializer over a gort::net::conn (beast_stream.hpp), a goroutine per
// connection, keep-alive, "Hello, World!" as text/plain. Prints
// "LISTEN 127.0.0.1:<port>". Usage: http_server <procs>.
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <memory>

#include "net/beast_stream.hpp"
#include "net/server.hpp"

namespace http = boost::beast::http;
namespace net = gort::net;

namespace {

void serve(net::conn c) {
  // On the heap: a goroutine's stack is 64 KiB.
  auto s = std::make_unique<gort_bench::beast_stream>(c);
  auto buf = std::make_unique<boost::beast::flat_buffer>();
  for (;;) {
    http::request<http::empty_body> req;
    boost::system::error_code ec;
    http::read(*s, *buf, req, ec);
    if (ec) break;
    http::response<http::string_body> res{http::status::ok, req.version()};
    res.set(http::field::content_type, "text/plain");
    res.body() = "Hello, World!";
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    http::write(*s, res, ec);
    if (ec || !req.keep_alive()) break;
  }
  c.close();
}

}  // namespace

int main(int argc, char** argv) {
  return gort_bench::serve_forever(argc, argv, serve);
}
