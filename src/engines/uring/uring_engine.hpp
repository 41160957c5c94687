// The io_uring engine: one ring per client thread keeping `variant.flows`
// connections in flight (flows:N, as a proxy's backend side), each a flow
// running its own plan (model/plan.hpp) with its socket a direct descriptor
// in its own slot of the registered table (flow i, slot i). Each exchange of
// a flow is one linked chain of SQEs tagged with the flow's index; one
// io_uring_enter submits every chain that is ready and reaps every
// completion, and exchange() returns the next completed exchange with its
// own latency through the shared many-flows adaptor (model/flows.hpp): a
// flow begins its next exchange only in the next exchange() call, so a run
// ends with no exchange begun that it did not count but those in flight in
// other flows. At flows:1 that is one chain and one io_uring_enter per
// exchange. Nothing falls back to a system call: a step the kernel
// refuses ends the exchange with its errno and the step's name. Where
// liburing 2.3 has no helper the SQE is filled by hand (uring_ring.hpp):
// setsockopt (IORING_OP_URING_CMD, kernel 6.7+: SO_LINGER,
// IP_BIND_ADDRESS_NO_PORT, IP_LOCAL_PORT_RANGE) and bind (IORING_OP_BIND,
// kernel 6.11+).
//
// The ring's features (ring:<set>, model/ring_features.hpp; the default's
// set depends on the flows): coop and defer are setup flags; sendzc sends
// the payload (TCP write, UDP send and send_to) with IORING_OP_SEND_ZC,
// whose second completion (IORING_CQE_F_NOTIF: the buffer is free) the
// chain waits for too; fixedbuf registers each flow's two message buffers
// (flow i: buffers 2i out, 2i+1 in) and writes and reads the TCP payload
// with WRITE_FIXED / READ_FIXED, sends UDP's connected payload with
// WRITE_FIXED (a UDP recv stays recvmsg: it needs the source address), and
// gives sendzc a fixed buffer. docs/uring-features.md has what each did.
//
// UDP: the steps after a recv (close, or the disconnect) head the *next*
// exchange's chain instead of ending this one: a stale datagram must be
// followed by another recv on the same, still connected socket, and a link
// cannot branch on what a recv read. So each exchange still does each step
// of its cycle once, in one io_uring_enter; the last one's run in finish().
// A lost datagram: the ring's bound (kRingTimeout, below the harness's
// watchdog) cancels the flow's chain and the exchange fails with "recv:
// ECANCELED".
//
// Behaviour it relies on: docs/kernel-behaviour.md, "io_uring".
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "engines/uring/uring_ring.hpp"
#include "model/flows.hpp"
#include "model/plan.hpp"

namespace sockchurn {

class UringExchanger final : public FlowExchanger {
 public:
  // Sets up the ring (throws std::system_error if io_uring is unavailable,
  // see uring_support()) and, in each flow, a socket the strategy keeps for
  // the run. `timeout` bounds each chain.
  explicit UringExchanger(const ExchangeConfig& cfg, std::chrono::milliseconds timeout = kRingTimeout);
  ~UringExchanger() override;
  // Lets the chains in flight complete, then runs in each flow the steps a
  // UDP exchange left for the next and what ends a TCP connection left open
  // (keepalive's reset), before the counters are read.
  void finish() override;

  // For tests: the ring, whose slot i holds flow i's socket between
  // exchanges (flow 0's: kSlot).
  Ring& ring() noexcept { return ring_; }
  static constexpr unsigned kSlot = 0;
  // The features the ring runs with (ring_used(), model/engines.hpp).
  RingFeatures features() const noexcept { return features_; }

 private:
  struct Flow;
  bool advance() override;
  // Submits the chains prepared and reaps what completed: false when
  // nothing is in flight, or a flow's cancelled chain never completed.
  bool pump();
  // Until no chain is in flight (cancelled first if `cancel`).
  void drain(bool cancel);
  void begin(Flow& f);
  // The steps as `f`'s next chain, prepared (submitted by the next pump()).
  void submit(Flow& f, const Steps& steps);
  // `f`'s chain has completed: its exchange goes on, is settled or reported.
  void completed(Flow& f);
  // The outcome of `f`'s chain: its first failure, or ok.
  static Outcome checked(Flow& f);
  io_uring_sqe& prepare(Flow& f, Step s);
  // The steps as one chain, submitted and waited for (nothing else in
  // flight: at setup and at finish).
  Outcome run(Flow& f, const Steps& steps);
  void settle(Flow& f, const Outcome& o);

  std::chrono::milliseconds timeout_;
  RingFeatures features_;
  Ring ring_;
  std::vector<std::unique_ptr<Flow>> flows_;
  sockaddr_storage unspec_{};
};

}  // namespace sockchurn
