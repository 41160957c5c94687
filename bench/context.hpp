// The results' context that the churn binaries (and syscall_cost) write:
// the machine, isolation and commit; the run's settings, what was
// controlled, and where the counters come from.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "net/endpoint.hpp"
#include "options.hpp"
#include "process/placement.hpp"

namespace sockchurn::bench {

// Kernel, CPU, sysctls, interfaces, isolation, git commit, as key and value.
std::vector<std::pair<std::string, std::string>> machine_context_entries();

// The same in Google Benchmark's context. Call after benchmark::Initialize.
void add_machine_context();

// The machine context plus the strategies' roles, the syscall and kernel
// counters' source, the echo server (bundled, or `external`: then the
// placement says only the client was placed), payloads and placements.
void add_run_context(const Options& opt, const std::map<Placement, CpuPlan>& plans, const Endpoint& echo,
                     bool external);

}  // namespace sockchurn::bench
