// The UDP strategies as per-cycle exchangers of the io_uring engine, with the
// semantics of the blocking engine's (udp_strategies.cpp): the echo checked
// byte for byte, datagrams that are not this cycle's echo (an earlier
// cycle's, or from another source) recognised by source address and sequence
// number, counted in stale() and discarded, and the next datagram received
// on the same socket. The socket is a direct descriptor in slot 0 of a
// one-slot registered table; nothing falls back to a syscall.
//
//   UringUdpFreshClose    [close] -> socket -> connect -> send -> recvmsg
//   UringUdpReuseUnspec   [connect(AF_UNSPEC)] -> connect -> send -> recvmsg
//
// One linked submission per exchange. The cycle's last step (close_direct,
// or the ring disconnect) heads the *next* exchange's chain instead of ending
// this one: a stale datagram must be followed by another recv on the same,
// still connected socket, and a link cannot branch on what a recv read. So
// each exchange still does every step of its cycle once, in one
// io_uring_enter; the last one's tail runs in finish() (or the destructor),
// and after a failure the tail runs at once, on its own, as the blocking engine closes
// (disconnects) after a failed cycle.
//
// A lost datagram: the blocking engine's recv waits until the harness's
// stall watchdog gives up; here the ring's bound (UringUdpConfig::timeout,
// kRingTimeout by default, below the watchdog's) cancels the recv and the
// cycle fails with "recv: ECANCELED".
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <array>
#include <chrono>
#include <cstddef>

#include "net/endpoint.hpp"
#include "model/exchange.hpp"
#include "model/message.hpp"
#include "engines/uring/uring_ring.hpp"

namespace sockchurn {

struct UringUdpConfig {
  Endpoint server;           // the UDP echo
  std::size_t payload = 64;  // bytes per exchange, 1 to kMaxUdpPayload
  std::chrono::milliseconds timeout = kRingTimeout;  // each submission's bound
};

class UringUdpExchanger : public Exchanger {
 public:
  UringUdpExchanger(const UringUdpExchanger&) = delete;
  UringUdpExchanger& operator=(const UringUdpExchanger&) = delete;
  UringUdpExchanger(UringUdpExchanger&&) = delete;
  UringUdpExchanger& operator=(UringUdpExchanger&&) = delete;
  // finish(), if the harness did not call it.
  ~UringUdpExchanger() override;
  Outcome exchange() final;
  // Runs the last exchange's tail (close, or disconnect), so that a run
  // does each of its steps once per exchange before its counters are read.
  // Errors are ignored: the ring's exit closes the socket anyway.
  void finish() final;

  // For tests: the ring, whose slot 0 holds the socket between exchanges.
  Ring& ring() noexcept { return ring_; }
  static constexpr unsigned kSlot = 0;

 protected:
  // What ends a cycle: close_direct of the slot (fresh_close) or the ring
  // disconnect (reuse_unspec). The ring is set up here: throws
  // std::system_error if io_uring is unavailable (see uring_support()),
  // std::invalid_argument for a payload of 0 or above kMaxUdpPayload.
  enum class Tail { close, disconnect };
  UringUdpExchanger(const UringUdpConfig& cfg, Tail tail);

 private:
  // Adds an operation to the chain, named `op` for the outcome.
  io_uring_sqe& add(const char* op);
  void add_tail();
  void add_recv();
  // Runs the chain; the first failed step as the outcome, else ok.
  Outcome run_chain();
  // Receives until this cycle's echo: the recvmsg just completed, then more
  // on the same socket while what came is stale.
  Outcome check_echo();
  // After a failure: the tail on its own, so the next cycle starts clean.
  void reset();

  UringUdpConfig cfg_;
  Tail tail_;
  Ring ring_;
  Message msg_;
  bool open_ = false;  // slot 0 holds a socket (reuse: created once)
  bool tail_due_ = false;  // the previous exchange's tail has not run yet
  std::array<const char*, 8> ops_{};  // each prepared step's name
  io_uring_sqe* last_ = nullptr;
  int recv_res_ = 0;  // the last recvmsg's result
  // recvmsg's buffers: the message's receive buffer and the source address.
  Endpoint from_;
  iovec iov_{};
  msghdr hdr_{};
  sockaddr_storage unspec_{};
};

// fresh_close: a new socket per exchange, closed at the head of the next.
class UringUdpFreshClose final : public UringUdpExchanger {
 public:
  explicit UringUdpFreshClose(const UringUdpConfig& cfg) : UringUdpExchanger(cfg, Tail::close) {}
};

// reuse_unspec: one socket, disconnected at the head of the next exchange.
class UringUdpReuseUnspec final : public UringUdpExchanger {
 public:
  explicit UringUdpReuseUnspec(const UringUdpConfig& cfg) : UringUdpExchanger(cfg, Tail::disconnect) {}
};

}  // namespace sockchurn
