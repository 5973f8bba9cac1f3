// gort/http.hpp: HTTP/1.1 and WebSocket over gort::net, with Boost.Beast
// parsing and serialising messages (netpoll.md 5.4). The shapes are Go's
// net/http and golang.org/x/net/websocket, cut to what a service needs:
//
//   gort::http::serve_mux mux;
//   mux.handle("/", [](gort::http::response_writer& w,
//                      const gort::http::request& r) {
//     w.header().set("Content-Type", "text/plain");
//     w.write("hello, " + r.path + "\n");
//   });
//   auto [ln, err] = gort::net::listen("tcp", "127.0.0.1:8080");
//   gort::http::server srv(mux);
//   srv.serve(ln);                    // until srv.shutdown(ctx) or close()
//
//   auto [resp, gerr] = gort::http::get(ctx, "http://127.0.0.1:8080/x");
//   // resp.status == 200, resp.status_line() == "200 OK", resp.body
//
// The server runs one goroutine per connection, which reads a request,
// calls the handler, writes the response and, on a keep-alive connection,
// reads the next one. Everything waits on the poller: a stalled peer parks
// one goroutine and costs nothing else. Bad input ends that connection
// only: a malformed request gets "400 Bad Request", an oversized header
// "431 Request Header Fields Too Large", an oversized body "413 Request Entity
// Too Large", a peer that stalls past read_header_timeout or read_timeout is
// closed, a reset ends the connection's goroutine; the server goes on.
//
// Failures are values: result<T>{value, err} and std::error_code, with
// http::error for the protocol's own (gort::errc and the system's for the
// network's). Misuse (a nil websocket) throws usage_error. Every call works
// from a goroutine or a plain thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <gort/context.hpp>
#include <gort/io.hpp>
#include <gort/net.hpp>

namespace gort::http {

using net::io_result;
using net::result;

// error is what the HTTP and WebSocket code reports on its own; messages
// follow Go's where Go has one ("http: Server closed").
enum class error {
  bad_url = 1,         // not scheme://host[:port][/path]
  unsupported_scheme,  // not http:// (ws:// for websocket::dial)
  too_many_redirects,  // more than client_options::max_redirects
  malformed,           // a message that is not HTTP/1.x
  header_too_large,    // past max_header_bytes
  body_too_large,      // past max_body_bytes
  server_closed,       // serve() after shutdown() or close()
  not_websocket,       // accept() of a request that is not an upgrade
  bad_handshake,       // the peer's handshake is wrong
  bad_frame,           // a WebSocket frame that breaks RFC 6455
  message_too_large,   // past websocket_options::max_message_bytes
};
const std::error_category& http_category() noexcept;
inline std::error_code make_error_code(error e) noexcept {
  return {static_cast<int>(e), http_category()};
}

}  // namespace gort::http

template <>
struct std::is_error_code_enum<gort::http::error> : std::true_type {};

namespace gort::http {

// header holds fields in arrival order; names compare without regard to
// case, as Go's canonical keys do.
class header {
 public:
  using field = std::pair<std::string, std::string>;
  // get returns the first value of name, or "" if there is none.
  std::string_view get(std::string_view name) const noexcept;
  bool has(std::string_view name) const noexcept;
  // set replaces every value of name with value; add appends one more.
  void set(std::string_view name, std::string_view value);
  void add(std::string_view name, std::string_view value);
  void del(std::string_view name) noexcept;
  std::size_t size() const noexcept { return fields_.size(); }
  auto begin() const noexcept { return fields_.begin(); }
  auto end() const noexcept { return fields_.end(); }

