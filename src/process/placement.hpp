// CPU placement of client threads and the echo server. On a VM whose idle
// vCPUs halt, a ping-pong across CPUs pays a wake-up per round trip (50-100
// us here) that one shared CPU does not (4-6 us): placement is a dimension of
// every result, never left to chance.
#pragma once

#include <sched.h>
#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

namespace sockchurn {

enum class Placement {
  same,   // client threads and server pinned to one CPU
  split,  // client on one CPU, server on another
  free,   // no pinning
};

std::string_view to_string(Placement p);
std::optional<Placement> parse_placement(std::string_view text);

struct CpuPlan {
  std::optional<cpu_set_t> client;  // nullopt: leave unpinned
  std::optional<cpu_set_t> server;
  std::string describe;  // "client cpu 0, server cpu 0"
};

// The plan for `p` over the CPUs this process may use (sched_getaffinity at
// first call). Throws std::runtime_error if `split` is asked with one CPU.
CpuPlan cpu_plan(Placement p);

// Pins the calling thread (an unpinned plan restores the original set).
void pin_this_thread(const std::optional<cpu_set_t>& cpus);
// Pins every thread of process `pid` (/proc/PID/task/*).
void pin_process(pid_t pid, const std::optional<cpu_set_t>& cpus);

}  // namespace sockchurn
