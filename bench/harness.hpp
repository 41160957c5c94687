// The engine every churn benchmark shares: the echo server child, CPU
// placement, the timed loop with per-cycle latency samples, counters and the
// results' context, over the variants of the strategy registry
// (src/model/registry.hpp). A benchmark binary is one call to churn_main.
#pragma once

#include "context.hpp"
#include "model/registry.hpp"

namespace sockchurn::bench {

// Parses the suite's own flags (bench/options.hpp), starts (or reaches) the
// echo server, registers the protocol's variants x payloads x placements x
// threads, runs Google Benchmark. Returns the process exit code: non-zero
// on a bad flag, an unreachable server, or any benchmark that ended in an
// error.
int churn_main(int argc, char** argv, Protocol protocol);


}  // namespace sockchurn::bench
