// The one interpretation of a strategy's policy (policy.hpp) that every
// engine shares: which steps each exchange performs (the rpc loop: open a
// connection before its first request, end it after its N-th), what must run
// after a failure ("a kept socket is disconnected, any other closed"), what
// ends a run, and how a step's result is checked (the echo byte for byte,
// the peer's EOF, a stale datagram). An engine only performs steps: by
// system calls (blocking), as Asio operations, or as linked io_uring SQEs.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "model/exchange.hpp"
#include "model/message.hpp"
#include "model/policy.hpp"
#include "net/endpoint.hpp"

namespace sockchurn {

// One operation on the exchanger's socket.
enum class Step : std::uint8_t {
  socket,            // a new socket of the server's family (SOCK_STREAM or SOCK_DGRAM)
  bind_port,         // bind to an explicit free port (port:bound): setup only, retried
  set_linger0,       // setsockopt(SO_LINGER {1,0})
  set_bind_no_port,  // setsockopt(IP_BIND_ADDRESS_NO_PORT, 1)
  bind_source,       // bind(SocketArgs::source)
  set_port_range,    // setsockopt(IP_LOCAL_PORT_RANGE, SocketArgs::port_range)
  connect,           // to the server
  write,             // TCP: the message, whole
  read,              // TCP: its echo, exactly the message's size
  read_eof,          // TCP: the peer's EOF (one byte's room: data is an error)
  shutdown_wr,       // shutdown(SHUT_WR)
  send,              // UDP, connected: the message
  send_to,           // UDP, unconnected: the message to the server
  recv,              // UDP: a datagram and its source (Plan::datagram says whose)
  disconnect,        // connect(AF_UNSPEC)
  close,             // close (nothing to close is no error)
};

// The step's name in an Outcome ("connect", "setsockopt(SO_LINGER)").
const char* step_name(Step s) noexcept;

// A few steps in order: what one exchange, its clean-up or a run's end does.
class Steps {
 public:
  static constexpr std::size_t kMax = 12;
  void push(Step s) noexcept { steps_[n_++] = s; }
  void append(const Steps& more) noexcept {
    for (Step s : more) push(s);
  }
  const Step* begin() const noexcept { return steps_.data(); }
  const Step* end() const noexcept { return steps_.data() + n_; }
  std::size_t size() const noexcept { return n_; }
  bool empty() const noexcept { return n_ == 0; }
  Step operator[](std::size_t i) const noexcept { return steps_[i]; }

 private:
  std::array<Step, kMax> steps_{};
  std::size_t n_ = 0;
};

// What a strategy's sockets need besides the server's address, worked out
// once per exchanger: the source address (bind_no_port), the port-range
// slice (port_range).
struct SocketArgs {
  Endpoint server;
  Endpoint source;              // the address the route to the server takes, port 0
  std::uint32_t port_range = 0;  // (high port << 16) | low port
  int type = 0;                  // SOCK_STREAM or SOCK_DGRAM
};

// One exchanger's (or one flow's) plan: its state is the connection's (open
// or not, requests made on it) and whether a socket is held.
class Plan {
 public:
  explicit Plan(const ExchangeConfig& cfg);

  const SocketArgs& args() const noexcept { return args_; }
  Message& message() noexcept { return msg_; }

  // At construction: the socket a strategy keeps for the run (TCP
  // reuse_unspec, UDP but fresh_close), bound for port:bound; else none.
  Steps setup();
  // The next exchange: a new message, then its steps.
  Steps next();
  // After the steps last given out ran with outcome `o`: the steps that
  // must run now (after a failure: disconnect a kept socket, else close;
  // if the disconnect fails, close), or none. Call until it gives none.
  Steps settle(const Outcome& o);
  // At the end of a run: what ends a connection left open the strategy's
  // way (keepalive's: a reset), or none. Then settle() as above.
  Steps finish();

  // The result of `s` (>= 0: bytes, or 0 for a status; < 0: -errno) as an
  // outcome: short writes and reads, a wrong echo, data before EOF.
  Outcome check(Step s, long res) const;
  // The outcome of a recv step that returned `res` (the datagram in the
  // message's receive buffer, from `from`): none when it was not this
  // exchange's echo but an earlier one's, or a stranger's (counted in
  // `stale`: receive again on the same socket); a mismatch when it came
  // from the server but is no message of ours.
  std::optional<Outcome> received(long res, const Endpoint& from, std::uint64_t& stale) const;

 private:
  enum class Phase : std::uint8_t { idle, exchange, disconnecting, closing };
  bool keeps_socket() const noexcept;
  Steps new_socket();
  Steps end_steps(bool fin_read) const;
  Steps lost();  // after a failure

  Variant variant_;
  TcpPolicy tcp_;
  UdpPolicy udp_;
  SocketArgs args_;
  Message msg_;
  Phase phase_ = Phase::idle;
  bool socket_ = false;     // a socket is held (between exchanges: kept ones only)
  bool connected_ = false;  // TCP: a connection is open, or being opened
  bool last_ = false;       // the exchange given out ends its connection
  unsigned done_ = 0;       // requests on the current connection
};

}  // namespace sockchurn
