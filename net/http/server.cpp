// net/http/server.cpp: gort::http::server, the response writer and the
// mux: Go's net/http server, one goroutine per connection.
//
// A connection's goroutine loops: wait for the first byte of a request
// (the idle wait), read the header, then the body (Beast's parser, with
// the limits), call the handler, write the response whole, and go round
// again while both sides keep the connection alive. Deadlines are the
// connection's read and write deadlines, set per phase as Go sets them:
//   first byte   read_header_timeout (first request) or idle_timeout
//   header       read_header_timeout, else read_timeout, from the byte
//   body         read_timeout from the first byte
//   response     write_timeout from the handler's return
// Bad input gets Go's plain replies ("400 Bad Request", 431, 413) and the
// connection is closed; timeouts and resets close it without a reply.
//
// Shutdown. The server's state holds the listeners and the connections
// being served, each idle or active, under one mutex (mu). Invariants:
//   S1. closing is set once, under mu, before any listener or connection
//       is closed by shutdown() or close(); after it no connection is
//       registered (serve closes what it accepts) and no listener added.
//   S2. A connection is idle exactly while its goroutine waits for a
//       request's first byte or reads its header; it turns active under
//       mu once the header is read, and back to idle under mu after the
//       response, when it also checks closing: a connection that became
//       idle after shutdown began closes itself; shutdown closes the ones
//       idle when it began. So every connection ends once it is idle.
//   S3. A connection leaves conns (under mu, with a broadcast of drained)
//       when its goroutine ends or it is hijacked; shutdown and close wait
//       for conns to be empty.
// Lock order: mu, then a connection's own locks (net::conn::close is
// called under mu; it waits only for calls in flight on the connection to
// unwind, and those take no lock).
#include <gort/http.hpp>

#include <gort/cond.hpp>
#include <gort/errors.hpp>
#include <gort/mutex.hpp>
#include <gort/sched.hpp>
#include <gort/select.hpp>
#include <gort/time.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <list>
#include <mutex>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "net/internal/http_wire.hpp"

namespace gort::http {

namespace bhttp = boost::beast::http;
using steady = std::chrono::steady_clock;

namespace detail {

struct server_conn {
  net::conn c;
  stream s{c};
  boost::beast::flat_buffer buf;
  bool active = false;  // S2, under the server's mu
  bool listed = true;   // in conns (S3), under mu
  std::list<server_conn*>::iterator at;
  std::function<void()> on_hijack;  // unlists it (S3)
  explicit server_conn(net::conn cc) : c(std::move(cc)), s(c) {}
};

}  // namespace detail

struct server::state {
  handler h;
  server_options o;
  context ctx;  // requests' ctx: cancelled by close()
  cancel_func cancel;
  gort::mutex mu;
  gort::cond drained;    // conns became empty (S3)
  bool closing = false;  // S1
  std::list<net::listener> listeners;
  std::list<detail::server_conn*> conns;

