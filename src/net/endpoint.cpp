#include "net/endpoint.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>
#include <cstring>
#include <stdexcept>

#include "net/fd.hpp"

namespace sockchurn {

std::uint16_t Endpoint::port() const noexcept {
  if (family() == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&storage)->sin_port);
  if (family() == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_port);
  return 0;
}

void Endpoint::set_port(std::uint16_t port) noexcept {
  if (family() == AF_INET) reinterpret_cast<sockaddr_in*>(&storage)->sin_port = htons(port);
  if (family() == AF_INET6) reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port = htons(port);
}

std::string Endpoint::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (family() == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage)->sin_addr, buf, sizeof buf);
    return std::string(buf) + ":" + std::to_string(port());
  }
  if (family() == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_addr, buf, sizeof buf);
    return "[" + std::string(buf) + "]:" + std::to_string(port());
  }
  return "<family " + std::to_string(family()) + ">";
}

bool Endpoint::same_host(const Endpoint& other) const noexcept {
  if (family() != other.family()) return false;
  if (family() == AF_INET)
    return reinterpret_cast<const sockaddr_in*>(&storage)->sin_addr.s_addr ==
           reinterpret_cast<const sockaddr_in*>(&other.storage)->sin_addr.s_addr;
  if (family() == AF_INET6)
    return std::memcmp(&reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_addr,
                       &reinterpret_cast<const sockaddr_in6*>(&other.storage)->sin6_addr,
                       sizeof(in6_addr)) == 0;
  return false;
}

bool Endpoint::operator==(const Endpoint& other) const noexcept {
  return same_host(other) && port() == other.port();
}

Endpoint parse_host(std::string_view text) {
  // inet_pton reads a C string: it would stop at a NUL byte and accept
  // "127.0.0.1\0junk" as 127.0.0.1 (found by fuzz/fuzz_endpoint).
  if (const auto nul = text.find('\0'); nul != std::string_view::npos)
    throw std::invalid_argument("'" + std::string(text.substr(0, nul)) +
                                "' is followed by a NUL byte: not a numeric IPv4 or IPv6 address");
  std::string host(text);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host == "localhost") host = "127.0.0.1";
  Endpoint ep;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ep.storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ep.storage);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    ep.len = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    ep.len = sizeof(sockaddr_in6);
  } else {
    throw std::invalid_argument("'" + std::string(text) +
                                "' is not a numeric IPv4 or IPv6 address (host names are not resolved)");
  }
  return ep;
}

Endpoint parse_endpoint(std::string_view text) {
  const std::string quoted = "'" + std::string(text) + "'";
  std::string_view host, port_text;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) throw std::invalid_argument(quoted + ": '[' without ']'");
    host = text.substr(1, close - 1);
    if (close + 1 == text.size() || text[close + 1] != ':')
      throw std::invalid_argument(quoted + " has no port: expected [IPv6]:PORT");
    port_text = text.substr(close + 2);
    if (host.find(':') == std::string_view::npos)
      throw std::invalid_argument(quoted + ": brackets are for IPv6 addresses only");
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) throw std::invalid_argument(quoted + " has no port: expected HOST:PORT");
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos)
      throw std::invalid_argument(quoted + ": an IPv6 address needs brackets, as in [::1]:PORT");
  }
  if (port_text.empty()) throw std::invalid_argument(quoted + " has no port: expected HOST:PORT or [IPv6]:PORT");
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 || port > 65535)
    throw std::invalid_argument(quoted + ": port '" + std::string(port_text) + "' is not a number from 1 to 65535");
  Endpoint ep = parse_host(host);
  ep.set_port(static_cast<std::uint16_t>(port));
  return ep;
}

Endpoint with_port(Endpoint ep, std::uint16_t port) {
  ep.set_port(port);
  return ep;
}

Endpoint loopback_v4(std::uint16_t port) { return with_port(parse_host("127.0.0.1"), port); }
Endpoint loopback_v6(std::uint16_t port) { return with_port(parse_host("::1"), port); }

Endpoint local_endpoint(int fd) {
  Endpoint ep;
  ep.len = sizeof ep.storage;
  check(::getsockname(fd, ep.sa(), &ep.len), "getsockname");
  return ep;
}

Endpoint peer_endpoint(int fd) {
  Endpoint ep;
  ep.len = sizeof ep.storage;
  check(::getpeername(fd, ep.sa(), &ep.len), "getpeername");
  return ep;
}

}  // namespace sockchurn