 private:
  std::vector<field> fields_;
};

// status_text is Go's StatusText: "Not Found" for 404, "" if unknown.
std::string_view status_text(int code) noexcept;

// request is what a handler receives, fully read (the body included).
struct request {
  std::string method;   // "GET"
  std::string target;   // as sent: "/path?q=1"
  std::string path;     // the target before '?': "/path"
  std::string query;    // after '?': "q=1"
  int version = 11;     // 10 or 11
  http::header header;  // the request's fields
  std::string host;     // the Host field
  std::string body;
  std::string remote_addr;  // "127.0.0.1:50312"
  // ctx is the server's: cancelled when close() runs (Go's r.Context(),
  // less the client-gone signal).
  gort::context ctx = gort::context::background();
};

namespace detail {
struct server_conn;
}

// hijacked_conn is the connection taken from the server by
// response_writer::hijack, with the bytes already read past the request.
struct hijacked_conn {
  net::conn conn;
  std::string buffered;
};

// response_writer builds the handler's response. The server sends it when
// the handler returns, whole, with Content-Length (a HEAD response without
// the body). Header fields set after write_header still count: nothing is
// on the wire before the handler returns.
class response_writer {
 public:
  http::header& header() noexcept { return header_; }
  // write_header sets the status (200 if never called); the first call
  // wins, as in Go.
  void write_header(int status) noexcept;
  // write appends to the body.
  void write(std::string_view data);
  int status() const noexcept { return status_ ? status_ : 200; }
  // hijack hands the connection to the handler (Go's Hijacker): the server
  // will neither send a response nor read from it again, and does not
  // count it in shutdown(). The handler owns closing it. Throws
  // usage_error on a second call.
  hijacked_conn hijack();
  bool hijacked() const noexcept { return hijacked_; }

 private:
  friend class server;
  explicit response_writer(detail::server_conn* c) noexcept : c_(c) {}
  detail::server_conn* c_;
  http::header header_;
  std::string body_;
  int status_ = 0;
  bool hijacked_ = false;
};

// handler serves one request. An exception that escapes it is caught by
// the server: "500 Internal Server Error" if nothing was sent, and the
// connection is closed (Go recovers a handler's panic the same way).
using handler = std::function<void(response_writer&, const request&)>;

// serve_mux is Go's ServeMux: a pattern ending in '/' matches every path
// under it, another matches exactly; the longest match wins; nothing
// matched: "404 page not found". A request for "/dir" when only "/dir/"
// is registered is redirected there (301). Register before serving.
class serve_mux {
 public:
  // handle registers h for pattern (which must start with '/'). Throws
  // usage_error for a pattern registered twice or an empty handler.
  void handle(std::string pattern, handler h);
  void operator()(response_writer& w, const request& r) const;

 private:
  std::vector<std::pair<std::string, handler>> routes_;
};

// not_found writes Go's 404 reply.
void not_found(response_writer& w, const request& r);

// redirect writes a redirect to url with code (301, 302, 307, 308).
void redirect(response_writer& w, std::string_view url, int code);

struct server_options {
  // Zero is no limit. read_header_timeout bounds the wait for a request's
  // header (from the first byte or, between keep-alive requests, from the
  // previous response); read_timeout the whole request; write_timeout
  // writing the response; idle_timeout the wait for the next request on
  // a keep-alive connection (read_timeout if zero), as in Go.
  std::chrono::nanoseconds read_header_timeout{0};
  std::chrono::nanoseconds read_timeout{0};
  std::chrono::nanoseconds write_timeout{0};
  std::chrono::nanoseconds idle_timeout{0};
  std::size_t max_header_bytes = 1 << 20;  // Go's DefaultMaxHeaderBytes
  std::size_t max_body_bytes = 10 << 20;
};

// server serves HTTP/1.1 on listeners, one goroutine per connection.
class server {
 public:
  explicit server(handler h, server_options o = {});
  ~server();  // close()s, then waits for the connection goroutines
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  // serve accepts on ln until shutdown() or close(), then returns
  // error::server_closed; another accept error ends it too (with that
  // error), after closing ln. Several serve() calls may run at once.
  std::error_code serve(net::listener ln);

  // shutdown is Go's Shutdown: it closes the listeners, closes idle
  // connections, and waits for the active ones to finish their request
  // and close. If ctx ends first it returns ctx.err() and the rest go on
  // (close() ends them). Hijacked connections are not waited for.
  std::error_code shutdown(const context& ctx);

  // close closes the listeners and every connection now; handlers see
  // their request's ctx cancelled. It waits for the connection goroutines.
  std::error_code close();

  // connections counts the connections being served (hijacked excluded).
  std::size_t connections() const noexcept;

