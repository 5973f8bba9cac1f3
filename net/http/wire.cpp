// net/http/wire.cpp: gort::http's vocabulary: header, status_text, the
// error category, URLs, and the mapping of Beast's errors to gort's.
#include <gort/http.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <vector>

#include "net/internal/http_wire.hpp"

namespace gort::http {

using detail::iequal;

namespace {

class category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "http"; }
  std::string message(int v) const override {
    switch (static_cast<error>(v)) {
      case error::bad_url:
        return "http: malformed URL";
      case error::unsupported_scheme:
        return "http: unsupported protocol scheme";
      case error::too_many_redirects:
        return "http: stopped after too many redirects (max_redirects)";
      case error::malformed:
        return "http: malformed HTTP message";
      case error::header_too_large:
        return "http: header too large";
      case error::body_too_large:
        return "http: body too large";
      case error::server_closed:
        return "http: Server closed";
      case error::not_websocket:
        return "websocket: not a WebSocket handshake";
      case error::bad_handshake:
        return "websocket: bad handshake";
      case error::bad_frame:
        return "websocket: protocol error";
      case error::message_too_large:
        return "websocket: message too large";
    }
    return "http: unknown error";
  }
};

}  // namespace

const std::error_category& http_category() noexcept {
  static const category c;
  return c;
}

std::string_view header::get(std::string_view name) const noexcept {
  for (const auto& [k, v] : fields_)
    if (iequal(k, name)) return v;
  return {};
}

bool header::has(std::string_view name) const noexcept {
  return std::any_of(fields_.begin(), fields_.end(),
                     [&](const field& f) { return iequal(f.first, name); });
}

void header::set(std::string_view name, std::string_view value) {
  del(name);
  add(name, value);
}

void header::add(std::string_view name, std::string_view value) {
  fields_.emplace_back(std::string(name), std::string(value));
}

void header::del(std::string_view name) noexcept {
  std::erase_if(fields_, [&](const field& f) { return iequal(f.first, name); });
}

std::string_view status_text(int code) noexcept {
  switch (code) {  // Go's net/http/status.go
    case 100:
      return "Continue";
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 411:
      return "Length Required";
    case 413:
      return "Request Entity Too Large";
    case 414:
      return "Request URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 426:
      return "Upgrade Required";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
  }
  return {};
}

std::string response::status_line() const {
  std::string s = std::to_string(status);
  std::string_view r = reason.empty() ? status_text(status) : reason;
  if (!r.empty()) s.append(" ").append(r);
  return s;
}

namespace detail {

bool iequal(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool has_token(std::string_view list, std::string_view token) noexcept {
  constexpr std::string_view space = " \t";
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    std::string_view t = list.substr(0, comma);
    t.remove_prefix(std::min(t.find_first_not_of(space), t.size()));
    t.remove_suffix(t.size() -
                    std::min(t.find_last_not_of(space) + 1, t.size()));
    if (iequal(t, token)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

std::string_view sv(boost::string_view s) noexcept {
  return {s.data(), s.size()};
}

std::error_code to_error(const boost::system::error_code& ec, const stream& s) {
  if (!ec) return {};
  if (std::error_code io = s.io_error(); io && io != errc::eof) return io;
  if (ec == boost::asio::error::eof || ec == bhttp::error::end_of_stream)
    return errc::eof;
  if (ec == bhttp::error::partial_message) return errc::unexpected_eof;
  if (ec == bhttp::error::header_limit) return error::header_too_large;
  if (ec == bhttp::error::body_limit || ec == bhttp::error::buffer_overflow)
    return error::body_too_large;
  return error::malformed;
}

std::string url::dial_address() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + port;
  return host + ":" + port;
}

std::error_code parse_url(std::string_view s, url& u,
                          std::initializer_list<std::string_view> schemes) {
  const std::size_t colon = s.find("://");
  if (colon == std::string_view::npos || colon == 0) return error::bad_url;
  u.scheme.assign(s.substr(0, colon));
  std::transform(u.scheme.begin(), u.scheme.end(), u.scheme.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (std::find(schemes.begin(), schemes.end(), u.scheme) == schemes.end())
    return error::unsupported_scheme;
  std::string_view rest = s.substr(colon + 3);
  const std::size_t slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  u.target =
      slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (u.target[0] == '?') u.target = "/" + u.target;
  if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos)
    authority.remove_prefix(at + 1);  // user info is not sent
  if (authority.empty()) return error::bad_url;
  std::string_view host = authority, port;
  if (authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return error::bad_url;
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return error::bad_url;
      port = after.substr(1);
    }
  } else if (const std::size_t c = authority.rfind(':');
             c != std::string_view::npos) {
    host = authority.substr(0, c);
    port = authority.substr(c + 1);
  }
  if (host.empty()) return error::bad_url;
  for (char c : s)
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f)
      return error::bad_url;
  if (!port.empty()) {
    unsigned v = 0;
    auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), v);
    if (ec != std::errc() || p != port.data() + port.size() || v > 65535)
      return error::bad_url;
  }
  u.host.assign(host);
  u.port = port.empty()
               ? (u.scheme == "https" || u.scheme == "wss" ? "443" : "80")
               : std::string(port);
  u.hostport.assign(authority);
  return {};
}

namespace {

// remove_dot_segments is RFC 3986 5.2.4 on a path that starts with '/'.
std::string remove_dot_segments(std::string_view in) {
  std::vector<std::string_view> out;
  bool trailing = false;  // the path ends in a directory
  while (!in.empty()) {
    in.remove_prefix(1);  // the '/'
    const std::size_t end = std::min(in.find('/'), in.size());
    std::string_view seg = in.substr(0, end);
    in.remove_prefix(end);
    trailing = in.empty() && (seg == "." || seg == "..");
    if (seg == "..") {
      if (!out.empty()) out.pop_back();
    } else if (seg != ".") {
      out.push_back(seg);
    }
  }
  std::string path;
  for (std::string_view seg : out) path.append("/").append(seg);
  if (path.empty() || trailing) path += "/";
  return path;
}

// with_clean_path cleans the path of "origin + path?query".
std::string with_clean_path(const std::string& origin, std::string_view pq) {
  const std::size_t q = pq.find('?');
  std::string r = origin + remove_dot_segments(pq.substr(0, q));
  if (q != std::string_view::npos) r.append(pq.substr(q));
  return r;
}

}  // namespace

std::string resolve_reference(const url& base, std::string_view ref) {
  if (ref.find("://") != std::string_view::npos) return std::string(ref);
  if (ref.starts_with("//")) return base.scheme + ":" + std::string(ref);
  const std::string origin = base.scheme + "://" + base.hostport;
  const std::string_view path =
      std::string_view(base.target).substr(0, base.target.find('?'));
  if (ref.empty()) return origin + base.target;
  if (ref.front() == '?') return origin + std::string(path) + std::string(ref);
  if (ref.front() == '/') return with_clean_path(origin, ref);
  std::string dir(path.substr(0, path.rfind('/') + 1));  // path starts with '/'
  return with_clean_path(origin, dir + std::string(ref));
}

}  // namespace detail
}  // namespace gort::http
