#include "results_file.hpp"

#include "net/sockops.hpp"

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <ostream>
#include <stdexcept>
#include <string_view>

namespace sockchurn::bench {

void ResultsFile::stash_errored(const std::string& name, int threads, std::map<std::string, double> counters) {
  std::lock_guard lock(mutex_);
  errored_[{name, threads}].push_back(std::move(counters));
}

bool ResultsFile::ReportContext(const Context& context) {
  const bool ok = JSONReporter::ReportContext(context);
  GetOutputStream().flush();
  return ok;
}

void ResultsFile::ReportRuns(const std::vector<Run>& runs) {
  std::vector<Run> rows = runs;
  {
    std::lock_guard lock(mutex_);
    for (Run& r : rows) {
      if (!r.error_occurred || r.run_type != Run::RT_Iteration) continue;
      auto it = errored_.find({r.run_name.function_name, static_cast<int>(r.threads)});
      if (it == errored_.end() || it->second.empty()) continue;
      for (const auto& [name, value] : it->second.front()) r.counters[name] = benchmark::Counter(value);
      it->second.pop_front();
    }
  }
  JSONReporter::ReportRuns(rows);
  GetOutputStream().flush();
}

void ResultsFile::Finalize() {
  JSONReporter::Finalize();
  GetOutputStream().flush();
}

void write_results(const std::string& path, const std::string& text) {
  if (path.empty()) {
    std::fputs(text.c_str(), stdout);
    if (std::fflush(stdout) != 0) throw std::runtime_error("cannot write the results to standard output: " + error_name(errno));
    return;
  }
  std::ofstream out(path);
  out << text;
  out.close();
  if (!out) throw std::runtime_error("cannot write " + path + ": " + error_name(errno));
}

bool wants_json_file(int argc, char** argv) {
  bool out = false, json = true;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a.starts_with("--benchmark_out=") && a.size() > 16) out = true;
    if (a.starts_with("--benchmark_out_format=")) json = a == "--benchmark_out_format=json";
  }
  return out && json;
}

}  // namespace sockchurn::bench
