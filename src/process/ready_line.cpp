#include "process/ready_line.hpp"

#include <charconv>

namespace sockchurn {

namespace {
constexpr std::string_view kPrefix = "sockchurn-echo ready ";
constexpr std::string_view kAfter = "tcp_after_";

// Takes the digits of a port (1 to 65535; leading zeros allowed) from the
// front of `rest`.
bool take_port_number(std::string_view& rest, std::uint16_t& port) {
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), value);
  if (ec != std::errc() || value == 0 || value > 65535) return false;
  port = static_cast<std::uint16_t>(value);
  rest.remove_prefix(static_cast<std::size_t>(end - rest.data()));
  return true;
}

// Takes "key=PORT" from the front of `rest`, then one separating space unless
// `last` (which must end `rest`).
bool take_port(std::string_view& rest, std::string_view key, bool last, std::uint16_t& port) {
  if (rest.size() <= key.size() || rest.substr(0, key.size()) != key || rest[key.size()] != '=') return false;
  rest.remove_prefix(key.size() + 1);
  if (!take_port_number(rest, port)) return false;
  if (last) return rest.empty();
  if (rest.empty() || rest.front() != ' ') return false;
  rest.remove_prefix(1);
  return true;
}

// Takes "tcp_after_N=PORT" from the front of `rest`, then one separating space
// unless it ends the line. N is written without leading zeros.
bool take_after(std::string_view& rest, std::pair<unsigned, std::uint16_t>& out) {
  if (!rest.starts_with(kAfter)) return false;
  rest.remove_prefix(kAfter.size());
  if (rest.empty() || rest.front() == '0') return false;
  unsigned n = 0;
  const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), n);
  if (ec != std::errc() || n < kCloseAfterMin || n > kCloseAfterMax) return false;
  rest.remove_prefix(static_cast<std::size_t>(end - rest.data()));
  if (rest.empty() || rest.front() != '=') return false;
  rest.remove_prefix(1);
  if (!take_port_number(rest, out.second)) return false;
  out.first = n;
  if (rest.empty()) return true;
  if (rest.front() != ' ' || rest.size() == 1) return false;
  rest.remove_prefix(1);
  return true;
}
}  // namespace

std::string ready_line(const EchoPorts& ports) {
  std::string line = std::string(kPrefix) + "tcp=" + std::to_string(ports.tcp) +
                     " tcp_once=" + std::to_string(ports.tcp_once) + " udp=" + std::to_string(ports.udp);
  for (const auto& [n, port] : ports.tcp_after)
    line += " " + std::string(kAfter) + std::to_string(n) + "=" + std::to_string(port);
  return line;
}

std::optional<EchoPorts> parse_ready_line(std::string_view line) {
  if (line.ends_with('\n')) line.remove_suffix(1);
  if (line.ends_with('\r')) line.remove_suffix(1);
  if (!line.starts_with(kPrefix)) return std::nullopt;
  line.remove_prefix(kPrefix.size());
  EchoPorts p;
  if (!take_port(line, "tcp", false, p.tcp) || !take_port(line, "tcp_once", false, p.tcp_once)) return std::nullopt;
  // udp ends the line, or is followed by a space and the tcp_after_N fields.
  const std::size_t space = line.find(' ');
  std::string_view udp = line.substr(0, space);
  if (!take_port(udp, "udp", true, p.udp)) return std::nullopt;
  if (space == std::string_view::npos) return p;
  line.remove_prefix(space + 1);
  if (line.empty()) return std::nullopt;
  while (!line.empty()) {
    std::pair<unsigned, std::uint16_t> after;
    if (!take_after(line, after)) return std::nullopt;
    if (!p.tcp_after.empty() && after.first <= p.tcp_after.back().first) return std::nullopt;  // ascending, once each
    p.tcp_after.push_back(after);
  }
  return p;
}

}  // namespace sockchurn
