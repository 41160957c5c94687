// The connection-tracking table reader (conntrack_table.hpp): the by-state
// parser on literal /proc/net/nf_conntrack text, and the reader in a fresh
// network namespace (as root), where nothing tracks connections: no table.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "observe/conntrack_table.hpp"

namespace sockchurn {
namespace {

TEST(ConntrackStates, CountsTcpEntriesByStateAndSkipsOtherProtocols) {
  const std::string text =
      "ipv4     2 tcp      6 119 TIME_WAIT src=127.0.0.1 dst=127.0.0.1 sport=53808 dport=7000 src=127.0.0.1 "
      "dst=127.0.0.1 sport=7000 dport=53808 [ASSURED] mark=0 zone=0 use=2\n"
      "ipv4     2 tcp      6 9 CLOSE src=198.18.0.2 dst=198.18.0.1 sport=40000 dport=7000 [UNREPLIED] use=2\n"
      "ipv6     10 tcp      6 118 TIME_WAIT src=::1 dst=::1 sport=1 dport=7000 use=2\n"
      "ipv4     2 udp      17 29 src=127.0.0.1 dst=127.0.0.1 sport=5 dport=7000 use=2\n";
  const auto states = parse_conntrack_tcp_states(text, "nf_conntrack");
  EXPECT_EQ(states, (std::map<std::string, std::int64_t>{{"TIME_WAIT", 2}, {"CLOSE", 1}}));
  EXPECT_TRUE(parse_conntrack_tcp_states("", "nf_conntrack").empty());
}

TEST(ConntrackStates, ATcpEntryWithoutAStateNamesTheLine) {
  const std::string text = "ipv4 2 udp 17 29 src=1\nipv4 2 tcp 6 119 src=127.0.0.1 dst=127.0.0.1\n";
  try {
    parse_conntrack_tcp_states(text, "nf_conntrack");
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "nf_conntrack line 2: a tcp entry without a state: 'ipv4 2 tcp 6 119 src=127.0.0.1 dst=127.0.0.1'");
  }
}

}  // namespace
}  // namespace sockchurn
