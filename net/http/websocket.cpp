// net/http/websocket.cpp: gort::http::websocket, RFC 6455 over a
// gort::net::conn. Beast reads and writes the HTTP handshake and computes
// its keys; the frames are coded here, because Beast's synchronous
// websocket::stream allows no read concurrent with a write, and a chat
// server reads and writes one socket from two goroutines.
//
// Invariants:
//   W1. Reads are under rmu, whole frames at a time; rbuf holds bytes read
//       past the last frame (at first, what the handshake read past its
//       header). Only the reader touches rbuf, pending and ended.
//   W2. Writes are under wmu, a whole frame per write call on the conn, so
//       the reader's pongs and close replies never split a data frame.
//   W3. close_sent is set under wmu by the first close frame written
//       (ours or the reply to the peer's); after it only the connection's
//       close is left: data writes return errc::closed.
//   W4. Client frames are masked and server frames are not; a frame
//       masked the wrong way, a reserved bit, an unknown opcode, a
//       fragmented or long control frame, or a continuation out of place
//       is a protocol error: close 1002, error::bad_frame.
// Lock order: rmu before wmu (a reader answering a ping); never the
// reverse.
#include <gort/http.hpp>

#include <gort/errors.hpp>
#include <gort/mutex.hpp>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <random>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/detail/hybi13.hpp>
#include <boost/beast/websocket/detail/hybi13.ipp>

#include "net/internal/http_wire.hpp"

namespace gort::http {

namespace bhttp = boost::beast::http;
namespace bws = boost::beast::websocket::detail;

namespace detail {

enum opcode : unsigned char {
  op_cont = 0x0,
  op_text = 0x1,
  op_binary = 0x2,
  op_close = 0x8,
  op_ping = 0x9,
  op_pong = 0xa,
};

struct frame {
  bool fin = false;
  unsigned char op = 0;
  std::string payload;
};

struct ws_state {
  net::conn c;
  bool client = false;  // W4: we mask
  websocket_options o;
  gort::mutex rmu;  // W1
  std::string rbuf;
  std::size_t roff = 0;
  std::string pending;  // the message io::read is returning
  std::size_t poff = 0;
  std::error_code ended;    // the read side's end, sticky
  gort::mutex wmu;          // W2
  bool close_sent = false;  // W3

