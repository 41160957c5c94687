// The per-cycle operations of every strategy in DESIGN.md ("The matrix").
// One Exchanger per client thread; exchange() performs one cycle and checks
// the echo byte for byte.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "endpoint.hpp"

namespace sockchurn {

enum class Protocol { tcp, udp };
enum class Strategy {
  fresh_close,    // socket, connect, write, read, close (TCP: FIN)
  fresh_linger0,  // TCP: as fresh_close with SO_LINGER {1,0}: close sends RST
  reuse_unspec,   // one socket: connect, write, read, connect(AF_UNSPEC)
  keepalive,      // TCP reference: one connection for the run
  reconnect,      // UDP: one socket, connect() to the peer again, no AF_UNSPEC
  sendto,         // UDP reference: one unconnected socket, sendto/recvfrom
};
enum class Closer { client, server };     // TCP: who ends the exchange
enum class LocalPort { ephemeral, bound };  // reuse_unspec: explicit bind once

std::string_view to_string(Protocol p);
std::string_view to_string(Strategy s);
std::string_view to_string(Closer c);
std::string_view to_string(LocalPort p);

// Which dimensions apply to a strategy (names carry only those).
bool has_closer(Protocol p, Strategy s);
bool has_local_port(Strategy s);
bool valid(Protocol p, Strategy s);

struct ExchangeConfig {
  Protocol protocol = Protocol::tcp;
  Strategy strategy = Strategy::fresh_close;
  Closer closer = Closer::client;
  LocalPort local_port = LocalPort::ephemeral;
  std::size_t payload = 64;
  // TCP closer:client and UDP: the echo port; TCP closer:server: the
  // echo-once port (the server closes after one echo).
  Endpoint server;
};

// The result of one cycle: ok, or which call failed and its error value
// (an errno, or kEof / kUnexpectedData / kEchoMismatch from sockops.hpp).
struct Outcome {
  int err = 0;
  const char* op = "";
  bool ok() const noexcept { return err == 0; }
  std::string describe() const;  // "connect: ECONNREFUSED (Connection refused)"
};

class Exchanger {
 public:
  virtual ~Exchanger() = default;
  // One cycle of the strategy. After a failure the exchanger resets its
  // socket so the next cycle starts clean.
  virtual Outcome exchange() = 0;
  // UDP: datagrams that were not this cycle's echo (an earlier cycle's, or
  // one from another source queued while the socket was disconnected),
  // recognised by source address and sequence number and discarded.
  std::uint64_t stale() const noexcept { return stale_; }

 protected:
  std::uint64_t stale_ = 0;
};

// Throws std::invalid_argument for a combination that does not exist and
// std::system_error if setup (e.g. binding the local port) fails.
std::unique_ptr<Exchanger> make_exchanger(const ExchangeConfig& cfg);

}  // namespace sockchurn
