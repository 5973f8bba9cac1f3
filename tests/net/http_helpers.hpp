// tests/net/http_helpers.hpp: what the io, HTTP and WebSocket tests share.
// The HTTP tests check gort::http from the outside, so the helpers speak
// HTTP/1.1 and RFC 6455 themselves, byte by byte, with nothing of the
// implementation in between:
//   serving       an http::server on a loopback listener, serve() on a
//                 goroutine, its result kept for the test
//   raw_client    a net::conn that writes raw requests and parses raw
//                 responses (Content-Length, chunked, or to end of stream)
//   raw_server    an accept loop running a test's function per connection,
//                 for servers that misbehave on purpose; counts accepts
//   read_request  a raw request, parsed (for raw_server functions)
//   ws_frame / read_ws_frame   WebSocket frames, built and parsed
// Every raw read has a deadline (the watchdog), so a peer that never
// answers fails the test instead of hanging it.
//
// Example:
//   gort::run([] {
//     serving s([](http::response_writer& w, const http::request&) {
//       w.write("hi");
//     });
//     raw_client c(s.addr());
//     c.send(raw_get("/"));
//     EXPECT_EQ(c.read_response().body, "hi");
//   });
#pragma once

#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "gort/http.hpp"
#include "gort/io.hpp"
#include "gort/mutex.hpp"
#include "net/net_helpers.hpp"

namespace gort_test {

namespace http = gort::http;

inline bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// serving runs srv.serve(ln) on a goroutine for a loopback listener. stop()
// (and the destructor) close()s the server and waits for serve to return.
class serving {
 public:
  explicit serving(http::handler h, http::server_options o = {})
      : srv_(std::move(h), o),
        ln_(must(net::listen("tcp", "127.0.0.1:0"), "listen")),
        addr_(ln_.addr()) {
    done_ = go_result([this] { return srv_.serve(ln_); });
  }
  serving(const serving&) = delete;
  serving& operator=(const serving&) = delete;
  ~serving() { stop(); }

  http::server& server() noexcept { return srv_; }
  const net::listener& listener() const noexcept { return ln_; }
  const std::string& addr() const noexcept { return addr_; }
  std::string url(std::string_view path) const {
    return "http://" + addr_ + std::string(path);
  }

  // serve_result waits (the watchdog bounds it) for serve() to return and
  // gives its error; nullopt if it did not return.
  std::optional<std::error_code> serve_result() {
    if (!result_) result_ = recv_within(done_);
    return result_;
  }

  void stop() {
    if (stopped_) return;
    stopped_ = true;
    srv_.close();
    EXPECT_TRUE(serve_result().has_value()) << "serve() did not return";
  }

 private:
  http::server srv_;
  net::listener ln_;
  std::string addr_;
  gort::chan<std::error_code> done_;
  std::optional<std::error_code> result_;
  bool stopped_ = false;
};

// raw_message is a parsed HTTP/1.x request or response.
struct raw_message {
  // Start line: for a response, first = "HTTP/1.1", status and reason; for
  // a request, first = method, second = target, third = version.
  std::string first, second, third;
  int status = 0;
  std::vector<std::pair<std::string, std::string>> fields;
  std::string body;
  // err is set when the message could not be read whole (the peer closed,
  // reset, or the deadline passed); the fields read so far stay.
  std::error_code err;
  bool complete = false;

  std::string get(std::string_view name) const {
    for (const auto& [k, v] : fields)
      if (iequals(k, name)) return v;
    return {};
  }
  bool has(std::string_view name) const {
    for (const auto& f : fields)
      if (iequals(f.first, name)) return true;
    return false;
  }
  std::size_t count(std::string_view name) const {
    return static_cast<std::size_t>(
        std::count_if(fields.begin(), fields.end(),
                      [&](const auto& f) { return iequals(f.first, name); }));
  }
  std::string reason() const { return third; }
};

// stream_reader reads a connection through a buffer, with the watchdog as
// the deadline of every read.
class stream_reader {
 public:
  explicit stream_reader(net::conn c) : c_(std::move(c)) {}

