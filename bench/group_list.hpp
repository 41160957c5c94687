// --list-groups --json: the registry as data for the scripts. One JSON
// document with the strategy groups the flags and --benchmark_filter select
// (each with its strategy, role and dimensions), every strategy of the
// protocol with its policy and capabilities (is it a reuse strategy, which
// closers, ports and engines it takes, where an engine cannot run it and
// why), the dimensions and their allowed values, and the engine table.
// Scripts select strategies by role and capability from it, never by name
// (docs/design.md, "Names and dimensions as data").
#pragma once

#include <string>
#include <vector>

#include "model/registry.hpp"
#include "options.hpp"

namespace sockchurn::bench {

// One strategy group: the benchmarks scripts/bench runs in one namespace.
struct SelectedGroup {
  std::string regex;                    // Variant::group_regex()
  Variant variant;                      // its first variant (the group's dimensions)
  std::vector<std::string> benchmarks;  // the selected names, without /real_time/threads:N
};

// The document, pretty enough to read (one group or strategy a line).
std::string group_list_json(Protocol protocol, const Options& opt, const std::vector<SelectedGroup>& groups);

}  // namespace sockchurn::bench
