// The strategy matrix as test cases, derived from the registry
// (src/model/registry.hpp) and shared by test_strategies.cpp (IPv4) and
// test_ipv6_strategies.cpp: the cases, their names, and the exchange config
// that points a case at the echo server's port for it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "net/endpoint.hpp"
#include "model/exchange.hpp"
#include "process/ready_line.hpp"
#include "model/registry.hpp"

namespace sockchurn::test {

struct StrategyCase {
  Variant variant;
  std::size_t payload = 64;
};

// A variant by its strategy's name, for tests that expect something of one
// strategy; a misspelt name fails the test at once.
inline Variant variant_of(Protocol protocol, std::string_view name, Closer closer = Closer::client,
                          LocalPort port = LocalPort::ephemeral) {
  const StrategyInfo* s = find_strategy(protocol, name);
  if (s == nullptr) throw std::invalid_argument("no " + std::string(to_string(protocol)) + " strategy " + std::string(name));
  return {s, closer, port};
}

// Every variant of every strategy in the registry, at 64 bytes.
inline std::vector<StrategyCase> strategy_matrix() {
  std::vector<StrategyCase> cases;
  for (Protocol p : {Protocol::tcp, Protocol::udp})
    for (const Variant& v : variants(p)) cases.push_back({v});
  return cases;
}

// "tcp_reuse_unspec_closer_server_port_bound": the benchmark name's variant
// part in characters a test name may hold.
inline std::string strategy_case_name(const StrategyCase& c) {
  std::string name = c.variant.name();
  for (char& ch : name)
    if (ch == '/' || ch == ':') ch = '_';
  return name;
}

// The config of case `c` against an echo server with `ports` at the address
// `loopback` gives (loopback_v4 or loopback_v6): the UDP port, the echo-once
// port when the server closes, else the TCP port.
inline ExchangeConfig strategy_case_config(const StrategyCase& c, const EchoPorts& ports,
                                           Endpoint (*loopback)(std::uint16_t)) {
  const std::uint16_t port = c.variant.protocol() == Protocol::udp ? ports.udp
                             : c.variant.server_closes()           ? ports.tcp_once
                                                                   : ports.tcp;
  return {c.variant, c.payload, loopback(port)};
}

}  // namespace sockchurn::test
