// The churn benchmarks' own flags (Google Benchmark's are left for it): one
// table, from which --help is generated.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "net/endpoint.hpp"
#include "process/flags.hpp"
#include "process/placement.hpp"
#include "model/registry.hpp"

namespace sockchurn::bench {

struct Options {
  std::optional<Endpoint> server;  // external sockchurn-echo
  std::uint16_t server_once_port = 0;
  // The external server's close-after-N ports (sockchurn-echo --close-after).
  std::map<unsigned, std::uint16_t> server_after_ports;
  std::vector<Placement> placements{Placement::same};
  std::vector<std::size_t> payloads{64};
  std::vector<int> threads{1, 2, 4, 8, 16};
  // The Asio engine's connections in flight per client thread.
  std::vector<unsigned> flows{1, 16};
  // Exchanges per connection, for the strategies that end connections.
  std::vector<unsigned> rpc{1};
  // The io_uring engine's ring features (--ring; the default's rows keep
  // their names). `ring_given`: --ring was on the command line.
  std::vector<RingFeatures> rings{RingFeatures{}};
  bool ring_given = false;
  unsigned echo_threads = 1;
  std::string listen = "127.0.0.1";
  std::string echo_binary;
  int stall_timeout_s = 20;
  std::uint64_t max_errors = 0;
  bool list_groups = false;
  // With list_groups: the groups, strategies, dimensions and engines as one
  // JSON document (group_list.hpp) instead of one regex a line.
  bool json = false;
  // Count each benchmark thread's system calls (raw_syscalls tracepoint):
  // it slows every system call of the counted threads, so not by default.
  bool count_syscalls = false;
};

// Takes the suite's own flags out of argv and checks them for `protocol`;
// throws UsageError naming the flag.
Options parse_options(int& argc, char** argv, Protocol protocol);

// The text of --help for program `prog`.
std::string options_help(const char* prog);

}  // namespace sockchurn::bench
