#include "time_wait.hpp"

#include "observe/tcp_states.hpp"

namespace sockchurn::bench {

std::set<std::uint64_t> socket_cookies() {
  std::set<std::uint64_t> cookies;
  for (const auto& s : list_tcp_sockets()) cookies.insert(s.cookie);
  return cookies;
}

TimeWaitCount time_wait_since(const std::set<std::uint64_t>& before, const Endpoint& server) {
  TimeWaitCount n;
  const std::uint16_t port = server.port();
  for (const auto& s : list_tcp_sockets()) {
    if (s.state != TcpState::time_wait || before.contains(s.cookie)) continue;
    if (s.local.port() == port && s.local.same_host(server)) ++n.total, ++n.server_side;
    else if (s.remote.port() == port && s.remote.same_host(server)) ++n.total;
  }
  return n;
}

}  // namespace sockchurn::bench
