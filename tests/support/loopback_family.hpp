// What the kernel behaviour tests (test_kernel_tcp.cpp, test_kernel_udp.cpp)
// share: each test runs once per address family on loopback, and reports
// calls as text ("0", "EADDRINUSE", "5 bytes") so that a failure shows what
// the kernel said.
#pragma once

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <cerrno>
#include <cstdint>
#include <ostream>
#include <string>

#include "net/endpoint.hpp"
#include "net/fd.hpp"
#include "net/sockops.hpp"

namespace sockchurn {

// So that gtest prints "127.0.0.1:41000", not 136 bytes.
inline void PrintTo(const Endpoint& ep, std::ostream* os) { *os << ep.to_string(); }

namespace test {

// The result of a call that returns 0 or -1: "0" or the errno name.
inline std::string result(int rc) {
  return rc == 0 ? "0" : rc == -1 ? errno_name(errno) : "rc " + std::to_string(rc);
}

// The result of a send() or sendto(): "<n> bytes" or the errno name.
inline std::string sent(ssize_t n) { return n < 0 ? errno_name(errno) : std::to_string(n) + " bytes"; }

inline Endpoint loopback(int family, std::uint16_t port) {
  return family == AF_INET ? loopback_v4(port) : loopback_v6(port);
}

// bind() of a fresh socket of `type` to the loopback `port`: "0" or the errno name.
inline std::string bind_result(int family, int type, std::uint16_t port) {
  Fd probe = make_socket(family, type);
  const Endpoint ep = loopback(family, port);
  return result(::bind(probe.get(), ep.sa(), ep.len));
}

// Binds `s` (of `type`) to a free port of the loopback address chosen by
// number (not port 0, so the kernel marks it as explicitly bound); returns
// the port, or 0 (and a test failure) if none was found.
inline std::uint16_t bind_explicit_port(int s, int family, int type) {
  for (int attempt = 0; attempt < 50; ++attempt) {
    const std::uint16_t port = find_free_port(loopback(family, 0), type);
    const Endpoint ep = loopback(family, port);
    if (::bind(s, ep.sa(), ep.len) == 0) return port;
    if (errno != EADDRINUSE) throw_errno("bind");
  }
  ADD_FAILURE() << "no free port after 50 attempts";
  return 0;
}

// A fixture whose parameter is the address family: AF_INET or AF_INET6.
class LoopbackFamilyTest : public ::testing::TestWithParam<int> {
 protected:
  int family() const { return GetParam(); }
  Endpoint loopback(std::uint16_t port) const { return test::loopback(family(), port); }
  // The wildcard address, as getsockname() shows an unbound socket (port 0).
  Endpoint wildcard(std::uint16_t port = 0) const {
    return with_port(parse_host(family() == AF_INET ? "0.0.0.0" : "::"), port);
  }
};

// Test name suffixes for the families: "v4", "v6".
inline std::string family_name(const ::testing::TestParamInfo<int>& info) {
  return info.param == AF_INET ? "v4" : "v6";
}

}  // namespace test
}  // namespace sockchurn