  void unlist(detail::server_conn* sc) {
    std::lock_guard g(mu);
    if (!sc->listed) return;
    sc->listed = false;
    conns.erase(sc->at);
    if (conns.empty()) drained.broadcast();
  }
  bool is_closing() {
    std::lock_guard g(mu);
    return closing;
  }
  void serve_conn(detail::server_conn* sc);
  bool serve_one(detail::server_conn* sc, bool first);
};

namespace {

net::time_point after(std::chrono::nanoseconds d) {
  return d.count() > 0 ? steady::now() + d : net::time_point{};
}

// plain_reply is Go's reply to a request it cannot read:
// "HTTP/1.1 400 Bad Request" with the text as the body, then close.
void plain_reply(detail::server_conn* sc, int code,
                 std::chrono::nanoseconds wt) {
  std::string text =
      std::to_string(code) + " " + std::string(status_text(code));
  std::string msg = "HTTP/1.1 " + text +
                    "\r\nContent-Type: text/plain; charset=utf-8\r\n"
                    "Connection: close\r\n\r\n" +
                    text;
  sc->c.set_write_deadline(after(wt.count() ? wt : std::chrono::seconds(5)));
  sc->c.write(msg);
}

std::string http_date() {
  char out[64];
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(out, sizeof out, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return out;
}

}  // namespace

void response_writer::write_header(int status) noexcept {
  if (status_ == 0) status_ = status;
}

void response_writer::write(std::string_view data) {
  if (status_ == 0) status_ = 200;
  body_.append(data);
}

hijacked_conn response_writer::hijack() {
  if (hijacked_)
    throw usage_error("http: response_writer::hijack called twice");
  hijacked_ = true;
  std::string rest(static_cast<const char*>(c_->buf.data().data()),
                   c_->buf.size());
  c_->buf.consume(c_->buf.size());
  c_->on_hijack();
  return {c_->c, std::move(rest)};
}

// serve_one serves one request on sc; false: the connection is done.
bool server::state::serve_one(detail::server_conn* sc, bool first) {
  boost::system::error_code ec;
  // The idle wait: the first byte of the request.
  if (sc->buf.size() == 0) {
    const auto idle =
        first ? (o.read_header_timeout.count() ? o.read_header_timeout
                                               : o.read_timeout)
              : (o.idle_timeout.count() ? o.idle_timeout : o.read_timeout);
    sc->c.set_read_deadline(after(idle));
    auto mb = sc->buf.prepare(4096);
    const std::size_t n = sc->s.read_some(mb, ec);
    sc->buf.commit(n);
    if (ec) return false;  // gone, reset, closed, or idle too long
  }
  const auto t0 = steady::now();
  const auto header_limit =
      o.read_header_timeout.count() ? o.read_header_timeout : o.read_timeout;
  sc->c.set_read_deadline(header_limit.count() ? t0 + header_limit
                                               : net::time_point{});

  bhttp::request_parser<bhttp::string_body> p;
  p.header_limit(static_cast<std::uint32_t>(
      std::min<std::size_t>(o.max_header_bytes, UINT32_MAX)));
  p.body_limit(o.max_body_bytes);
  bhttp::read_header(sc->s, sc->buf, p, ec);
  if (ec) {
    const std::error_code e = detail::to_error(ec, sc->s);
    if (e == error::header_too_large)
      plain_reply(sc, 431, o.write_timeout);
    else if (e == error::body_too_large)
      plain_reply(sc, 413, o.write_timeout);
    else if (e == error::malformed)
      plain_reply(sc, 400, o.write_timeout);
    return false;  // timeouts, resets and ends close without a reply
  }
  if (detail::too_long(p, o.max_body_bytes)) {
    plain_reply(sc, 413, o.write_timeout);
    return false;
  }
  {
    std::lock_guard g(mu);
    sc->active = true;  // S2
  }
  sc->c.set_read_deadline(o.read_timeout.count() ? t0 + o.read_timeout
                                                 : net::time_point{});
  if (!p.is_done()) {
    if (detail::iequal(detail::sv(p.get()[bhttp::field::expect]),
                       "100-continue")) {
      sc->c.set_write_deadline(after(o.write_timeout));
      sc->c.write(std::string_view("HTTP/1.1 100 Continue\r\n\r\n"));
    }
    bhttp::read(sc->s, sc->buf, p, ec);
    if (ec) {
      const std::error_code e = detail::to_error(ec, sc->s);
      if (e == error::body_too_large)
        plain_reply(sc, 413, o.write_timeout);
      else if (e == error::malformed)
        plain_reply(sc, 400, o.write_timeout);
      return false;
    }
  }
  sc->c.set_read_deadline({});

  bhttp::request<bhttp::string_body>& m = p.get();
  request r;
  r.method.assign(m.method_string().data(), m.method_string().size());
  r.target.assign(m.target().data(), m.target().size());
  const std::size_t q = r.target.find('?');
  r.path = r.target.substr(0, q);
  if (q != std::string::npos) r.query = r.target.substr(q + 1);
  r.version = static_cast<int>(m.version());
  detail::copy_fields(m.base(), r.header);
  r.host.assign(r.header.get("Host"));
  r.body = std::move(m.body());
  r.remote_addr = sc->c.remote_addr();
  r.ctx = ctx;
  const bool want_keep_alive = m.keep_alive();

  response_writer w(sc);
  bool failed = false;
  try {
    h(w, r);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "http: panic serving %s: %s\n", r.remote_addr.c_str(),
                 e.what());
    failed = true;
  } catch (...) {
    std::fprintf(stderr, "http: panic serving %s: unknown exception\n",
                 r.remote_addr.c_str());
    failed = true;
  }
  if (w.hijacked()) return false;
  if (failed) {
    plain_reply(sc, 500, o.write_timeout);
    return false;
  }

