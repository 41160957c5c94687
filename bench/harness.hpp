// The engine every churn benchmark shares: flags, the echo server child,
// CPU placement, the timed loop with per-cycle latency samples, counters and
// the results' context. A benchmark binary is a variant table plus a call to
// churn_main (abseil's habit: the sweep is written once).
#pragma once

#include <cstddef>
#include <vector>

#include "strategies.hpp"

namespace sockchurn::bench {

// One row of a variant table; payload, placement and threads are swept on
// top of it.
struct Variant {
  Strategy strategy{};
  Closer closer = Closer::client;
  LocalPort local_port = LocalPort::ephemeral;
};

// Parses the suite's own flags, starts (or reaches) the echo server,
// registers protocol x variants x payloads x placements x threads, runs Google
// Benchmark. Returns the process exit code: non-zero on a bad flag, an
// unreachable server, or any benchmark that ended in an error.
int churn_main(int argc, char** argv, Protocol protocol, const std::vector<Variant>& variants);

// Context every results file carries: kernel, CPU, sysctls, isolation, git
// commit. Call after benchmark::Initialize.
void add_machine_context();

}  // namespace sockchurn::bench
