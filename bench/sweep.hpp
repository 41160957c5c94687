// Which benchmarks a churn binary registers (the registry's variants x
// payloads x placements, an unavailable engine left out), which of them
// --benchmark_filter selects, and the groups --list-groups prints.
#pragma once

#include <cstddef>
#include <regex>
#include <string>
#include <vector>

#include "options.hpp"
#include "process/placement.hpp"
#include "model/registry.hpp"

namespace sockchurn::bench {

// One benchmark of the sweep: a variant at one payload and placement.
struct Setup {
  Variant variant;
  std::size_t payload = 64;
  Placement placement = Placement::same;
  std::string name;  // without /real_time/threads:N
};

// Every benchmark of the sweep, in registration order. An engine that cannot
// run here is left out with one line on stderr (prefixed `prog`) and named in
// the context (engines_left_out).
std::vector<Setup> sweep(const Options& opt, Protocol protocol, const char* prog);

// Refuses --ring (UsageError, one line) when no selected benchmark takes
// ring features, or when this kernel refuses a set the selection uses.
void check_ring(const Options& opt, const std::vector<const Setup*>& selected);

// Google Benchmark's --benchmark_filter as it applies it: an extended regex
// searched in the full run name; "" and "all" select everything; a leading
// '-' negates. A regex that does not compile is a UsageError.
class Selection {
 public:
  explicit Selection(std::string filter);
  // Whether any of the benchmark's thread counts is selected.
  bool any(const Setup& s, const std::vector<int>& threads) const;
  // Whether a benchmark of this full name is selected.
  bool matches(const std::string& name) const { return std::regex_search(name, re_) != negate_; }

 private:
  std::regex re_;
  bool negate_ = false;
};

// Whether argv asks Google Benchmark only to list its benchmarks.
bool asks_for_list(int argc, char** argv);

}  // namespace sockchurn::bench
