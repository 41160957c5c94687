// What the harness reads around a run of exchanges (a Google Benchmark
// repetition, a slice of the slice worker): wall time, the client's and the
// echo server's CPU time, the machine's busy and stolen time, the TIME_WAIT
// sockets already there and the namespace's kernel counters. Opened before
// the run, read after it.
#pragma once

#include <cstdint>
#include <optional>
#include <set>

#include "observe/kernel_counters.hpp"
#include "observe/sysinfo.hpp"
#include "run_stats.hpp"
#include "server_target.hpp"
#include "time_wait.hpp"

namespace sockchurn::bench {

class RunWindow {
 public:
  // `tcp`: also takes the TIME_WAIT cookies; `kernel`: also the kernel
  // counters (left out, not an error, when they cannot be read).
  RunWindow(const ServerTarget& server, bool tcp, bool kernel);

  // The clocks from the opening until now.
  RunClock clock(const ServerTarget& server) const;
  // TCP: the TIME_WAIT sockets toward `server` created since the opening;
  // nullopt for UDP or when the sockets cannot be listed.
  std::optional<TimeWaitCount> time_wait(const Endpoint& server) const;
  // The kernel counters' change since the opening; nullopt when they could
  // not be read at either end.
  std::optional<CounterSnapshot> kernel_delta() const;

 private:
  std::int64_t wall0_;
  std::int64_t client_cpu0_;
  std::optional<std::int64_t> server_cpu0_;
  MachineCpu machine0_;
  std::optional<std::set<std::uint64_t>> time_wait0_;
  std::optional<CounterSnapshot> kernel0_;
};

}  // namespace sockchurn::bench