  const net::conn& conn() const noexcept { return c_; }
  std::string& buffered() noexcept { return buf_; }

  // fill reads once more into the buffer; false (and err()) on an error.
  bool fill() {
    c_.set_read_deadline(std::chrono::steady_clock::now() + watchdog);
    char tmp[16 * 1024];
    const auto r = c_.read(std::span<char>(tmp, sizeof tmp));
    buf_.append(tmp, r.n);
    if (r.err) err_ = r.err;
    return r.n > 0 || !r.err;
  }
  std::error_code err() const noexcept { return err_; }

  // line reads through the next "\r\n" and returns the line without it;
  // nullopt if the stream ended first.
  std::optional<std::string> line() {
    for (;;) {
      const std::size_t at = buf_.find("\r\n");
      if (at != std::string::npos) {
        std::string l = buf_.substr(0, at);
        buf_.erase(0, at + 2);
        return l;
      }
      if (!fill()) return std::nullopt;
    }
  }
  // take reads exactly n bytes; nullopt if the stream ended first.
  std::optional<std::string> take(std::size_t n) {
    while (buf_.size() < n)
      if (!fill()) return std::nullopt;
    std::string out = buf_.substr(0, n);
    buf_.erase(0, n);
    return out;
  }
  // rest reads to the end of the stream and returns the bytes.
  std::string rest() {
    while (fill()) {
    }
    return std::exchange(buf_, {});
  }

  // read_message reads one message. head: a response to HEAD (no body);
  // request: parse a request (no body without Content-Length).
  raw_message read_message(bool head = false, bool request = false) {
    raw_message m;
    auto start = line();
    // Tolerate empty lines before a message (RFC 9112 2.2).
    while (start && start->empty()) start = line();
    if (!start) return fail(m);
    const std::size_t sp1 = start->find(' ');
    const std::size_t sp2 =
        sp1 == std::string::npos ? sp1 : start->find(' ', sp1 + 1);
    m.first = start->substr(0, sp1);
    if (sp1 != std::string::npos)
      m.second =
          start->substr(sp1 + 1, sp2 == std::string::npos ? std::string::npos
                                                          : sp2 - sp1 - 1);
    if (sp2 != std::string::npos) m.third = start->substr(sp2 + 1);
    if (!request) m.status = std::atoi(m.second.c_str());
    for (;;) {
      auto l = line();
      if (!l) return fail(m);
      if (l->empty()) break;
      const std::size_t colon = l->find(':');
      std::string name = l->substr(0, colon);
      std::string value =
          colon == std::string::npos ? "" : l->substr(colon + 1);
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
        value.erase(0, 1);
      while (!value.empty() && (value.back() == ' ' || value.back() == '\t'))
        value.pop_back();
      m.fields.emplace_back(std::move(name), std::move(value));
    }
    const bool no_body = head || (m.status >= 100 && m.status < 200) ||
                         m.status == 204 || m.status == 304;
    if (!no_body && iequals(m.get("Transfer-Encoding"), "chunked")) {
      for (;;) {
        auto size_line = line();
        if (!size_line) return fail(m);
        const std::size_t n = std::strtoul(size_line->c_str(), nullptr, 16);
        if (n == 0) {
          for (;;) {  // trailer
            auto t = line();
            if (!t) return fail(m);
            if (t->empty()) break;
          }
          break;
        }
        auto chunk = take(n + 2);
        if (!chunk) return fail(m);
        m.body.append(*chunk, 0, n);
      }
    } else if (!no_body && m.has("Content-Length")) {
      const std::size_t n =
          std::strtoul(m.get("Content-Length").c_str(), nullptr, 10);
      auto body = take(n);
      if (!body) return fail(m);
      m.body = std::move(*body);
    } else if (!no_body && !request) {
      m.body = rest();  // delimited by the end of the stream
    }
    m.complete = true;
    return m;
  }

  // wait_end reads until the peer ends the stream (eof, or a reset) and
  // returns the bytes that came first; err() says how it ended (timeout if
  // the watchdog expired first).
  std::string wait_end() { return rest(); }

