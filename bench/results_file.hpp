// The results file as it is made: Google Benchmark's JSON reporter, flushed
// after every finished benchmark, so that a run the watchdog ends (exit 3), a
// SIGINT, SIGTERM or SIGKILL, or a crash leaves every finished row on disk
// (scripts/merge_results.py closes such a truncated file). Errored runs keep
// their counters: Google Benchmark 1.7.1 drops them, the harness stashes them
// here and they are put back into the row.
#pragma once

#include <benchmark/benchmark.h>

#include <deque>
#include <map>
#include <mutex>
#include <string>

namespace sockchurn::bench {

class ResultsFile final : public benchmark::JSONReporter {
 public:
  // The counters of an errored run of benchmark `name` with `threads`
  // threads; taken back in the order they were stashed.
  void stash_errored(const std::string& name, int threads, std::map<std::string, double> counters);

  bool ReportContext(const Context& context) override;
  void ReportRuns(const std::vector<Run>& runs) override;
  void Finalize() override;

 private:
  std::mutex mutex_;
  std::map<std::pair<std::string, int>, std::deque<std::map<std::string, double>>> errored_;
};

// Writes a finished results document (port_exhaustion's) to `path`, or to
// standard output when `path` is empty. Throws std::runtime_error naming the
// file and the error when it cannot be written.
void write_results(const std::string& path, const std::string& text);

// Whether argv asks for a JSON output file (--benchmark_out=FILE, and no
// other --benchmark_out_format): only then may a file reporter be passed.
bool wants_json_file(int argc, char** argv);

}  // namespace sockchurn::bench
