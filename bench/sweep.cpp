#include "sweep.hpp"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <string_view>

#include "model/engines.hpp"
#include "process/flags.hpp"

namespace sockchurn::bench {

std::vector<Setup> sweep(const Options& opt, Protocol protocol, const char* prog) {
  std::map<Engine, std::string> unavailable;
  for (const Variant& v : variants(protocol))
    if (!unavailable.contains(v.engine)) unavailable[v.engine] = engine_unavailable(v.engine);
  std::string left_out;
  for (const auto& [engine, why] : unavailable) {
    if (why.empty()) continue;
    std::fprintf(stderr, "%s: the %s engine's benchmarks are left out: %s\n", prog, std::string(to_string(engine)).c_str(),
                 why.c_str());
    left_out += (left_out.empty() ? "" : "; ") + std::string(to_string(engine)) + ": " + why;
  }
  if (!left_out.empty()) benchmark::AddCustomContext("engines_left_out", left_out);
  std::vector<Setup> setups;
  // Each variant at each requests-per-connection and flows value it takes.
  std::vector<Variant> swept;
  for (const Variant& v : variants(protocol)) {
    if (!unavailable.at(v.engine).empty()) continue;
    for (unsigned rpc : v.takes_rpc() ? opt.rpc : std::vector<unsigned>{1})
      for (unsigned flows : v.takes_flows() ? opt.flows : std::vector<unsigned>{1})
        for (RingFeatures ring : v.takes_ring() ? opt.rings : std::vector<RingFeatures>{RingFeatures{}}) {
          Variant s = v;
          s.rpc = rpc;
          s.flows = flows;
          s.ring = ring;
          swept.push_back(s);
        }
  }
  for (Placement placement : opt.placements)
    for (std::size_t payload : opt.payloads)
      for (const Variant& v : swept)
        setups.push_back({v, payload, placement,
                          v.name() + "/payload:" + std::to_string(payload) + "/placement:" +
                              std::string(to_string(placement))});
  return setups;
}

void check_ring(const Options& opt, const std::vector<const Setup*>& selected) {
  if (!opt.ring_given) return;
  std::vector<RingFeatures> asked;
  const EngineInfo* engine = nullptr;
  for (const Setup* s : selected)
    if (s->variant.takes_ring()) {
      engine = &engine_info(s->variant.engine);
      if (std::find(asked.begin(), asked.end(), s->variant.ring) == asked.end()) asked.push_back(s->variant.ring);
    }
  if (engine == nullptr)
    throw UsageError("--ring: only engine:uring takes ring features, and no engine:uring benchmark is selected");
  for (const RingFeatures ring : asked)
    if (const std::string why = engine->ring_refused(ring); !why.empty()) throw UsageError("--ring: " + why);
}

Selection::Selection(std::string filter) {
  if (filter.empty() || filter == "all") filter = ".";
  negate_ = filter.front() == '-';
  if (negate_) filter.erase(0, 1);
  try {
    re_ = std::regex(filter, std::regex::extended);
  } catch (const std::regex_error&) {
    throw UsageError("--benchmark_filter: '" + filter + "' is not a valid regular expression");
  }
}

bool Selection::any(const Setup& s, const std::vector<int>& threads) const {
  return std::ranges::any_of(threads, [&](int t) {
    return matches(s.name + "/real_time/threads:" + std::to_string(t));
  });
}

bool asks_for_list(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--benchmark_list_tests" || a == "--benchmark_list_tests=true" || a == "--benchmark_list_tests=1") return true;
  }
  return false;
}

}  // namespace sockchurn::bench