 private:
  raw_message& fail(raw_message& m) {
    m.err = err_ ? err_ : gort::errc::unexpected_eof;
    return m;
  }
  net::conn c_;
  std::string buf_;
  std::error_code err_;
};

// raw_client is a client connection that speaks raw HTTP.
class raw_client : public stream_reader {
 public:
  explicit raw_client(const std::string& addr)
      : stream_reader(must(net::dial("tcp", addr), "dial")) {}
  explicit raw_client(net::conn c) : stream_reader(std::move(c)) {}
  raw_client(const raw_client&) = delete;
  raw_client& operator=(const raw_client&) = delete;
  ~raw_client() { conn().close(); }

  // send writes bytes; false if not all went.
  bool send(std::string_view bytes) {
    const auto w = conn().write(bytes);
    return !w.err && w.n == bytes.size();
  }
  raw_message read_response(bool head = false) {
    return read_message(head, false);
  }
  // closed_by_peer reads to the end and says whether the peer ended the
  // stream (eof or a reset), as opposed to the watchdog expiring.
  bool closed_by_peer() {
    rest();
    return err() && err() != gort::errc::timeout;
  }
  // reset closes with SO_LINGER 0: the peer gets a RST, not a FIN.
  void reset() {
    const ::linger l{1, 0};
    ::setsockopt(conn().fd(), SOL_SOCKET, SO_LINGER, &l, sizeof l);
    conn().close();
  }
};

// raw_request builds "METHOD target HTTP/1.1" with a Host field, the extra
// fields (each "Name: value\r\n") and, if body is not empty or method is
// POST or PUT, Content-Length and the body.
inline std::string raw_request(std::string_view method, std::string_view target,
                               std::string_view fields = {},
                               std::string_view body = {}) {
  std::string r = std::string(method) + " " + std::string(target) +
                  " HTTP/1.1\r\nHost: gort.test\r\n" + std::string(fields);
  if (!body.empty() || method == "POST" || method == "PUT")
    r += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  r += "\r\n";
  r += body;
  return r;
}
inline std::string raw_get(std::string_view target,
                           std::string_view fields = {}) {
  return raw_request("GET", target, fields);
}

// raw_response_text builds a whole response with Content-Length.
inline std::string raw_response_text(int status, std::string_view reason,
                                     std::string_view fields = {},
                                     std::string_view body = {}) {
  return "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) +
         "\r\n" + std::string(fields) +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
         std::string(body);
}

// raw_server accepts on loopback and runs serve(reader) on a goroutine per
// connection. stop() (and the destructor) closes the listener and every
// accepted connection, and waits for the goroutines.
class raw_server {
 public:
  using serve_fn = std::function<void(stream_reader&)>;
  explicit raw_server(serve_fn serve)
      : serve_(std::move(serve)),
        ln_(must(net::listen("tcp", "127.0.0.1:0"), "listen")),
        addr_(ln_.addr()) {
    wg_.add(1);
    gort::go([this] { accept_loop(); });
  }
  raw_server(const raw_server&) = delete;
  raw_server& operator=(const raw_server&) = delete;
  ~raw_server() { stop(); }

  const std::string& addr() const noexcept { return addr_; }
  std::string url(std::string_view path) const {
    return "http://" + addr_ + std::string(path);
  }
  std::size_t accepted() const noexcept { return accepted_.load(); }

  void stop() {
    if (stopped_.exchange(true)) return;
    ln_.close();
    {
      std::lock_guard lk(mu_);
      for (const auto& c : conns_) c.close();
    }
    wg_.wait();
  }

 private:
  void accept_loop() {
    for (;;) {
      auto [c, err] = ln_.accept();
      if (err) break;
      accepted_.fetch_add(1);
      {
        std::lock_guard lk(mu_);
        conns_.push_back(c);
        if (stopped_.load()) c.close();
      }
      wg_.add(1);
      gort::go([this, c = c] {
        stream_reader r(c);
        serve_(r);
        c.close();
        wg_.done();
      });
    }
    wg_.done();
  }

