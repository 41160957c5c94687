#include "ready_line.hpp"

#include <charconv>

namespace sockchurn {

namespace {
constexpr std::string_view kPrefix = "sockchurn-echo ready ";

// Parses "key=PORT" at the front of `rest` and advances past it and one space.
bool take_port(std::string_view& rest, std::string_view key, std::uint16_t& port) {
  if (rest.substr(0, key.size() + 1) != std::string(key) + "=") return false;
  rest.remove_prefix(key.size() + 1);
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), value);
  if (ec != std::errc() || value == 0 || value > 65535) return false;
  port = static_cast<std::uint16_t>(value);
  rest.remove_prefix(static_cast<std::size_t>(end - rest.data()));
  if (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  return true;
}
}  // namespace

std::string ready_line(const EchoPorts& ports) {
  return std::string(kPrefix) + "tcp=" + std::to_string(ports.tcp) + " tcp_once=" + std::to_string(ports.tcp_once) +
         " udp=" + std::to_string(ports.udp);
}

std::optional<EchoPorts> parse_ready_line(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  line.remove_prefix(kPrefix.size());
  EchoPorts p;
  if (!take_port(line, "tcp", p.tcp) || !take_port(line, "tcp_once", p.tcp_once) || !take_port(line, "udp", p.udp) ||
      !line.empty())
    return std::nullopt;
  return p;
}

}  // namespace sockchurn
