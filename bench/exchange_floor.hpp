// How long a measurement runs, and the floor below which it means nothing.
// Google Benchmark 1.7.1 estimates a benchmark's iteration count once, from
// its first runs: a first exchange that stalls (663 ms seen) makes every
// repetition one exchange. The harness therefore sizes each benchmark's
// repetitions itself, from a warm-up's rate, to fill the minimum time and
// hold the floor's exchanges (bench/run_accounting.hpp); a repetition that
// still ends below the floor is kept and marked insufficient. The slice
// worker's slices run for a time and a count they are given, bounded at 20
// times their time (LoopTarget).
#pragma once

#include <cstdint>
#include <string>

namespace sockchurn::bench {

// Every repetition and slice holds at least this much to count.
inline constexpr std::int64_t kFloorNs = 50'000'000;  // 50 ms
inline constexpr std::uint64_t kFloorExchanges = 200;
// A loop gives up on the floor's count after this many times its minimum time.
inline constexpr int kLoopBound = 20;

// --benchmark_min_time from argv as Google Benchmark 1.7.1 takes it, a bare
// number of seconds (0.5, its default, when absent). Throws UsageError for
// a value with a unit ("0.2s", "10x": later versions' syntax) or one that
// is not a positive number.
double benchmark_min_time(int argc, char** argv);

// When a slice of the slice worker stops: after `min_ns` once
// `min_exchanges` completed, or at kLoopBound x min_ns whatever the count.
class LoopTarget {
 public:
  LoopTarget(std::int64_t start_ns, std::int64_t min_ns, std::uint64_t min_exchanges);
  // Whether a loop that has completed `exchanges` should stop at `now_ns`.
  bool done(std::int64_t now_ns, std::uint64_t exchanges) const noexcept {
    return now_ns >= deadline_ && (exchanges >= min_exchanges_ || now_ns >= bound_);
  }
  bool past_deadline(std::int64_t now_ns) const noexcept { return now_ns >= deadline_; }
  // Whether it stopped at the bound rather than with its count.
  bool cut_short(std::int64_t now_ns, std::uint64_t exchanges) const noexcept {
    return now_ns >= bound_ && exchanges < min_exchanges_;
  }

 private:
  std::int64_t deadline_, bound_;
  std::uint64_t min_exchanges_;
};

// "" when `exchanges` in `wall_ns` meet the floor, else why not
// ("37 exchanges in 1.000 s; the floor is 200 exchanges and 50 ms").
std::string below_floor(std::uint64_t exchanges, double wall_ns);

}  // namespace sockchurn::bench
