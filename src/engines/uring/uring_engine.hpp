// The io_uring engine: one ring per client thread, its socket a direct
// descriptor in slot 0 of a one-slot registered table, and each exchange of
// the strategy's plan (model/plan.hpp) one linked submission, one
// io_uring_enter. Nothing falls back to a system call: a step the kernel
// refuses ends the exchange with its errno and the step's name. Where
// liburing 2.3 has no helper the SQE is filled by hand (uring_ring.hpp):
// setsockopt (IORING_OP_URING_CMD, kernel 6.7+: SO_LINGER,
// IP_BIND_ADDRESS_NO_PORT, IP_LOCAL_PORT_RANGE) and bind (IORING_OP_BIND,
// kernel 6.11+).
//
// UDP: the steps after a recv (close, or the disconnect) head the *next*
// exchange's chain instead of ending this one: a stale datagram must be
// followed by another recv on the same, still connected socket, and a link
// cannot branch on what a recv read. So each exchange still does each step
// of its cycle once, in one io_uring_enter; the last one's run in finish().
// A lost datagram: the ring's bound (kRingTimeout, below the harness's
// watchdog) cancels the recv and the exchange fails with "recv: ECANCELED".
//
// Behaviour it relies on: docs/kernel-behaviour.md, "io_uring".
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <chrono>

#include "engines/uring/uring_ring.hpp"
#include "model/exchange.hpp"
#include "model/plan.hpp"

namespace sockchurn {

class UringExchanger final : public Exchanger {
 public:
  // Sets up the ring (throws std::system_error if io_uring is unavailable,
  // see uring_support()) and a socket the strategy keeps for the run.
  // `timeout` bounds each submission.
  explicit UringExchanger(const ExchangeConfig& cfg, std::chrono::milliseconds timeout = kRingTimeout);
  Outcome exchange() override;
  // The steps a UDP exchange left for the next, and what ends a TCP
  // connection left open (keepalive's reset), before the counters are read.
  void finish() override;

  // For tests: the ring, whose slot 0 holds the socket between exchanges.
  Ring& ring() noexcept { return ring_; }
  static constexpr unsigned kSlot = 0;

 private:
  // The steps as one linked chain, submitted and waited for: the first
  // failure, or ok.
  Outcome run(const Steps& steps);
  // The step as the next SQE of the chain (not yet linked).
  io_uring_sqe& prepare(Step s);
  void settle(const Outcome& o);

  Plan plan_;
  std::chrono::milliseconds timeout_;
  Ring ring_;
  Steps chain_;     // the steps of the chain in flight
  Steps deferred_;  // UDP: the last exchange's steps after its recv
  long recv_res_ = 0;
  unsigned char eof_byte_ = 0;
  // Buffers the kernel reads or fills while a chain runs.
  Endpoint from_;
  iovec iov_{};
  msghdr recv_hdr_{};
  iovec send_iov_{};
  msghdr send_hdr_{};
  sockaddr_storage unspec_{};
};

}  // namespace sockchurn
