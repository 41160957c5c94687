// The Asio engine: an event-driven client, as a proxy's or a pool's backend
// side. Each client thread's exchanger owns an io_context and keeps
// `variant.flows` connections in flight, each a coroutine running the
// strategy's cycle with async connect, write and read; exchange() runs the
// io_context until the next exchange of any flow completes and returns it,
// with its own latency. The strategies (asio_strategies.cpp) differ only in
// how a connection is opened and ended: an AsioCycle.
#pragma once

#include <memory>

#include "model/exchange.hpp"

namespace sockchurn {

struct AsioCycle {
  enum class End {
    close,              // close(): FIN, or RST with linger0
    linger_unless_fin,  // SO_LINGER {1,0} unless the peer's FIN was read, then close (HAProxy)
    unspec,             // connect(AF_UNSPEC) through native_handle(); the socket object stays
    keep,               // never: one connection per flow for the run (keepalive)
  };
  End end = End::close;
  bool linger0 = false;  // SO_LINGER {1,0} on each new socket
};

std::unique_ptr<Exchanger> make_asio_exchanger(const ExchangeConfig& cfg, AsioCycle cycle);

}  // namespace sockchurn
