// One exchange of a client thread, as the benchmarks and the slice worker
// both run it: timed into the thread's tally (the engine's own latency when
// it gives one), counted on the thread's progress counter, a failure counted
// by its errno. Nothing here allocates but a new errno's first map entry.
#pragma once

#include <cstdint>
#include <string>

#include "model/exchange.hpp"
#include "observe/sysinfo.hpp"
#include "progress_board.hpp"
#include "run_stats.hpp"

namespace sockchurn::bench {

// Runs one exchange; `record`: time it into the tally (a warm-up's are
// not). Sets `now` to when it ended. An exchange of a many-flows engine
// that began before `not_before` (a slice worker's slice start: it was in
// flight while the worker waited between slices) counts, but its latency,
// which holds that wait, is not recorded.
inline Outcome timed_exchange(Exchanger& ex, Tally& tally, ProgressBoard::Counter progress, bool record,
                              std::int64_t& now, std::int64_t not_before = 0) {
  const std::int64_t t0 = monotonic_ns();
  const Outcome o = ex.exchange();
  now = monotonic_ns();
  if (o.ok()) {
    const std::int64_t took = o.latency_ns >= 0 ? o.latency_ns : now - t0;
    if (record && now - took >= not_before) tally.latency.record(static_cast<std::uint64_t>(took));
    progress.add();
  } else {
    ++tally.errors[o.err];
  }
  return o;
}

// Why a run ended at failure `o`, after `exchanges` completed, when its
// `errors` failures exceeded `max_errors` (--max-errors):
// "connect: EADDRNOTAVAIL (...) after 12 exchanges: no free local port (ephemeral ports exhausted)".
std::string failure_text(const Outcome& o, std::uint64_t exchanges, std::uint64_t errors, std::uint64_t max_errors);

}  // namespace sockchurn::bench
