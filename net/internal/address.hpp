// net/internal/address.hpp: networks and addresses as Go's net package
// spells them ("tcp4", "[::1]:80", ":8080", a unix path), and name
// resolution (net/address.cpp).
#pragma once

#include <sys/socket.h>

#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace gort::net::detail {

// network is a parsed network name.
struct network {
  int family = AF_UNSPEC;  // AF_INET, AF_INET6, AF_UNSPEC (either), AF_UNIX
  int sotype = SOCK_STREAM;
};

// parse_network accepts "tcp", "tcp4", "tcp6", "unix", and with
// `datagram` "udp", "udp4", "udp6" too; anything else is
// errc::unknown_network.
std::error_code parse_network(std::string_view name, bool datagram,
                              network* out);

// endpoint is one socket address.
struct endpoint {
  sockaddr_storage ss{};
  socklen_t len = 0;
  const sockaddr* sa() const noexcept {
    return reinterpret_cast<const sockaddr*>(&ss);
  }
};

// resolve turns address into the endpoints to try, in order. For `listen`
// an empty host is every address ("tcp": IPv6 [::] first, which also
// accepts IPv4, then 0.0.0.0); for a dial it is the loopback. Numeric
// hosts never block; names go through getaddrinfo inside gort::blocking().
// Errors: errc::bad_address (no port, bad port, brackets), errc::no_such_host.
std::error_code resolve(const network& net, std::string_view address,
                        bool listen, std::vector<endpoint>* out);

// v4_mapped returns the IPv4 endpoint e as an IPv4-mapped IPv6 one
// (::ffff:a.b.c.d), for a dual-stack IPv6 socket.
endpoint v4_mapped(const endpoint& e);

// format_address is Go's Addr().String(): "127.0.0.1:80", "[::1]:80", the
// path of a unix socket, "" for an unnamed one.
std::string format_address(const sockaddr* sa);

}  // namespace gort::net::detail
