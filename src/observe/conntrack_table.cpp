#include "observe/conntrack_table.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace sockchurn {
namespace {

// The n-th blank-separated word of a line (0-based); empty if it has fewer.
std::string_view word_at(std::string_view line, std::size_t n) {
  std::size_t i = 0;
  for (std::size_t k = 0;; ++k) {
    while (i < line.size() && line[i] == ' ') ++i;
    const std::size_t start = i;
    while (i < line.size() && line[i] != ' ') ++i;
    if (i == start) return {};
    if (k == n) return line.substr(start, i - start);
  }
}

bool is_state_name(std::string_view word) {
  return !word.empty() && std::ranges::all_of(word, [](char c) { return (c >= 'A' && c <= 'Z') || c == '_'; });
}

}  // namespace

std::map<std::string, std::int64_t> parse_conntrack_tcp_states(std::string_view text, const std::string& source) {
  std::map<std::string, std::int64_t> states;
  std::size_t line_no = 0;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++line_no;
    // "ipv4 2 tcp 6 119 TIME_WAIT src=...": family, its number, protocol,
    // its number, seconds left, then (TCP only) the state.
    if (word_at(line, 2) != "tcp") continue;
    const std::string_view state = word_at(line, 5);
    if (!is_state_name(state))
      throw std::runtime_error(source + " line " + std::to_string(line_no) + ": a tcp entry without a state: '" +
                               std::string(line.substr(0, 60)) + "'");
    ++states[std::string(state)];
  }
  return states;
}

std::optional<ConntrackOccupancy> read_conntrack_occupancy() {
  std::ifstream count_file("/proc/sys/net/netfilter/nf_conntrack_count");
  ConntrackOccupancy out;
  if (!(count_file >> out.entries) || out.entries <= 0) return std::nullopt;
  std::ifstream table("/proc/net/nf_conntrack");
  if (!table) return out;
  std::ostringstream text;
  text << table.rdbuf();
  try {
    out.tcp_states = parse_conntrack_tcp_states(text.str(), "/proc/net/nf_conntrack");
  } catch (const std::runtime_error&) {
    out.tcp_states.clear();  // the total stands on its own
  }
  return out;
}

}  // namespace sockchurn
