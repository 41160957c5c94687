// TCP sockets of this network namespace as the kernel lists them
// (NETLINK_SOCK_DIAG, the interface `ss` uses).
#pragma once

#include <cstdint>
#include <vector>

#include "net/endpoint.hpp"

namespace sockchurn {

// Kernel TCP state numbers (include/net/tcp_states.h).
enum class TcpState : int {
  established = 1, syn_sent, syn_recv, fin_wait1, fin_wait2, time_wait,
  close, close_wait, last_ack, listen, closing,
};

struct TcpSocketInfo {
  TcpState state{};
  Endpoint local;
  Endpoint remote;
  // The kernel's socket cookie: unique while the socket (or its TIME_WAIT
  // successor, which keeps it) lives; tells a socket apart from a later one
  // on the same ports.
  std::uint64_t cookie = 0;
};

// Every IPv4 and IPv6 TCP socket (TIME_WAIT included) of this namespace.
// Throws std::system_error if the netlink query fails.
std::vector<TcpSocketInfo> list_tcp_sockets();

// Sockets in `state` whose local or remote port is `port`.
int count_tcp_sockets(TcpState state, std::uint16_t port);

}  // namespace sockchurn
