// The one line sockchurn-echo prints on stdout once it listens, so that a
// parent process can start it with port 0 and learn its ports.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sockchurn {

// The reads a close-after-N port may be asked to echo before it closes
// (sockchurn-echo --close-after=N; 1 is the echo-once port).
inline constexpr unsigned kCloseAfterMin = 2;
inline constexpr unsigned kCloseAfterMax = 1'000'000;

struct EchoPorts {
  std::uint16_t tcp = 0;       // echoes until the peer closes
  std::uint16_t tcp_once = 0;  // echoes one message, then closes
  std::uint16_t udp = 0;
  // {N, port} of each close-after-N port, ascending N: echoes N messages, then
  // closes. Empty unless the server was started with --close-after.
  std::vector<std::pair<unsigned, std::uint16_t>> tcp_after = {};
  bool operator==(const EchoPorts&) const = default;

  // The close-after-N port for `n`, 0 if the server has none.
  std::uint16_t after(unsigned n) const noexcept {
    for (const auto& [count, port] : tcp_after)
      if (count == n) return port;
    return 0;
  }
};

// "sockchurn-echo ready tcp=41234 tcp_once=41235 udp=41236", then
// " tcp_after_N=PORT" for each close-after-N port in the order of tcp_after
// (ascending N is the only order parse_ready_line accepts):
// "sockchurn-echo ready tcp=1 tcp_once=2 udp=3 tcp_after_10=4 tcp_after_100=5".
std::string ready_line(const EchoPorts& ports);
// The inverse; a trailing "\n" or "\r\n" is accepted, anything else that
// deviates (missing, reordered or extra fields, port 0 or > 65535, an N out of
// [kCloseAfterMin, kCloseAfterMax], with a leading zero, repeated or out of
// ascending order) is not. A line without tcp_after_N fields (from a server
// that predates them) parses with tcp_after empty.
std::optional<EchoPorts> parse_ready_line(std::string_view line);

}  // namespace sockchurn
