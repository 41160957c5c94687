// The one line sockchurn-echo prints on stdout once it listens, so that a
// parent process can start it with port 0 and learn its ports.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sockchurn {

struct EchoPorts {
  std::uint16_t tcp = 0;       // echoes until the peer closes
  std::uint16_t tcp_once = 0;  // echoes one message, then closes
  std::uint16_t udp = 0;
  bool operator==(const EchoPorts&) const = default;
};

// "sockchurn-echo ready tcp=41234 tcp_once=41235 udp=41236"
std::string ready_line(const EchoPorts& ports);
// The inverse; a trailing "\n" or "\r\n" is accepted, anything else that
// deviates (missing, reordered or extra fields, port 0 or > 65535) is not.
std::optional<EchoPorts> parse_ready_line(std::string_view line);

}  // namespace sockchurn
