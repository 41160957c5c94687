// parse_ready_line on arbitrary text, and ready_line on arbitrary ports.
//  - Whatever it accepts has three ports from 1 to 65535, and is the line
//    ready_line() prints for them, apart from one trailing "\n", "\r\n" or
//    "\r" and leading zeros in the numbers (accepted on purpose: harmless).
//  - ready_line() of any three non-zero ports parses back to them, with or
//    without "\n" or "\r\n".
// A crash or a sanitizer report is a finding (it never throws).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "check.hpp"
#include "ready_line.hpp"

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
  return std::to_string(p.tcp) + "/" + std::to_string(p.tcp_once) + "/" + std::to_string(p.udp);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (const std::optional<EchoPorts> p = sockchurn::parse_ready_line(text)) {
    const std::string what = "parse_ready_line('" + escaped(text) + "')";
    require(p->tcp != 0 && p->tcp_once != 0 && p->udp != 0, what + " accepted port 0: " + ports_text(*p));
    require(sockchurn::ready_line(*p) == canonical(text),
            what + " accepted " + ports_text(*p) + ", printed as '" + sockchurn::ready_line(*p) + "'");
  }

  // The other direction, for ports taken from the first six bytes.
  if (size >= 6) {
    const auto port = [&](std::size_t i) { return static_cast<std::uint16_t>(data[i] << 8 | data[i + 1]); };
    const EchoPorts p{port(0), port(2), port(4)};
    if (p.tcp != 0 && p.tcp_once != 0 && p.udp != 0) {
      const std::string line = sockchurn::ready_line(p);
      for (const char* ending : {"", "\n", "\r\n"}) {
        const std::optional<EchoPorts> back = sockchurn::parse_ready_line(line + ending);
        require(back && *back == p, "ready_line(" + ports_text(p) + ") = '" + line + "' does not parse back");
      }
    }
  }
  return 0;
}
