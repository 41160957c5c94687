// What one benchmark run adds up and the counters computed from it. Pure
// functions over plain numbers, unit-tested in tests/test_run_stats.cpp.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "latency_histogram.hpp"
#include "observe/conntrack_table.hpp"
#include "observe/kernel_counters.hpp"
#include "time_wait.hpp"

namespace sockchurn::bench {

// Everything one thread of a run records, merged over the run's threads so
// that percentiles come from all samples, not an average of per-thread
// percentiles. Built before the timed loop: recording allocates nothing
// (an error's first occurrence of an errno adds one map entry).
struct Tally {
  LatencyHistogram latency;  // one sample per completed exchange
  std::int64_t cpu_ns = 0;                // the threads' own CPU time
  std::uint64_t stale = 0;
  std::map<int, std::uint64_t> errors;  // error value -> failed exchanges
  std::int64_t syscalls = 0;            // counted by the threads' syscall counters
  bool syscalls_counted = true;         // false: some thread had no counter

  void merge(const Tally& other);
  // Back to nothing recorded, keeping the histogram's memory.
  void clear();
  std::uint64_t exchanges() const noexcept { return latency.count(); }
  std::uint64_t error_count() const;
};

// What the harness measures around a run besides the tally.
struct RunClock {
  double wall_ns = 0;
  double client_cpu_ns = 0;                 // the whole client process
  std::optional<double> server_cpu_ns;      // the echo server child, when bundled
  double machine_busy_ns = 0;               // every CPU, from /proc/stat
  double machine_steal_ns = 0;
};

// CPUs' worth of busy time by anything but the client and its server during
// `clock` (0 when it has no wall time).
double foreign_cpu_load(const RunClock& clock);

// The kernel's counters over the run (a delta of the namespace's
// /proc/net/snmp and netstat: client and server together) per exchange, as
// "<row_name>_per_exchange" for `protocol`'s reported counters; nothing when
// no exchange completed.
void add_kernel_counters(std::map<std::string, double>& counters, const CounterSnapshot& delta, Protocol protocol,
                         double exchanges);

// The namespace's connection-tracking table when the run ended (what earlier
// runs in the namespace left and has not expired included):
// "conntrack_entries", and "conntrack_entries_<STATE>" per TCP state.
void add_conntrack_counters(std::map<std::string, double>& counters, const ConntrackOccupancy& table);

// The counters of one run, by their names in the results (see
// docs/results-format.md). Counters that need an exchange are left out when
// none completed; time_wait only for TCP, stale only for UDP.
std::map<std::string, double> run_counters(const Tally& tally, const RunClock& clock, std::optional<TimeWaitCount> time_wait,
                                           bool udp);

}  // namespace sockchurn::bench
