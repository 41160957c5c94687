// The one TIME_WAIT count of the benchmarks (churn runs, slices and
// port_exhaustion's seconds): the TIME_WAIT sockets toward or on the
// server's port of connections that did not exist when a starting set was
// taken, told apart by their sock_diag cookie (a TIME_WAIT socket keeps its
// connection's), so that a count depends neither on what earlier runs left
// in the namespace nor on a connection that was closing at the start.
#pragma once

#include <cstdint>
#include <set>

#include "net/endpoint.hpp"

namespace sockchurn::bench {

struct TimeWaitCount {
  int total = 0;        // TIME_WAIT sockets created since the start set, still there
  int server_side = 0;  // of them, on the server's side (the server closed first)
};

// The cookies of this namespace's TCP sockets now, in any state. Throws
// std::system_error if the sockets cannot be listed.
std::set<std::uint64_t> socket_cookies();

// The TIME_WAIT sockets toward `server` (its address and port) or on its
// port that are not in `before`. Throws std::system_error as above.
TimeWaitCount time_wait_since(const std::set<std::uint64_t>& before, const Endpoint& server);

}  // namespace sockchurn::bench
