// One echo through a server before any benchmark uses it, so that a wrong
// address or a dead server fails in seconds with a clear message instead of
// the first exchange hanging or failing.
#pragma once

#include "net/endpoint.hpp"
#include "model/registry.hpp"

namespace sockchurn {

// Sends a short message to `target` over `protocol` and expects it back
// within 2 s. Throws std::runtime_error naming the server and the errno
// ("cannot reach the echo server at 127.0.0.1:7 (tcp): ECONNREFUSED").
// A TCP probe ends with a RST, leaving no TIME_WAIT to be counted later.
void probe_echo(Protocol protocol, const Endpoint& target);

}  // namespace sockchurn
