// The strategy matrix of DESIGN.md as test cases, shared by
// test_strategies.cpp (IPv4) and test_ipv6_strategies.cpp: the case table,
// the case names, and the exchange config that points a case at the echo
// server's port for it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "endpoint.hpp"
#include "ready_line.hpp"
#include "strategies.hpp"

namespace sockchurn::test {

struct StrategyCase {
  Protocol protocol;
  Strategy strategy;
  Closer closer;
  LocalPort port;
  std::size_t payload = 64;
};

// Every strategy with each of its closers and local ports, at 64 bytes.
inline const std::vector<StrategyCase> kStrategyMatrix = {
    {Protocol::tcp, Strategy::fresh_close, Closer::client, LocalPort::ephemeral},
    {Protocol::tcp, Strategy::fresh_close, Closer::server, LocalPort::ephemeral},
    {Protocol::tcp, Strategy::fresh_linger0, Closer::client, LocalPort::ephemeral},
    {Protocol::tcp, Strategy::fresh_linger0, Closer::server, LocalPort::ephemeral},
    {Protocol::tcp, Strategy::reuse_unspec, Closer::client, LocalPort::ephemeral},
    {Protocol::tcp, Strategy::reuse_unspec, Closer::client, LocalPort::bound},
    {Protocol::tcp, Strategy::reuse_unspec, Closer::server, LocalPort::ephemeral},
    {Protocol::tcp, Strategy::reuse_unspec, Closer::server, LocalPort::bound},
    {Protocol::tcp, Strategy::keepalive, Closer::client, LocalPort::ephemeral},
    {Protocol::udp, Strategy::fresh_close, Closer::client, LocalPort::ephemeral},
    {Protocol::udp, Strategy::reuse_unspec, Closer::client, LocalPort::ephemeral},
    {Protocol::udp, Strategy::reuse_unspec, Closer::client, LocalPort::bound},
    {Protocol::udp, Strategy::reconnect, Closer::client, LocalPort::ephemeral},
    {Protocol::udp, Strategy::sendto, Closer::client, LocalPort::ephemeral},
};

// "tcp_reuse_unspec_closer_server_bound": only the dimensions the strategy has.
inline std::string strategy_case_name(const StrategyCase& c) {
  std::string name = std::string(to_string(c.protocol)) + "_" + std::string(to_string(c.strategy));
  if (has_closer(c.protocol, c.strategy)) name += "_closer_" + std::string(to_string(c.closer));
  if (has_local_port(c.strategy)) name += "_" + std::string(to_string(c.port));
  return name;
}

// The config of case `c` against an echo server with `ports` at the address
// `loopback` gives (loopback_v4 or loopback_v6): the UDP port, the echo-once
// port when the server closes, else the TCP port.
inline ExchangeConfig strategy_case_config(const StrategyCase& c, const EchoPorts& ports,
                                           Endpoint (*loopback)(std::uint16_t)) {
  ExchangeConfig cfg;
  cfg.protocol = c.protocol;
  cfg.strategy = c.strategy;
  cfg.closer = c.closer;
  cfg.local_port = c.port;
  cfg.payload = c.payload;
  const bool once = c.protocol == Protocol::tcp && c.closer == Closer::server && has_closer(c.protocol, c.strategy);
  cfg.server = loopback(c.protocol == Protocol::udp ? ports.udp : once ? ports.tcp_once : ports.tcp);
  return cfg;
}

}  // namespace sockchurn::test
