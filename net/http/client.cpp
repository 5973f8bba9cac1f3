// net/http/client.cpp: gort::http::client, Go's http.Client with the
// parts of its Transport a program leans on: redirects, keep-alive reuse
// and the context as the call's timeout.
//
// A call takes a kept connection to the host if one is idle, else dials
// (with the context). A kept connection may have been closed by the
// server meanwhile; a request on one that fails before any byte of the
// response came is retried once on a fresh connection, as Go retries a
// request it knows the server did not see. A connection goes back to the
// pool only when its response was read whole, said keep-alive and left
// nothing unread (C1), so the next response starts on a clean stream.
// The pool is under mu; nothing waits while holding it.
#include <gort/http.hpp>

#include <gort/mutex.hpp>

#include <map>
#include <mutex>
#include <vector>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "net/internal/http_wire.hpp"

namespace gort::http {

namespace bhttp = boost::beast::http;

struct client::state {
  client_options o;
  gort::mutex mu;
  std::map<std::string, std::vector<net::conn>> idle;  // by dial address

  net::conn take(const std::string& addr) {
    std::lock_guard g(mu);
    auto it = idle.find(addr);
    if (it == idle.end() || it->second.empty()) return {};
    net::conn c = std::move(it->second.back());
    it->second.pop_back();
    return c;
  }
  void put(const std::string& addr, net::conn c) {
    {
      std::lock_guard g(mu);
      auto& v = idle[addr];
      if (v.size() < o.max_idle_per_host) {
        v.push_back(std::move(c));
        return;
      }
    }
    c.close();
  }

  struct trip {
    response resp;
    std::error_code err;
    bool retry = false;  // a kept connection failed before the response
  };
  trip round_trip(const context& ctx, net::conn c, bool reused,
                  std::string_view method, const detail::url& u,
                  const header& h, std::string_view body);
  result<response> once(const context& ctx, std::string_view method,
                        const detail::url& u, const header& h,
                        std::string_view body);
};

client::state::trip client::state::round_trip(
    const context& ctx, net::conn c, bool reused, std::string_view method,
    const detail::url& u, const header& h, std::string_view body) {
  trip t;
  detail::stream s(c, &ctx);
  bhttp::request<bhttp::string_body> req;
  req.method_string(boost::beast::string_view(method.data(), method.size()));
  req.target(u.target);
  req.version(11);
  req.set(bhttp::field::host, u.hostport);
  req.set(bhttp::field::user_agent, "gort-http-client/1.1");
  for (const auto& [k, v] : h) req.set(k, v);
  if (!body.empty() || method == "POST" || method == "PUT") {
    req.body().assign(body);
    req.prepare_payload();
  }
  boost::system::error_code ec;
  bhttp::write(s, req, ec);
  if (ec) {
    t.err = detail::to_error(ec, s);
    t.retry = reused && !ctx.err();
    c.close();
    return t;
  }
  boost::beast::flat_buffer buf;
  bhttp::response_parser<bhttp::string_body> p;
  p.header_limit(static_cast<std::uint32_t>(
      std::min<std::size_t>(o.max_header_bytes, UINT32_MAX)));
  p.body_limit(o.max_body_bytes);
  if (method == "HEAD") p.skip(true);
  bhttp::read_header(s, buf, p, ec);
  if (!ec && detail::too_long(p, o.max_body_bytes))
    ec = bhttp::error::body_limit;
  if (!ec && !p.is_done()) bhttp::read(s, buf, p, ec);
  if (ec) {
    t.err = detail::to_error(ec, s);
    if (t.err == errc::eof) t.err = errc::unexpected_eof;  // no response
    t.retry = reused && !p.got_some() && !ctx.err();
    c.close();
    return t;
  }
  auto& m = p.get();
  t.resp.status = static_cast<int>(m.result_int());
  t.resp.reason.assign(m.reason().data(), m.reason().size());
  t.resp.version = static_cast<int>(m.version());
  detail::copy_fields(m.base(), t.resp.header);
  t.resp.body = std::move(m.body());
  if (m.keep_alive() && !p.need_eof() && buf.size() == 0)  // C1
    put(u.dial_address(), c);
  else
    c.close();
  return t;
}

result<response> client::state::once(const context& ctx,
                                     std::string_view method,
                                     const detail::url& u, const header& h,
                                     std::string_view body) {
  const std::string addr = u.dial_address();
  for (;;) {
    net::conn c = take(addr);
    const bool reused = static_cast<bool>(c);
    if (!reused) {
      auto [d, err] = net::dial(ctx, "tcp", addr);
      if (err) return {{}, err};
      c = d;
    }
    trip t = round_trip(ctx, c, reused, method, u, h, body);
    if (t.retry) continue;  // the next take() may find another kept one
    if (t.err) return {{}, t.err};
    return {std::move(t.resp), {}};
  }
}

client::client(client_options o) : s_(std::make_unique<state>()) { s_->o = o; }

client::~client() { close_idle_connections(); }

void client::close_idle_connections() {
  std::map<std::string, std::vector<net::conn>> all;
  {
    std::lock_guard g(s_->mu);
    all.swap(s_->idle);
  }
  for (auto& [_, v] : all)
    for (auto& c : v) c.close();
}

result<response> client::send(const context& ctx, std::string_view method,
                              std::string_view url, const header& h,
                              std::string_view body) {
  detail::url u;
  if (std::error_code e = detail::parse_url(url, u, {"http"})) return {{}, e};
  std::string m(method), b(body), at(url);
  for (int redirects = 0;; ++redirects) {
    auto [resp, err] = s_->once(ctx, m, u, h, b);
    if (err) return {{}, err};
    const int st = resp.status;
    const bool redirect =
        st == 301 || st == 302 || st == 303 || st == 307 || st == 308;
    std::string_view loc = resp.header.get("Location");
    if (!redirect || loc.empty()) {
      resp.url = at;
      return {std::move(resp), {}};
    }
    if (redirects == s_->o.max_redirects)
      return {{}, error::too_many_redirects};
    at = detail::resolve_reference(u, loc);
    detail::url next;
    if (std::error_code e = detail::parse_url(at, next, {"http"}))
      return {{}, e};
    u = std::move(next);
    if ((st == 301 || st == 302 || st == 303) && m != "GET" && m != "HEAD") {
      m = "GET";  // as Go: the body is dropped
      b.clear();
    }
  }
}

result<response> client::get(const context& ctx, std::string_view url) {
  return send(ctx, "GET", url);
}

result<response> client::head(const context& ctx, std::string_view url) {
  return send(ctx, "HEAD", url);
}

namespace {
client& default_client() {
  static client* c = new client();  // never destroyed: usable at exit
  return *c;
}
}  // namespace

result<response> get(const context& ctx, std::string_view url) {
  return default_client().get(ctx, url);
}
result<response> head(const context& ctx, std::string_view url) {
  return default_client().head(ctx, url);
}
result<response> get(std::string_view url) {
  return get(context::background(), url);
}
result<response> head(std::string_view url) {
  return head(context::background(), url);
}

}  // namespace gort::http
