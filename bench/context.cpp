#include "context.hpp"

#include <benchmark/benchmark.h>
#include <sys/socket.h>

#include <optional>
#include <string>

#include "git_commit.hpp"
#include "observe/kernel_counters.hpp"
#include "model/registry.hpp"
#include "observe/syscall_counter.hpp"
#include "observe/sysinfo.hpp"

namespace sockchurn::bench {

std::vector<std::pair<std::string, std::string>> machine_context_entries() {
  auto entries = machine_context();
  const std::optional<bool> host = in_host_network_namespace();
  const std::string isolation = !host ? "unknown (may be the host's network namespace)"
                                : *host ? "shared network namespace (the host's)"
                                : network_interfaces() == "lo"
                                    ? "private network namespace (loopback only)"
                                    : "private network namespace (" + network_interfaces() + ")";
  entries.emplace_back("isolation", isolation);
  entries.emplace_back("git_commit", SOCKCHURN_GIT_COMMIT);
  return entries;
}

void add_machine_context() {
  for (const auto& [key, value] : machine_context_entries()) benchmark::AddCustomContext(key, value);
}

void add_run_context(const Options& opt, const std::map<Placement, CpuPlan>& plans, const Endpoint& echo,
                     bool external) {
  add_machine_context();
  benchmark::AddCustomContext("strategy_roles", strategy_roles());
  std::string why_not;
  const std::string counter =
      !opt.count_syscalls ? "off (--count-syscalls counts them, and slows every system call of the client)"
      : SyscallCounter::open(why_not) ? "raw_syscalls:sys_enter per benchmark thread (perf_event_open)"
                                      : "unavailable: " + why_not;
  benchmark::AddCustomContext("syscall_counter", counter);
  std::string kernel = "the namespace's /proc/net/snmp and /proc/net/netstat, client and server together";
  try {
    read_kernel_counters();
  } catch (const std::exception& e) {
    kernel = std::string("unavailable: ") + e.what();
  }
  benchmark::AddCustomContext("kernel_counters", kernel);
  benchmark::AddCustomContext("echo_server", external ? "external" : "bundled sockchurn-echo, child process");
  benchmark::AddCustomContext("echo_address", echo.to_string());
  benchmark::AddCustomContext("echo_threads", external ? "?" : std::to_string(opt.echo_threads));
  benchmark::AddCustomContext("address_family", echo.family() == AF_INET6 ? "ipv6" : "ipv4");
  std::string payloads, placements;
  for (std::size_t p : opt.payloads) payloads += (payloads.empty() ? "" : ",") + std::to_string(p);
  for (const auto& [p, plan] : plans) {
    const std::string text = external ? std::string(to_string(p)) + ": client only (" + plan.describe +
                                            "); the external server's CPUs are not controlled"
                                      : std::string(to_string(p)) + ": " + plan.describe;
    placements += (placements.empty() ? "" : "; ") + text;
  }
  benchmark::AddCustomContext("payloads", payloads);
  benchmark::AddCustomContext("placement", placements);
}

}  // namespace sockchurn::bench
