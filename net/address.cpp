// Networks and addresses (net/internal/address.hpp): Go's SplitHostPort,
// its resolver order (numeric first, then the system resolver off the
// worker), and Addr().String().
#include "net/internal/address.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <charconv>
#include <cstring>

#include <gort/context.hpp>
#include <gort/sched.hpp>

namespace gort::net::detail {
namespace {

// split_host_port splits "host:port", "[v6]:port" and ":port".
bool split_host_port(std::string_view a, std::string_view* host,
                     std::uint16_t* port) {
  std::string_view p;
  if (!a.empty() && a[0] == '[') {
    const std::size_t close = a.find(']');
    if (close == std::string_view::npos || close + 1 >= a.size() ||
        a[close + 1] != ':')
      return false;
    *host = a.substr(1, close - 1);
    p = a.substr(close + 2);
  } else {
    const std::size_t colon = a.rfind(':');
    if (colon == std::string_view::npos) return false;  // missing port
    *host = a.substr(0, colon);
    if (host->find_first_of(":[]") != std::string_view::npos)
      return false;  // too many colons: IPv6 needs brackets
    p = a.substr(colon + 1);
  }
  unsigned v = 0;
  auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
  if (p.empty() || ec != std::errc() || end != p.data() + p.size() || v > 65535)
    return false;
  *port = static_cast<std::uint16_t>(v);
  return true;
}

endpoint v4(const in_addr& a, std::uint16_t port) {
  endpoint e;
  auto* s = reinterpret_cast<sockaddr_in*>(&e.ss);
  s->sin_family = AF_INET;
  s->sin_port = htons(port);
  s->sin_addr = a;
  e.len = sizeof *s;
  return e;
}

endpoint v6(const in6_addr& a, std::uint16_t port) {
  endpoint e;
  auto* s = reinterpret_cast<sockaddr_in6*>(&e.ss);
  s->sin6_family = AF_INET6;
  s->sin6_port = htons(port);
  s->sin6_addr = a;
  e.len = sizeof *s;
  return e;
}

bool wants(const network& net, int family) {
  return net.family == AF_UNSPEC || net.family == family;
}

std::error_code lookup(const network& net, const std::string& host,
                       std::uint16_t port, std::vector<endpoint>* out) {
  addrinfo hints{};
  hints.ai_family = net.family;
  hints.ai_socktype = net.sotype;
  addrinfo* res = nullptr;
  const int rc = gort::blocking(
      [&] { return ::getaddrinfo(host.c_str(), nullptr, &hints, &res); });
  if (rc != 0) return errc::no_such_host;
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_family == AF_INET)
      out->push_back(
          v4(reinterpret_cast<sockaddr_in*>(ai->ai_addr)->sin_addr, port));
    else if (ai->ai_family == AF_INET6)
      out->push_back(
          v6(reinterpret_cast<sockaddr_in6*>(ai->ai_addr)->sin6_addr, port));
  }
  ::freeaddrinfo(res);
  return out->empty() ? std::error_code(errc::no_such_host) : std::error_code();
}

}  // namespace

std::error_code parse_network(std::string_view name, bool datagram,
                              network* out) {
  struct entry {
    std::string_view name;
    int family, sotype;
  };
  static constexpr entry table[] = {
      {"tcp", AF_UNSPEC, SOCK_STREAM}, {"tcp4", AF_INET, SOCK_STREAM},
      {"tcp6", AF_INET6, SOCK_STREAM}, {"unix", AF_UNIX, SOCK_STREAM},
      {"udp", AF_UNSPEC, SOCK_DGRAM},  {"udp4", AF_INET, SOCK_DGRAM},
      {"udp6", AF_INET6, SOCK_DGRAM},
  };
  for (const entry& e : table) {
    if (e.name != name || (e.sotype == SOCK_DGRAM && !datagram)) continue;
    out->family = e.family;
    out->sotype = e.sotype;
    return {};
  }
  return errc::unknown_network;
}

std::error_code resolve(const network& net, std::string_view address,
                        bool listen, std::vector<endpoint>* out) {
  out->clear();
  if (net.family == AF_UNIX) {
    endpoint e;
    auto* s = reinterpret_cast<sockaddr_un*>(&e.ss);
    if (address.empty() || address.size() >= sizeof s->sun_path)
      return errc::bad_address;
    s->sun_family = AF_UNIX;
    std::memcpy(s->sun_path, address.data(), address.size());
    e.len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) +
                                   address.size() + 1);
    out->push_back(e);
    return {};
  }
  std::string_view host;
  std::uint16_t port = 0;
  if (!split_host_port(address, &host, &port)) return errc::bad_address;
  if (host.empty()) {
    if (wants(net, AF_INET6))
      out->push_back(v6(listen ? in6addr_any : in6addr_loopback, port));
    if (wants(net, AF_INET)) {
      in_addr a{htonl(listen ? INADDR_ANY : INADDR_LOOPBACK)};
      out->push_back(v4(a, port));
    }
    return {};
  }
  const std::string h(host);
  in_addr a4;
  in6_addr a6;
  if (::inet_pton(AF_INET, h.c_str(), &a4) == 1) {
    if (!wants(net, AF_INET)) return errc::bad_address;
    out->push_back(v4(a4, port));
    return {};
  }
  if (::inet_pton(AF_INET6, h.c_str(), &a6) == 1) {
    if (!wants(net, AF_INET6)) return errc::bad_address;
    out->push_back(v6(a6, port));
    return {};
  }
  return lookup(net, h, port, out);
}

endpoint v4_mapped(const endpoint& e) {
  const auto* s = reinterpret_cast<const sockaddr_in*>(&e.ss);
  in6_addr a{};
  a.s6_addr[10] = a.s6_addr[11] = 0xff;
  std::memcpy(&a.s6_addr[12], &s->sin_addr, 4);
  return v6(a, ntohs(s->sin_port));
}

std::string format_address(const sockaddr* sa) {
  char buf[INET6_ADDRSTRLEN];
  switch (sa->sa_family) {
    case AF_INET: {
      const auto* s = reinterpret_cast<const sockaddr_in*>(sa);
      ::inet_ntop(AF_INET, &s->sin_addr, buf, sizeof buf);
      return std::string(buf) + ":" + std::to_string(ntohs(s->sin_port));
    }
    case AF_INET6: {
      const auto* s = reinterpret_cast<const sockaddr_in6*>(sa);
      if (IN6_IS_ADDR_V4MAPPED(&s->sin6_addr)) {  // Go prints it as IPv4
        ::inet_ntop(AF_INET, &s->sin6_addr.s6_addr[12], buf, sizeof buf);
        return std::string(buf) + ":" + std::to_string(ntohs(s->sin6_port));
      }
      ::inet_ntop(AF_INET6, &s->sin6_addr, buf, sizeof buf);
      std::string out(1, '[');  // appended, not "[" + s: GCC 12 -Wrestrict
      out += buf;
      out += "]:";
      out += std::to_string(ntohs(s->sin6_port));
      return out;
    }
    case AF_UNIX:
      return reinterpret_cast<const sockaddr_un*>(sa)->sun_path;
  }
  return "";
}

}  // namespace gort::net::detail
