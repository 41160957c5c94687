// A strategy as data: how its connections open, how they end and what a
// failure does, written once in its registry row (registry.cpp). Every
// engine interprets these through one plan (plan.hpp) and never names a
// strategy: a new strategy is a new row.
#pragma once

#include <cstdint>
#include <string_view>

namespace sockchurn {

// TCP: how a connection opens and how it ends. After a failure the rule is
// the same for every strategy (plan.cpp): a socket the strategy keeps is
// disconnected (connect(AF_UNSPEC)), any other is closed.
struct TcpPolicy {
  enum class Open : std::uint8_t {
    plain,         // socket(), connect()
    bind_no_port,  // IP_BIND_ADDRESS_NO_PORT, bind(the route's source address, port 0), connect()
    port_range,    // IP_LOCAL_PORT_RANGE: this client thread's slice of the port range
  };
  enum class End : std::uint8_t {
    close,              // close(): a FIN (a RST with linger0)
    linger_unless_fin,  // SO_LINGER {1,0} then close() unless the peer's FIN was read (HAProxy)
    unspec,             // connect(AF_UNSPEC): a RST; the socket is kept for the next connection
    shutdown_drain,     // shutdown(SHUT_WR), read to the peer's EOF, close()
    keep,               // never: one connection for the run, reset (disconnect, close) at its end
  };
  Open open = Open::plain;
  bool linger0 = false;  // SO_LINGER {1,0} on each new socket: its close sends a RST
  End end = End::close;

  bool keeps_socket() const noexcept { return end == End::unspec; }
  bool ends_connections() const noexcept { return end != End::keep; }
};

// The names of the registry's JSON (--list-groups --json): "plain",
// "bind_no_port", ...; "close", "linger_unless_fin", ..., "keep".
std::string_view to_string(TcpPolicy::Open o);
std::string_view to_string(TcpPolicy::End e);

// What the end of a connection under `p` sends first, from the side that
// applies it: "fin" (that side goes to TIME_WAIT when it closes first),
// "rst", "rst_unless_peer_fin", or "none" (the connection is kept for the
// run). The registry's capability `ends_with`, and sockchurn-proxy's.
std::string_view ends_with(const TcpPolicy& p);

// UDP: which socket an exchange uses and what ends it.
struct UdpPolicy {
  enum class Socket : std::uint8_t {
    fresh,  // a new socket per exchange, closed at its end
    kept,   // one socket for the run
  };
  enum class Peer : std::uint8_t {
    connect,    // connect() to the server each exchange, then send/recv
    unconnected,  // never connected: sendto, recvfrom
  };
  Socket socket = Socket::kept;
  Peer peer = Peer::connect;
  bool disconnect = false;  // connect(AF_UNSPEC) at the end of each exchange
};

}  // namespace sockchurn
