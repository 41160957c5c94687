// The TCP strategies as per-cycle exchangers of the io_uring engine: each
// exchange is one linked submission on the exchanger's own ring, its socket a
// direct descriptor in slot 0 of a one-slot registered table. Nothing falls
// back to a syscall: an operation the kernel refuses ends the cycle with its
// errno and the operation's name.
//
//   UringFreshClose    socket -> connect -> send -> recv -> close, one chain
//   UringFreshLinger0  the same with SO_LINGER {1,0} linked in after socket,
//                      through IORING_OP_URING_CMD SOCKET_URING_OP_SETSOCKOPT
//                      (kernel 6.7+; older kernels: every cycle fails with
//                      EOPNOTSUPP, op "setsockopt(SO_LINGER) via
//                      IORING_OP_URING_CMD")
//   UringReuseUnspec   one socket: connect -> send -> recv -> connect(AF_UNSPEC)
//   UringKeepalive     one connection for the run: send -> recv
//
// Behaviour they rely on: docs/kernel-behaviour.md, "io_uring".
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <vector>

#include "net/endpoint.hpp"
#include "model/exchange.hpp"
#include "model/message.hpp"
#include "engines/uring/uring_ring.hpp"

namespace sockchurn {

struct UringTcpConfig {
  Endpoint server;           // the echo port; with server_closes, the echo-once port
  std::size_t payload = 64;  // bytes per exchange, at least 1
  bool server_closes = false;  // fresh and reuse: the server closes first, we read its EOF
};

// What the four share: the ring, the message (a new sequence number in each
// exchange's, as the blocking engine's), and one chain per exchange.
class UringTcpExchanger : public Exchanger {
 public:
  // The ring is set up here: throws std::system_error if io_uring is
  // unavailable (see uring_support()), std::invalid_argument for a payload
  // of 0.
  explicit UringTcpExchanger(const UringTcpConfig& cfg);
  // For tests: the ring, whose slot 0 holds the exchanger's socket.
  Ring& ring() noexcept { return ring_; }
  static constexpr unsigned kSlot = 0;

 protected:
  enum class Check {
    status,  // res >= 0
    sent,    // the whole message sent
    echo,    // the whole message back, byte for byte
    eof,     // end of stream (0)
  };
  // Adds an operation on the socket's slot to the chain: `prep` fills the
  // SQE; IOSQE_FIXED_FILE unless `on_slot` is false (socket_direct and
  // close_direct name the slot themselves).
  template <typename Prep>
  void add(const char* op, Check check, Prep&& prep, bool on_slot = true) {
    io_uring_sqe& sqe = ring_.prepare();
    prep(sqe);
    if (on_slot) use_direct(sqe);
    sqe.flags |= IOSQE_IO_LINK;
    last_ = &sqe;
    steps_.push_back({op, check});
  }
  // The next exchange's message (a new sequence number): first in exchange().
  void next_message() { msg_.next(); }
  void add_socket();
  void add_connect();
  void add_send();
  void add_recv_echo();
  void add_recv_eof();
  void add_disconnect();
  void add_close();
  // Submits the chain and waits for it; the first failure, if any.
  Outcome run_chain();
  // close_direct of the slot alone (after a failure left a socket in it);
  // an empty slot is fine.
  void close_slot();

  UringTcpConfig cfg_;
  Ring ring_;

 private:
  struct Step {
    const char* op;
    Check check;
  };
  std::vector<Step> steps_;
  io_uring_sqe* last_ = nullptr;
  Message msg_;
  unsigned char eof_byte_ = 0;
  sockaddr_storage unspec_{};
};

class UringFreshClose : public UringTcpExchanger {
 public:
  explicit UringFreshClose(const UringTcpConfig& cfg) : UringTcpExchanger(cfg) {}
  Outcome exchange() override;

 protected:
  Outcome fresh(bool linger0);
};

class UringFreshLinger0 final : public UringFreshClose {
 public:
  explicit UringFreshLinger0(const UringTcpConfig& cfg) : UringFreshClose(cfg) {}
  Outcome exchange() override { return fresh(true); }
};

class UringReuseUnspec final : public UringTcpExchanger {
 public:
  explicit UringReuseUnspec(const UringTcpConfig& cfg) : UringTcpExchanger(cfg) {}
  Outcome exchange() override;

 private:
  bool open_ = false;  // slot 0 holds the socket
};

class UringKeepalive final : public UringTcpExchanger {
 public:
  explicit UringKeepalive(const UringTcpConfig& cfg) : UringTcpExchanger(cfg) {}
  UringKeepalive(const UringKeepalive&) = delete;
  UringKeepalive& operator=(const UringKeepalive&) = delete;
  UringKeepalive(UringKeepalive&&) = delete;
  UringKeepalive& operator=(UringKeepalive&&) = delete;
  // Ends the connection with a reset (ring disconnect), as the blocking
  // keepalive does, so a run leaves no TIME_WAIT behind.
  ~UringKeepalive() override;
  Outcome exchange() override;

 private:
  bool connected_ = false;
};

}  // namespace sockchurn
