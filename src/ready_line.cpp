#include "ready_line.hpp"

#include <charconv>

namespace sockchurn {

namespace {
constexpr std::string_view kPrefix = "sockchurn-echo ready ";

// Takes "key=PORT" from the front of `rest`, then one separating space unless
// `last` (which must end the line).
bool take_port(std::string_view& rest, std::string_view key, bool last, std::uint16_t& port) {
  if (rest.size() <= key.size() || rest.substr(0, key.size()) != key || rest[key.size()] != '=') return false;
  rest.remove_prefix(key.size() + 1);
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), value);
  if (ec != std::errc() || value == 0 || value > 65535) return false;
  port = static_cast<std::uint16_t>(value);
  rest.remove_prefix(static_cast<std::size_t>(end - rest.data()));
  if (last) return rest.empty();
  if (rest.empty() || rest.front() != ' ') return false;
  rest.remove_prefix(1);
  return true;
}
}  // namespace

std::string ready_line(const EchoPorts& ports) {
  return std::string(kPrefix) + "tcp=" + std::to_string(ports.tcp) + " tcp_once=" + std::to_string(ports.tcp_once) +
         " udp=" + std::to_string(ports.udp);
}

std::optional<EchoPorts> parse_ready_line(std::string_view line) {
  if (line.ends_with('\n')) line.remove_suffix(1);
  if (line.ends_with('\r')) line.remove_suffix(1);
  if (!line.starts_with(kPrefix)) return std::nullopt;
  line.remove_prefix(kPrefix.size());
  EchoPorts p;
  if (!take_port(line, "tcp", false, p.tcp) || !take_port(line, "tcp_once", false, p.tcp_once) ||
      !take_port(line, "udp", true, p.udp))
    return std::nullopt;
  return p;
}

}  // namespace sockchurn