  serve_fn serve_;
  net::listener ln_;
  std::string addr_;
  std::atomic<std::size_t> accepted_{0};
  gort::mutex mu_;
  std::vector<net::conn> conns_;  // protected by mu_
  gort::wait_group wg_;
  std::atomic<bool> stopped_{false};
};

// read_request reads one request on a raw_server connection.
inline raw_message read_request(stream_reader& r) {
  return r.read_message(false, true);
}

// RFC 6455 opcodes.
enum ws_op : std::uint8_t {
  ws_continuation = 0x0,
  ws_text = 0x1,
  ws_binary = 0x2,
  ws_close = 0x8,
  ws_ping = 0x9,
  ws_pong = 0xA,
};

// ws_frame builds one frame; a client's frames are masked (RFC 6455 5.3).
inline std::string ws_frame(std::uint8_t opcode, std::string_view payload,
                            bool fin = true, bool masked = true,
                            std::uint32_t key = 0x37fa213d) {
  std::string f;
  f += static_cast<char>((fin ? 0x80 : 0) | (opcode & 0x0f));
  const std::uint8_t mbit = masked ? 0x80 : 0;
  const std::size_t n = payload.size();
  if (n < 126) {
    f += static_cast<char>(mbit | n);
  } else if (n <= 0xffff) {
    f += static_cast<char>(mbit | 126);
    f += static_cast<char>(n >> 8);
    f += static_cast<char>(n & 0xff);
  } else {
    f += static_cast<char>(mbit | 127);
    for (int i = 7; i >= 0; --i) f += static_cast<char>((n >> (8 * i)) & 0xff);
  }
  const char mask[4] = {static_cast<char>(key >> 24),
                        static_cast<char>(key >> 16),
                        static_cast<char>(key >> 8), static_cast<char>(key)};
  if (masked) f.append(mask, 4);
  for (std::size_t i = 0; i < n; ++i)
    f += masked ? static_cast<char>(payload[i] ^ mask[i % 4]) : payload[i];
  return f;
}

// ws_raw_frame is a parsed frame, unmasked.
struct ws_raw_frame {
  bool fin = false;
  std::uint8_t opcode = 0;
  bool masked = false;
  std::uint64_t length = 0;  // as the header said
  int length_code = 0;       // the 7-bit field: n, 126 or 127
  std::string payload;
  bool ok = false;  // false: the stream ended first
};

inline ws_raw_frame read_ws_frame(stream_reader& r) {
  ws_raw_frame f;
  auto h = r.take(2);
  if (!h) return f;
  const auto b0 = static_cast<std::uint8_t>((*h)[0]);
  const auto b1 = static_cast<std::uint8_t>((*h)[1]);
  f.fin = (b0 & 0x80) != 0;
  f.opcode = b0 & 0x0f;
  f.masked = (b1 & 0x80) != 0;
  std::uint64_t n = b1 & 0x7f;
  f.length_code = static_cast<int>(n);
  if (n == 126 || n == 127) {
    auto ext = r.take(n == 126 ? 2 : 8);
    if (!ext) return f;
    n = 0;
    for (const char ch : *ext) n = (n << 8) | static_cast<std::uint8_t>(ch);
  }
  f.length = n;
  std::string mask;
  if (f.masked) {
    auto m = r.take(4);
    if (!m) return f;
    mask = *m;
  }
  auto p = r.take(static_cast<std::size_t>(n));
  if (!p) return f;
  f.payload = std::move(*p);
  if (f.masked)
    for (std::size_t i = 0; i < f.payload.size(); ++i)
      f.payload[i] = static_cast<char>(f.payload[i] ^ mask[i % 4]);
  f.ok = true;
  return f;
}

// RFC 6455 1.3's sample handshake: this key must get this accept value.
inline constexpr std::string_view ws_sample_key = "dGhlIHNhbXBsZSBub25jZQ==";
inline constexpr std::string_view ws_sample_accept =
    "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

// ws_upgrade_request is a client's opening handshake for target.
inline std::string ws_upgrade_request(std::string_view target) {
  return raw_get(target,
                 "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                 "Sec-WebSocket-Key: " +
                     std::string(ws_sample_key) +
                     "\r\nSec-WebSocket-Version: 13\r\n");
}

}  // namespace gort_test