  std::error_code need(std::size_t n);
  std::error_code read_frame(frame& f);
  std::error_code write_frame(unsigned char op, std::string_view data);
  std::error_code fail(std::uint16_t code, std::error_code e);
  result<message> read_message_locked();
};

namespace {

std::uint32_t mask_key() {
  thread_local std::mt19937 g{std::random_device{}()};
  return static_cast<std::uint32_t>(g());
}

void apply_mask(char* p, std::size_t n, const unsigned char key[4],
                std::size_t phase = 0) {
  for (std::size_t i = 0; i < n; ++i)
    p[i] ^= static_cast<char>(key[(i + phase) & 3]);
}

}  // namespace

std::error_code ws_state::need(std::size_t n) {
  if (roff > 0 && roff == rbuf.size()) rbuf.clear(), roff = 0;
  if (roff > 64 * 1024) rbuf.erase(0, roff), roff = 0;
  while (rbuf.size() - roff < n) {
    const std::size_t have = rbuf.size();
    const std::size_t want =
        std::max<std::size_t>(n - (have - roff), 16 * 1024);
    rbuf.resize(have + want);
    net::io_result r = c.read(std::span<char>(rbuf.data() + have, want));
    rbuf.resize(have + r.n);
    if (r.err)
      return r.err == errc::eof && have - roff + r.n > 0
                 ? make_error_code(errc::unexpected_eof)
                 : r.err;
  }
  return {};
}

std::error_code ws_state::read_frame(frame& f) {
  if (std::error_code e = need(2)) return e;
  const auto b0 = static_cast<unsigned char>(rbuf[roff]);
  const auto b1 = static_cast<unsigned char>(rbuf[roff + 1]);
  f.fin = (b0 & 0x80) != 0;
  f.op = b0 & 0x0f;
  const bool masked = (b1 & 0x80) != 0;
  std::uint64_t len = b1 & 0x7f;
  std::size_t hdr = 2;
  if ((b0 & 0x70) != 0 || masked == client) return error::bad_frame;  // W4
  const bool control = (f.op & 0x8) != 0;
  if (f.op != op_cont && f.op != op_text && f.op != op_binary &&
      f.op != op_close && f.op != op_ping && f.op != op_pong)
    return error::bad_frame;
  if (control && (!f.fin || len > 125)) return error::bad_frame;
  if (len >= 126) {
    const std::size_t ext = len == 126 ? 2 : 8;
    if (std::error_code e = need(hdr + ext)) return e;
    len = 0;
    for (std::size_t i = 0; i < ext; ++i)
      len = len << 8 | static_cast<unsigned char>(rbuf[roff + hdr + i]);
    if (len >> 63) return error::bad_frame;
    hdr += ext;
  }
  if (len > o.max_message_bytes) return error::message_too_large;
  unsigned char key[4] = {};
  if (masked) {
    if (std::error_code e = need(hdr + 4)) return e;
    std::memcpy(key, rbuf.data() + roff + hdr, 4);
    hdr += 4;
  }
  if (std::error_code e = need(hdr + len)) return e;
  f.payload.assign(rbuf, roff + hdr, len);
  if (masked) apply_mask(f.payload.data(), f.payload.size(), key);
  roff += hdr + len;
  return {};
}

std::error_code ws_state::write_frame(unsigned char op, std::string_view data) {
  std::lock_guard g(wmu);
  if (close_sent) return errc::closed;  // W3
  if (op == op_close) close_sent = true;
  std::string out;
  out.reserve(14 + data.size());
  out.push_back(static_cast<char>(0x80 | op));
  const unsigned char m = client ? 0x80 : 0;
  if (data.size() < 126) {
    out.push_back(static_cast<char>(m | data.size()));
  } else if (data.size() <= 0xffff) {
    out.push_back(static_cast<char>(m | 126));
    out.push_back(static_cast<char>(data.size() >> 8));
    out.push_back(static_cast<char>(data.size() & 0xff));
  } else {
    out.push_back(static_cast<char>(m | 127));
    for (int i = 7; i >= 0; --i)
      out.push_back(
          static_cast<char>((std::uint64_t{data.size()} >> (8 * i)) & 0xff));
  }
  const std::size_t at = out.size() + (client ? 4 : 0);
  if (client) {
    const std::uint32_t k = mask_key();
    unsigned char key[4];
    std::memcpy(key, &k, 4);
    out.append(reinterpret_cast<const char*>(key), 4);
    out.append(data);
    apply_mask(out.data() + at, data.size(), key);
  } else {
    out.append(data);
  }
  return c.write(std::string_view(out)).err;
}

// fail ends the connection after a protocol error: close frame, close.
std::error_code ws_state::fail(std::uint16_t code, std::error_code e) {
  const char body[2] = {static_cast<char>(code >> 8),
                        static_cast<char>(code & 0xff)};
  write_frame(op_close, std::string_view(body, 2));
  c.close();
  ended = e;
  return e;
}

result<message> ws_state::read_message_locked() {
  message msg;
  bool started = false;
  for (;;) {
    if (ended) return {{}, ended};
    frame f;
    if (std::error_code e = read_frame(f)) {
      if (e == error::bad_frame) return {{}, fail(1002, e)};
      if (e == error::message_too_large) return {{}, fail(1009, e)};
      return {{}, e};
    }
    switch (f.op) {
      case op_ping:
        write_frame(op_pong, f.payload);  // lock order: rmu, then wmu
        continue;
      case op_pong:
        continue;
      case op_close: {
        // Echo the peer's status code (1000 if it sent none), then close.
        // If our close frame went first, this is the peer's reply and
        // close() is under way: it closes the connection (W3).
        std::string reply = f.payload.size() >= 2 ? f.payload.substr(0, 2)
                                                  : std::string("\x03\xe8", 2);
        if (write_frame(op_close, reply) == errc::closed) {
          ended = errc::closed;
          return {{}, ended};
        }
        c.close();
        ended = errc::eof;
        return {{}, ended};
      }
      case op_text:
      case op_binary:
        if (started) return {{}, fail(1002, error::bad_frame)};
        started = true;
        msg.binary = f.op == op_binary;
        msg.data = std::move(f.payload);
        break;
      default:  // op_cont
        if (!started) return {{}, fail(1002, error::bad_frame)};
        if (msg.data.size() + f.payload.size() > o.max_message_bytes)
          return {{}, fail(1009, error::message_too_large)};
        msg.data += f.payload;
        break;
    }
    if (f.fin) return {std::move(msg), {}};
  }
}

}  // namespace detail

namespace {
detail::ws_state& get(const std::shared_ptr<detail::ws_state>& s,
                      const char* op) {
  if (!s) throw usage_error(std::string("http: ") + op + " on a nil websocket");
  return *s;
}
}  // namespace

result<websocket> websocket::accept(response_writer& w, const request& r,
                                    websocket_options o) {
  const std::string_view key = r.header.get("Sec-WebSocket-Key");
  if (r.method != "GET" ||
      !detail::has_token(r.header.get("Upgrade"), "websocket") ||
      !detail::has_token(r.header.get("Connection"), "upgrade") ||
      r.header.get("Sec-WebSocket-Version") != "13" || key.size() != 24) {
    w.header().set("Sec-WebSocket-Version", "13");
    w.header().set("Content-Type", "text/plain; charset=utf-8");
    w.write_header(400);
    w.write("400 Bad Request: not a WebSocket handshake\n");
    return {{}, error::not_websocket};
  }
  bws::sec_ws_accept_type accept;
  bws::make_sec_ws_accept(accept,
                          boost::beast::string_view(key.data(), key.size()));
  hijacked_conn h = w.hijack();
  auto s = std::make_shared<detail::ws_state>();
  s->c = h.conn;
  s->rbuf = std::move(h.buffered);
  s->o = std::move(o);
  std::string reply =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
      "Connection: Upgrade\r\nSec-WebSocket-Accept: " +
      std::string(accept.data(), accept.size()) + "\r\n\r\n";
  if (auto wr = s->c.write(std::string_view(reply)); wr.err) {
    s->c.close();
    return {{}, wr.err};
  }
  return {websocket(std::move(s)), {}};
}

result<websocket> websocket::dial(const context& ctx, std::string_view url,
                                  websocket_options o) {
  detail::url u;
  if (std::error_code e = detail::parse_url(url, u, {"ws"})) return {{}, e};
  auto [c, err] = net::dial(ctx, "tcp", u.dial_address());
  if (err) return {{}, err};
  bws::sec_ws_key_type key;
  bws::make_sec_ws_key(key);
  bhttp::request<bhttp::empty_body> req{bhttp::verb::get, u.target, 11};
  req.set(bhttp::field::host, u.hostport);
  req.set(bhttp::field::upgrade, "websocket");
  req.set(bhttp::field::connection, "Upgrade");
  req.set(bhttp::field::sec_websocket_key, key);
  req.set(bhttp::field::sec_websocket_version, "13");
  if (!o.origin.empty()) req.set(bhttp::field::origin, o.origin);
  detail::stream s(c, &ctx);
  boost::system::error_code ec;
  bhttp::write(s, req, ec);
  boost::beast::flat_buffer buf;
  bhttp::response_parser<bhttp::empty_body> p;
  if (!ec) bhttp::read_header(s, buf, p, ec);
  if (ec) {
    c.close();
    return {{}, detail::to_error(ec, s)};
  }
  bws::sec_ws_accept_type want;
  bws::make_sec_ws_accept(want, key);
  const auto& m = p.get();
  if (m.result_int() != 101 ||
      !detail::has_token(detail::sv(m[bhttp::field::upgrade]), "websocket") ||
      detail::sv(m[bhttp::field::sec_websocket_accept]) !=
          std::string_view(want.data(), want.size())) {
    c.close();
    return {{}, error::bad_handshake};
  }
  auto st = std::make_shared<detail::ws_state>();
  st->c = c;
  st->client = true;
  st->o = std::move(o);
  st->rbuf.assign(static_cast<const char*>(buf.data().data()), buf.size());
  return {websocket(std::move(st)), {}};
}

result<message> websocket::read_message() const {
  detail::ws_state& s = get(s_, "read_message");
  std::lock_guard g(s.rmu);
  return s.read_message_locked();
}

std::error_code websocket::write_message(std::string_view data,
                                         bool binary) const {
  return get(s_, "write_message")
      .write_frame(binary ? detail::op_binary : detail::op_text, data);
}

io_result websocket::read(std::span<char> buf) {
  detail::ws_state& s = get(s_, "read");
  if (buf.empty()) return {};
  std::lock_guard g(s.rmu);
  while (s.poff == s.pending.size()) {  // skip empty messages
    auto [m, err] = s.read_message_locked();
    if (err) return {0, err};
    s.pending = std::move(m.data);
    s.poff = 0;
  }
  const std::size_t n = std::min(buf.size(), s.pending.size() - s.poff);
  std::memcpy(buf.data(), s.pending.data() + s.poff, n);
  s.poff += n;
  return {n, {}};
}

io_result websocket::write(std::string_view buf) {
  if (std::error_code e = write_message(buf)) return {0, e};
  return {buf.size(), {}};
}

std::error_code websocket::close() {
  detail::ws_state& s = get(s_, "close");
  s.write_frame(detail::op_close, std::string_view("\x03\xe8", 2));  // 1000
  return s.c.close();
}

const net::conn& websocket::conn() const { return get(s_, "conn").c; }

}  // namespace gort::http