  bool keep = want_keep_alive;
  {
    std::lock_guard g(mu);
    keep = keep && !closing;
  }
  bhttp::response<bhttp::string_body> res;
  res.version(m.version());
  res.result(static_cast<unsigned>(w.status()));
  if (std::string_view t = status_text(w.status()); !t.empty())
    res.reason(boost::beast::string_view(t.data(), t.size()));
  for (const auto& [k, v] : w.header())
    res.insert(boost::beast::string_view(k), boost::beast::string_view(v));
  if (!w.header().has("Date")) res.set(bhttp::field::date, http_date());
  if (!w.body_.empty() && !w.header().has("Content-Type"))
    res.set(bhttp::field::content_type, "text/plain; charset=utf-8");
  res.content_length(w.body_.size());
  res.keep_alive(keep);
  sc->c.set_write_deadline(after(o.write_timeout));
  if (r.method == "HEAD") {
    bhttp::response_serializer<bhttp::string_body> sr(res);
    bhttp::write_header(sc->s, sr, ec);
  } else {
    res.body() = std::move(w.body_);
    bhttp::write(sc->s, res, ec);
  }
  if (ec || !keep) return false;
  std::lock_guard g(mu);
  sc->active = false;  // S2: idle, and shut down if shutdown began
  return !closing;
}

void server::state::serve_conn(detail::server_conn* sc) {
  for (bool first = true; serve_one(sc, first); first = false) {
  }
  bool hijacked;
  {
    std::lock_guard g(mu);
    hijacked = !sc->listed;
  }
  if (!hijacked) sc->c.close();  // a hijacked one is the handler's
  unlist(sc);
  delete sc;
}

server::server(handler h, server_options o) : s_(std::make_shared<state>()) {
  if (!h) throw usage_error("http: server with an empty handler");
  s_->h = std::move(h);
  s_->o = o;
  auto [c, cancel] = with_cancel(context::background());
  s_->ctx = c;
  s_->cancel = std::move(cancel);
}

server::~server() { close(); }

std::error_code server::serve(net::listener ln) {
  std::shared_ptr<state> s = s_;
  std::list<net::listener>::iterator me;
  {
    std::lock_guard g(s->mu);
    if (s->closing) return error::server_closed;
    me = s->listeners.insert(s->listeners.end(), ln);
  }
  auto backoff = std::chrono::milliseconds(0);
  std::error_code result;
  for (;;) {
    auto [c, err] = ln.accept();
    if (err) {
      if (s->is_closing()) {
        result = error::server_closed;
        break;
      }
      if (err == std::errc::too_many_files_open ||
          err == std::errc::too_many_files_open_in_system ||
          err == std::errc::not_enough_memory ||
          err == std::errc::no_buffer_space) {
        // Go's temporary accept errors: back off 5 ms, doubling to 1 s.
        backoff = std::min(std::max(backoff * 2, std::chrono::milliseconds(5)),
                           std::chrono::milliseconds(1000));
        gort::sleep(backoff);
        continue;
      }
      result = err;
      break;
    }
    backoff = {};
    auto* sc = new detail::server_conn(c);
    {
      std::lock_guard g(s->mu);
      if (s->closing) {  // S1
        c.close();
        delete sc;
        continue;
      }
      sc->at = s->conns.insert(s->conns.end(), sc);
    }
    sc->on_hijack = [s, sc] { s->unlist(sc); };
    gort::go([s, sc] { s->serve_conn(sc); });
  }
  {
    std::lock_guard g(s->mu);
    s->listeners.erase(me);
  }
  ln.close();
  return result;
}

std::error_code server::shutdown(const context& ctx) {
  state& s = *s_;
  std::unique_lock lk(s.mu);
  s.closing = true;  // S1
  for (auto& l : s.listeners) l.close();
  for (auto* sc : s.conns)
    if (!sc->active) sc->c.close();  // S2
  while (!s.conns.empty())
    if (std::error_code e = s.drained.wait(lk, ctx)) return e;
  return {};
}

std::error_code server::close() {
  state& s = *s_;
  s.cancel();
  std::unique_lock lk(s.mu);
  s.closing = true;  // S1
  for (auto& l : s.listeners) l.close();
  for (auto* sc : s.conns) sc->c.close();
  s.drained.wait(lk, [&] { return s.conns.empty(); });
  return {};
}

std::size_t server::connections() const noexcept {
  std::lock_guard g(s_->mu);
  return s_->conns.size();
}

std::error_code serve(const context& ctx, net::listener ln, handler h,
                      server_options o, std::chrono::nanoseconds grace) {
  server srv(std::move(h), o);
  auto served = make_chan<std::monostate>();
  auto stopped = make_chan<std::monostate>();
  go([&] {
    gort::select(case_recv(ctx.done(), [](auto) {}),
                 case_recv(served, [](auto) {}));
    auto [c, cancel] = with_timeout(context::background(), grace);
    if (srv.shutdown(c)) srv.close();
    cancel();
    stopped.close();
  });
  std::error_code err = srv.serve(ln);
  served.close();
  stopped.recv();
  return err == error::server_closed ? std::error_code() : err;
}

void serve_mux::handle(std::string pattern, handler h) {
  if (pattern.empty() || pattern[0] != '/')
    throw usage_error("http: invalid pattern \"" + pattern + "\"");
  if (!h) throw usage_error("http: nil handler for " + pattern);
  for (const auto& [p, _] : routes_)
    if (p == pattern)
      throw usage_error("http: multiple registrations for " + pattern);
  routes_.emplace_back(std::move(pattern), std::move(h));
}

void serve_mux::operator()(response_writer& w, const request& r) const {
  const handler* best = nullptr;
  std::size_t best_len = 0;
  bool subtree_for_dir = false;
  for (const auto& [p, h] : routes_) {
    const bool match = p.back() == '/' ? r.path.starts_with(p) : r.path == p;
    if (match && p.size() >= best_len) {
      best = &h;
      best_len = p.size();
    }
    if (p.back() == '/' && p.size() == r.path.size() + 1 &&
        p.starts_with(r.path))
      subtree_for_dir = true;
  }
  const bool exact = best != nullptr && best_len == r.path.size();
  if (subtree_for_dir && !exact) {
    std::string to = r.path + "/";
    if (!r.query.empty()) to += "?" + r.query;
    return redirect(w, to, 301);
  }
  if (best == nullptr) return not_found(w, r);
  (*best)(w, r);
}

void not_found(response_writer& w, const request&) {
  w.header().set("Content-Type", "text/plain; charset=utf-8");
  w.header().set("X-Content-Type-Options", "nosniff");
  w.write_header(404);
  w.write("404 page not found\n");
}

void redirect(response_writer& w, std::string_view url, int code) {
  w.header().set("Location", url);
  w.header().set("Content-Type", "text/html; charset=utf-8");
  w.write_header(code);
  w.write("<a href=\"" + std::string(url) + "\">" +
          std::string(status_text(code)) + "</a>.\n\n");
}

}  // namespace gort::http
