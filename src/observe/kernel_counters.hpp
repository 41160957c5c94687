// The kernel's network counters of the calling process's network namespace
// (/proc/net/snmp and /proc/net/netstat), as snapshots that can be subtracted,
// and the fixed list of them that the benchmarks report per exchange.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "net/protocol.hpp"

namespace sockchurn {

// "Tcp.ActiveOpens" (from /proc/net/snmp), "TcpExt.ListenDrops" (from
// /proc/net/netstat): the section name, a dot, the counter's name.
using CounterSnapshot = std::map<std::string, std::int64_t>;

// Parses text in the format of /proc/net/snmp and /proc/net/netstat: pairs of
// lines, a header "Tcp: RtoAlgorithm RtoMin ..." then its values "Tcp: 1 200 ...".
// `source` names the text in errors. Throws std::runtime_error
// ("<source> line N: ...") for a malformed line: a header without values,
// sections that differ, a field count that differs, a value that is not a
// whole number, a counter named twice, or no counters at all.
CounterSnapshot parse_kernel_counters(std::string_view text, const std::string& source);

// One such file, read now; throws std::runtime_error naming the file if it
// cannot be read or parsed.
CounterSnapshot read_counter_file(const std::string& path);

// Both files, read now; throws std::runtime_error naming the file if one
// cannot be read or parsed.
CounterSnapshot read_kernel_counters();

// after - before, for every counter in `after`. A counter absent from
// `before` counts from 0 (the kernel prints some sections, such as IcmpMsg,
// only once they are non-zero).
CounterSnapshot counter_delta(const CounterSnapshot& before, const CounterSnapshot& after);

// A counter the benchmarks put on their rows, e.g. row name "snmp_TcpOutRsts"
// (the harness appends "_per_exchange") for the key "Tcp.OutRsts".
struct ReportedCounter {
  Protocol protocol;     // the benchmarks it is reported for
  const char* row_name;  // "snmp_TcpOutRsts": the file it comes from, then the name
  const char* key;       // "Tcp.OutRsts": the key in a CounterSnapshot
};

// TCP: ActiveOpens, OutRsts, EstabResets, RetransSegs, TCPSynRetrans,
// ListenOverflows, ListenDrops, TCPTimeWaitOverflow. UDP: OutDatagrams,
// InErrors, RcvbufErrors.
const std::vector<ReportedCounter>& reported_counters();

}  // namespace sockchurn
