// The connection-tracking table of the calling process's network namespace:
// how many entries it holds (/proc/sys/net/netfilter/nf_conntrack_count) and
// its TCP entries by state (/proc/net/nf_conntrack), as the benchmarks report
// them after each run under scripts/bench --conntrack.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace sockchurn {

struct ConntrackOccupancy {
  std::int64_t entries = 0;                        // every entry, any protocol
  std::map<std::string, std::int64_t> tcp_states;  // "TIME_WAIT" -> entries; empty if unreadable
};

// TCP entries by state from text in the format of /proc/net/nf_conntrack:
// one entry a line, "ipv4 2 tcp 6 119 TIME_WAIT src=... [ASSURED] ...".
// Lines of other protocols are skipped. Throws std::runtime_error
// ("<source> line N: ...") for a TCP line without a state.
std::map<std::string, std::int64_t> parse_conntrack_tcp_states(std::string_view text, const std::string& source);

// The namespace's table, read now; std::nullopt when the kernel has no
// connection tracking here (no nf_conntrack_count) or the table is empty
// (nothing in the namespace tracks connections: conntrack is off). The
// by-state split is left empty when /proc/net/nf_conntrack cannot be read
// or parsed.
std::optional<ConntrackOccupancy> read_conntrack_occupancy();

}  // namespace sockchurn
