// Facts about the machine and the processes, for the results' context and
// for CPU accounting.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace sockchurn {

std::string kernel_release();
std::string cpu_model();
// The value of a sysctl of this network namespace ("net.ipv4.tcp_tw_reuse"),
// whitespace folded; "?" if it cannot be read.
std::string read_sysctl(const std::string& name);
// The network interfaces of this process's network namespace
// (/proc/self/net/dev), e.g. "lo" in a namespace made with `unshare -n`.
std::string network_interfaces();

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
