// One cycle of a strategy: an Exchanger per client thread, whose exchange()
// performs one cycle and checks the echo byte for byte.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "net/endpoint.hpp"
#include "model/registry.hpp"

namespace sockchurn {

inline constexpr std::size_t kMaxUdpPayload = 65507;  // IPv4: 65535 - 8 (UDP) - 20 (IP)

struct ExchangeConfig {
  Variant variant;
  std::size_t payload = 64;
  // The port the variant talks to: for TCP with the server closing, the
  // echo-once port (server_closes()); otherwise the echo port.
  Endpoint server;
};

// The result of one cycle: ok, or which call failed and its error value
// (an errno, or kEof / kUnexpectedData / kEchoMismatch from sockops.hpp).
struct Outcome {
  int err = 0;
  const char* op = "";
  // The exchange's own duration, from an engine that runs several flows at
  // once (one exchange() call returns whichever finished next); -1: the
  // exchange is the exchange() call, and the caller times it.
  std::int64_t latency_ns = -1;
  bool ok() const noexcept { return err == 0; }
  std::string describe() const;  // "connect: ECONNREFUSED (Connection refused)"
};

class Exchanger {
 public:
  Exchanger() = default;
  Exchanger(const Exchanger&) = delete;
  Exchanger& operator=(const Exchanger&) = delete;
  virtual ~Exchanger() = default;
  // One exchange (a request and its echo; with rpc:1 a whole connection's
  // cycle). After a failure the exchanger resets its socket so the next
  // exchange starts clean.
  virtual Outcome exchange() = 0;
  // Ends the connections left open the strategy's way (a reset for reuse,
  // a FIN for fresh_close), so that a run's kernel counters and TIME_WAIT
  // include every connection it opened; the harness calls it after the
  // last exchange of a run. Exchanges still in flight (other flows) are
  // dropped uncounted.
  virtual void finish() {}
  // UDP: datagrams that were not this cycle's echo (an earlier cycle's, or
  // one from another source queued while the socket was disconnected),
  // recognised by source address and sequence number and discarded.
  std::uint64_t stale() const noexcept { return stale_; }

 protected:
  std::uint64_t stale_ = 0;
};

// Checks the config (std::invalid_argument: no strategy, a payload of 0 or
// too large for a datagram) and builds the variant's exchanger.
std::unique_ptr<Exchanger> make_exchanger(const ExchangeConfig& cfg);

}  // namespace sockchurn