 private:
  struct state;
  std::shared_ptr<state> s_;
};

// serve runs a server on ln until ctx ends, then shuts it down gracefully
// (active requests finish; grace bounds the wait, then the rest are
// closed). Returns the first error other than the shutdown's own.
std::error_code serve(const context& ctx, net::listener ln, handler h,
                      server_options o = {},
                      std::chrono::nanoseconds grace = std::chrono::seconds(5));

// response is what a client call returns: the status, the fields and the
// whole body (none for HEAD).
struct response {
  int status = 0;      // 200
  std::string reason;  // "OK", as the server sent it
  int version = 11;
  http::header header;
  std::string body;
  std::string url;  // the final URL, after redirects
  // status_line is Go's resp.Status: "200 OK".
  std::string status_line() const;
};

struct client_options {
  int max_redirects = 10;                 // Go's default policy
  std::size_t max_body_bytes = 64 << 20;  // a larger body: body_too_large
  std::size_t max_header_bytes = 1 << 20;
  std::size_t max_idle_per_host = 2;  // Go's DefaultMaxIdleConnsPerHost
};

// client is Go's http.Client with its Transport: it follows redirects
// (301, 302, 303 as GET; 307 and 308 keeping the method), and keeps idle
// keep-alive connections per host for reuse. Safe for many goroutines.
// Only http:// is supported. The context bounds the whole call, redirects
// included: its deadline is the call's timeout (Go's Client.Timeout).
class client {
 public:
  explicit client(client_options o = {});
  ~client();
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  result<response> get(const context& ctx, std::string_view url);
  result<response> head(const context& ctx, std::string_view url);
  // send makes any request; body is sent with Content-Length.
  result<response> send(const context& ctx, std::string_view method,
                        std::string_view url, const http::header& h = {},
                        std::string_view body = {});
  // close_idle_connections closes the kept connections.
  void close_idle_connections();

 private:
  struct state;
  std::unique_ptr<state> s_;
};

// get and head use a process-wide client (Go's DefaultClient).
result<response> get(const context& ctx, std::string_view url);
result<response> head(const context& ctx, std::string_view url);
result<response> get(std::string_view url);
result<response> head(std::string_view url);

struct websocket_options {
  std::size_t max_message_bytes = 16 << 20;  // a larger message: error
  std::string origin;  // dial: the Origin field, if not empty
};

// message is one WebSocket data message.
struct message {
  std::string data;
  bool binary = false;
};

namespace detail {
struct ws_state;
}

// websocket is one end of a WebSocket connection (RFC 6455), a copyable
// handle like net::conn: one goroutine may read while another writes and
// a third closes. It is also an io::read_write_closer, as x/net's
// websocket.Conn is: write sends one text message per call, read returns
// the bytes of the message in progress across calls, then of the next.
// Pings are answered while reading; a close from the peer is answered and
// reads then return errc::eof.
class websocket final : public io::read_write_closer {
 public:
  websocket() noexcept = default;  // nil: operations throw usage_error

  // accept upgrades a request inside a handler: it checks the handshake,
  // hijacks w and sends "101 Switching Protocols". A request that is no
  // upgrade gets "400 Bad Request" and error::not_websocket.
  static result<websocket> accept(response_writer& w, const request& r,
                                  websocket_options o = {});
  // dial connects to url ("ws://host:port/path") and makes the handshake;
  // ctx bounds both.
  static result<websocket> dial(const context& ctx, std::string_view url,
                                websocket_options o = {});

  // read_message returns the next whole message (fragments joined).
  result<message> read_message() const;
  // write_message sends data as one message (text unless binary).
  std::error_code write_message(std::string_view data,
                                bool binary = false) const;

  io_result read(std::span<char> buf) override;
  io_result write(std::string_view buf) override;
  // close sends a close frame (1000, normal closure) if none was sent and
  // closes the connection, waking a blocked read with errc::closed.
  std::error_code close() override;

  // The underlying connection, for deadlines and addresses.
  const net::conn& conn() const;
  explicit operator bool() const noexcept { return s_ != nullptr; }
  friend bool operator==(const websocket& a, const websocket& b) noexcept {
    return a.s_ == b.s_;
  }

 private:
  explicit websocket(std::shared_ptr<detail::ws_state> s) noexcept
      : s_(std::move(s)) {}
  std::shared_ptr<detail::ws_state> s_;
};

}  // namespace gort::http
