// A socket address that can be parsed from and printed as text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <sys/socket.h>

namespace sockchurn {

struct Endpoint {
  sockaddr_storage storage{};
  socklen_t len = 0;

  int family() const noexcept { return storage.ss_family; }
  std::uint16_t port() const noexcept;
  void set_port(std::uint16_t port) noexcept;
  const sockaddr* sa() const noexcept { return reinterpret_cast<const sockaddr*>(&storage); }
  sockaddr* sa() noexcept { return reinterpret_cast<sockaddr*>(&storage); }
  // "127.0.0.1:8080" or "[::1]:8080".
  std::string to_string() const;
  // Same family and address (port not compared).
  bool same_host(const Endpoint& other) const noexcept;
  bool operator==(const Endpoint& other) const noexcept;
};

// Numeric addresses only: "127.0.0.1:80", "[::1]:80", "localhost:80" (taken
// as 127.0.0.1). Throws std::invalid_argument with a message that quotes the
// text and says what is wrong.
Endpoint parse_endpoint(std::string_view text);

// A numeric host without a port ("127.0.0.1", "::1", "[::1]"), port 0.
Endpoint parse_host(std::string_view text);

// The same address with another port.
Endpoint with_port(Endpoint ep, std::uint16_t port);

Endpoint loopback_v4(std::uint16_t port);
Endpoint loopback_v6(std::uint16_t port);

// getsockname() / getpeername(); throw std::system_error on failure.
Endpoint local_endpoint(int fd);
Endpoint peer_endpoint(int fd);

}  // namespace sockchurn
