// parse_ready_line on arbitrary text, and ready_line on arbitrary ports.
//  - Whatever it accepts has three ports from 1 to 65535, close-after-N ports
//    (if any) from 1 to 65535 in strictly ascending N within [kCloseAfterMin,
//    kCloseAfterMax], and is the line ready_line() prints for them, apart
//    from one trailing "\n", "\r\n" or "\r" and leading zeros in the port
//    numbers (accepted on purpose: harmless).
//  - ready_line() of any three non-zero ports, with or without close-after-N
//    ports in ascending N, parses back to them, with or without "\n" or
//    "\r\n".
// A crash or a sanitizer report is a finding (it never throws).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "check.hpp"
#include "process/ready_line.hpp"

using sockchurn::EchoPorts;
using sockchurn::fuzz::escaped;
using sockchurn::fuzz::require;

namespace {

// `line` without its line ending and without zeros that lead a number after '='.
std::string canonical(std::string_view line) {
  if (line.ends_with('\n')) line.remove_suffix(1);
  if (line.ends_with('\r')) line.remove_suffix(1);
  std::string out;
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '0' && !out.empty() && out.back() == '=' && i + 1 < line.size() && line[i + 1] >= '0' &&
        line[i + 1] <= '9')
      continue;
    out += line[i];
  }
  return out;
}

std::string ports_text(const EchoPorts& p) {
  std::string text = std::to_string(p.tcp) + "/" + std::to_string(p.tcp_once) + "/" + std::to_string(p.udp);
  for (const auto& [n, port] : p.tcp_after) text += " " + std::to_string(n) + ":" + std::to_string(port);
  return text;
}

bool well_formed(const EchoPorts& p) {
  if (p.tcp == 0 || p.tcp_once == 0 || p.udp == 0) return false;
  unsigned previous = 0;
  for (const auto& [n, port] : p.tcp_after) {
    if (n < sockchurn::kCloseAfterMin || n > sockchurn::kCloseAfterMax || n <= previous || port == 0) return false;
    previous = n;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (const std::optional<EchoPorts> p = sockchurn::parse_ready_line(text)) {
    const std::string what = "parse_ready_line('" + escaped(text) + "')";
    require(well_formed(*p), what + " accepted ports out of shape: " + ports_text(*p));
    require(sockchurn::ready_line(*p) == canonical(text),
            what + " accepted " + ports_text(*p) + ", printed as '" + sockchurn::ready_line(*p) + "'");
  }

  // The other direction, for ports taken from the first six bytes, then up to
  // eight close-after-N ports from 5 bytes each: 3 for the step to the next N,
  // 2 for its port.
  if (size >= 6) {
    const auto port = [&](std::size_t i) { return static_cast<std::uint16_t>(data[i] << 8 | data[i + 1]); };
    EchoPorts p{port(0), port(2), port(4)};
    unsigned n = sockchurn::kCloseAfterMin - 1;
    for (std::size_t i = 6; i + 5 <= size && p.tcp_after.size() < 8; i += 5) {
      n += 1 + static_cast<unsigned>(data[i] << 16 | data[i + 1] << 8 | data[i + 2]);
      if (n > sockchurn::kCloseAfterMax) break;
      p.tcp_after.emplace_back(n, port(i + 3));
    }
    if (well_formed(p)) {
      const std::string line = sockchurn::ready_line(p);
      for (const char* ending : {"", "\n", "\r\n"}) {
        const std::optional<EchoPorts> back = sockchurn::parse_ready_line(line + ending);
        require(back && *back == p, "ready_line(" + ports_text(p) + ") = '" + line + "' does not parse back");
      }
    }
  }
  return 0;
}
