#include "exchange_floor.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <string_view>

#include "process/flags.hpp"

namespace sockchurn::bench {

double benchmark_min_time(int argc, char** argv) {
  double seconds = 0.5;
  constexpr std::string_view flag = "--benchmark_min_time";
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (!a.starts_with(flag) || (a.size() > flag.size() && a[flag.size()] != '=')) continue;
    if (a.size() == flag.size()) throw UsageError("--benchmark_min_time needs a value: --benchmark_min_time=SECONDS");
    const std::string_view v = a.substr(flag.size() + 1);
    if (!v.empty() && (v.back() == 's' || v.back() == 'x'))
      throw UsageError("--benchmark_min_time: '" + std::string(v) +
                       "' has a unit; this Google Benchmark (1.7.1) takes seconds as a bare number, e.g. "
                       "--benchmark_min_time=0.2");
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), seconds);
    if (ec != std::errc() || end != v.data() + v.size() || !(seconds > 0 && seconds <= 1e6))
      throw UsageError("--benchmark_min_time: '" + std::string(v) + "' is not a number of seconds above 0");
  }
  return seconds;
}

LoopTarget::LoopTarget(std::int64_t start_ns, std::int64_t min_ns, std::uint64_t min_exchanges)
    : deadline_(start_ns + min_ns),
      bound_(start_ns + kLoopBound * min_ns),
      min_exchanges_(min_exchanges) {}

std::string below_floor(std::uint64_t exchanges, double wall_ns) {
  if (exchanges >= kFloorExchanges && wall_ns >= static_cast<double>(kFloorNs)) return "";
  char buf[160];
  std::snprintf(buf, sizeof buf, "%llu exchanges in %.3f s; the floor is %llu exchanges and %lld ms",
                static_cast<unsigned long long>(exchanges), wall_ns / 1e9, static_cast<unsigned long long>(kFloorExchanges),
                static_cast<long long>(kFloorNs / 1'000'000));
  return buf;
}

}  // namespace sockchurn::bench
