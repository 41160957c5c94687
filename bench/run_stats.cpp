#include "run_stats.hpp"

#include <algorithm>

#include "net/sockops.hpp"

namespace sockchurn::bench {

void Tally::merge(const Tally& other) {
  latency.merge(other.latency);
  cpu_ns += other.cpu_ns;
  stale += other.stale;
  for (auto [err, n] : other.errors) errors[err] += n;
  syscalls += other.syscalls;
  syscalls_counted = syscalls_counted && other.syscalls_counted;
}

void Tally::clear() {
  latency.clear();
  cpu_ns = 0;
  stale = 0;
  errors.clear();
  syscalls = 0;
  syscalls_counted = true;
}

std::uint64_t Tally::error_count() const {
  std::uint64_t n = 0;
  for (auto [err, count] : errors) n += count;
  return n;
}

void add_kernel_counters(std::map<std::string, double>& counters, const CounterSnapshot& delta, Protocol protocol,
                         double exchanges) {
  if (exchanges <= 0) return;
  for (const ReportedCounter& rc : reported_counters()) {
    if (rc.protocol != protocol) continue;
    const auto it = delta.find(rc.key);
    const double n = it == delta.end() ? 0.0 : static_cast<double>(it->second);
    counters[std::string(rc.row_name) + "_per_exchange"] = n / exchanges;
  }
}

void add_conntrack_counters(std::map<std::string, double>& counters, const ConntrackOccupancy& table) {
  counters["conntrack_entries"] = static_cast<double>(table.entries);
  for (const auto& [state, n] : table.tcp_states) counters["conntrack_entries_" + state] = static_cast<double>(n);
}

double foreign_cpu_load(const RunClock& clock) {
  const double ours = clock.client_cpu_ns + clock.server_cpu_ns.value_or(0);
  return clock.wall_ns > 0 ? std::max(0.0, clock.machine_busy_ns - ours) / clock.wall_ns : 0.0;
}

std::map<std::string, double> run_counters(const Tally& tally, const RunClock& clock, std::optional<TimeWaitCount> time_wait,
                                           bool udp) {
  std::map<std::string, double> c;
  const double exchanges = static_cast<double>(tally.exchanges());
  c["exchanges"] = exchanges;
  if (exchanges > 0) {
    c["cpu_us_per_exchange"] = static_cast<double>(tally.cpu_ns) / exchanges / 1000.0;
    // From the histogram: within its resolution (latency_histogram.hpp).
    c["p50_us"] = tally.latency.percentile_us(0.50);
    c["p99_us"] = tally.latency.percentile_us(0.99);
    // The slowest cycle, exact: rare stalls (a SYN dropped and retransmitted
    // after 1 s) hide below p99 yet dominate the rate.
    c["max_us"] = static_cast<double>(tally.latency.max_ns()) / 1000.0;
    if (clock.server_cpu_ns) c["server_cpu_us_per_exchange"] = *clock.server_cpu_ns / exchanges / 1000.0;
    // The client's own system calls (its benchmark threads), per exchange.
    if (tally.syscalls_counted) c["syscalls_per_exchange"] = static_cast<double>(tally.syscalls) / exchanges;
  }
  // CPUs' worth of busy time by anything but this process and its server:
  // a run with a large value shared the machine.
  c["foreign_cpu_load"] = foreign_cpu_load(clock);
  // CPUs' worth of time the hypervisor took from this VM during the run.
  c["steal_cpu"] = clock.wall_ns > 0 ? clock.machine_steal_ns / clock.wall_ns : 0.0;
  if (time_wait) {
    c["time_wait"] = time_wait->total;
    c["time_wait_server"] = time_wait->server_side;
  }
  if (udp) c["stale"] = static_cast<double>(tally.stale);
  for (auto [err, n] : tally.errors) {
    c["errors_" + error_name(err)] = static_cast<double>(n);
    // Per second of the run: a client out of ports fails at a rate of its own.
    if (clock.wall_ns > 0) c["errors_" + error_name(err) + "_per_s"] = static_cast<double>(n) * 1e9 / clock.wall_ns;
  }
  c["errors"] = static_cast<double>(tally.error_count());
  return c;
}

}  // namespace sockchurn::bench
