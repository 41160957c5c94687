// A plan's steps (model/plan.hpp) by blocking system calls on a descriptor:
// the blocking engine's whole interpretation, and the Asio engine's for the
// steps Asio has no operation for (socket options, bind, shutdown, the
// AF_UNSPEC disconnect, and what ends a run).
#pragma once

#include "model/plan.hpp"

namespace sockchurn {

// Performs `s` on `fd`: its result as a ring gives it (>= 0: bytes moved,
// or 0; < 0: -errno) for Plan::check. Not socket or close (the caller owns
// the descriptor). recv fills `from` with the datagram's source. write and
// read move the whole message (a read returns fewer bytes at EOF); read_eof
// on a non-blocking descriptor waits for readability. bind_port throws
// std::system_error when no explicit port could be bound (setup).
long blocking_step(Step s, int fd, const SocketArgs& args, Message& msg, Endpoint& from);

}  // namespace sockchurn
