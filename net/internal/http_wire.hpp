// net/internal/http_wire.hpp: what the HTTP server, client and WebSocket
// share between Beast's messages and gort::http's types: error mapping,
// field copying and URL parsing (net/http/wire.cpp).
#pragma once

#include <boost/beast/http.hpp>

#include <gort/http.hpp>

#include <string>
#include <string_view>
#include <system_error>

#include "net/internal/http_stream.hpp"

namespace gort::http::detail {

namespace bhttp = boost::beast::http;

// iequal compares ASCII without regard to case; has_token finds token
// in a comma-separated field value ("keep-alive, Upgrade"), so.
bool iequal(std::string_view a, std::string_view b) noexcept;
bool has_token(std::string_view list, std::string_view token) noexcept;

// sv is Beast's string_view (Boost's, in 1.74) as a std::string_view.
std::string_view sv(boost::string_view s) noexcept;

// to_error is the gort error for what a Beast read or write on s
// returned: the stream's own I/O error if it had one, else end of stream,
// else the parser's verdict as an http::error.
std::error_code to_error(const boost::system::error_code& ec, const stream& s);

// too_long: the parsed header announces a body past limit. (Beast 1.74's
// own check of Content-Length against body_limit does not fire; its
// chunked and to-end-of-stream checks do.)
template <class Parser>
bool too_long(const Parser& p, std::size_t limit) {
  return !p.is_done() && p.content_length() && *p.content_length() > limit;
}

// copy_fields appends Beast's fields to h, in order.
template <class Fields>
void copy_fields(const Fields& from, header& h) {
  for (const auto& f : from)
    h.add(std::string_view(f.name_string().data(), f.name_string().size()),
          std::string_view(f.value().data(), f.value().size()));
}

// url is an absolute http:// or ws:// URL taken apart.
struct url {
  std::string scheme;                // "http"
  std::string host;                  // "127.0.0.1", "example.com", "::1"
  std::string port;                  // "8080" (the scheme's default if absent)
  std::string hostport;              // what Host carries: "127.0.0.1:8080"
  std::string target;                // "/path?q" ("/" if absent)
  std::string dial_address() const;  // host:port, IPv6 in brackets
};

// parse_url fills u, or returns error::bad_url / unsupported_scheme.
// schemes lists the ones accepted ("http", "ws").
std::error_code parse_url(std::string_view s, url& u,
                          std::initializer_list<std::string_view> schemes);

// resolve_reference is a Location resolved against base (RFC 3986 5.2,
// for the absolute, scheme-relative and path forms servers send).
std::string resolve_reference(const url& base, std::string_view ref);

}  // namespace gort::http::detail
