// Facts about the machine and the processes, for the results' context and
// for CPU accounting.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace sockchurn {

std::string kernel_release();
std::string cpu_model();
// The value of a sysctl of this network namespace ("net.ipv4.tcp_tw_reuse"),
// whitespace folded; "?" if it cannot be read.
std::string read_sysctl(const std::string& name);
// The network interfaces of this process's network namespace
// (/proc/self/net/dev), e.g. "lo" in a namespace made with `unshare -n`.
std::string network_interfaces();
// Whether this process shares the host's network namespace: compared with
// PID 1's where that may be looked at; otherwise told by the interfaces (a
// namespace that holds only lo, or lo and scripts/netns's veth "scv*", is
// one the project made); nullopt when neither tells.
std::optional<bool> in_host_network_namespace();

// What every results file records about the machine: kernel, CPU model,
// cores, the sysctls that matter to churn (as this network namespace sees
// them: "sysctl.net.ipv4.tcp_tw_reuse", ...) and the network interfaces.
std::vector<std::pair<std::string, std::string>> machine_context();

// CPU time consumed so far, in nanoseconds.
std::int64_t thread_cpu_ns();
std::int64_t process_cpu_ns(pid_t pid);  // -1 if it cannot be read
std::int64_t monotonic_ns();

// CPU time of all CPUs since boot, from /proc/stat, in nanoseconds (10 ms
// resolution); -1 if it cannot be read.
struct MachineCpu {
  std::int64_t busy_ns = -1;   // user, nice, system, irq, softirq
  std::int64_t steal_ns = -1;  // taken by the hypervisor from this VM's vCPUs
};
MachineCpu machine_cpu();

}  // namespace sockchurn
