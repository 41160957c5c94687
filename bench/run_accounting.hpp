// One Google Benchmark run's books, kept apart from the server and the
// options: the run's threads meet here; the first to begin opens its
// RunWindow, each adds its Tally at its end, and the last computes the row's
// counters (bench/run_stats.hpp), marks a row below the floor insufficient,
// and keeps an errored run's counters for the results file.
#pragma once

#include <benchmark/benchmark.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "model/registry.hpp"
#include "results_file.hpp"
#include "run_stats.hpp"
#include "run_window.hpp"
#include "server_target.hpp"

namespace sockchurn::bench {

class RunAccounting {
 public:
  // `min_ns`: the minimum time of a repetition (--benchmark_min_time).
  RunAccounting(const char* prog, Protocol protocol, ServerTarget& server, ResultsFile& results, std::int64_t min_ns)
      : prog_(prog), protocol_(protocol), server_(server), results_(results), min_ns_(min_ns) {}

  // Every thread at its start: the run `name` ("<setup name>/threads:N")
  // is under way, and the watchdog watches it from now on; the bundled
  // server is placed for it.
  void start(const std::string& name, Placement placement, const CpuPlan& plan);
  // Every one of the run's `threads` after its warm-up, with the warm-up's
  // rate (attempts per second; 0 for a thread that will not run) and
  // Google Benchmark's max_iterations: waits for the others; the last to
  // come sizes the run and opens its window, so that no warm-up exchange
  // falls in it. Returns the exchanges each thread runs.
  //
  // Sizing: the first run of a benchmark (name and threads) takes as many
  // exchanges as the threads' warm-up rate fills the minimum time with (at
  // least 75 ms, 1.5 x the floor's time, and the floor's exchanges,
  // bench/exchange_floor.hpp); every later run of it
  // takes the same (Google Benchmark needs one count for all repetitions),
  // or more if Google Benchmark asks for more.
  std::uint64_t begin(int threads, double rate, std::uint64_t max_iterations);
  // One failed exchange of the current run; returns the run's count so far.
  std::uint64_t count_error() { return errors_.fetch_add(1, std::memory_order_relaxed) + 1; }
  // Ends this thread's part of the run in an error (the text says when the
  // echo server has exited).
  void fail(benchmark::State& state, const std::string& why);
  // Every thread at its end with what it recorded; the last of the run's
  // threads sets the row's counters. `setup_name` is the benchmark's name
  // without /real_time/threads:N, `server` the port the run talked to.
  void end(benchmark::State& state, const Tally& tally, const std::string& setup_name, const Endpoint& server);

  bool in_run() const { return in_run_.load(); }
  std::string run_name();
  // During a run, whether the bundled server has died.
  bool server_died();
  // Whether any run ended in an error.
  bool any_failed() const { return any_failed_.load(); }

 private:
  const char* prog_;
  Protocol protocol_;
  ServerTarget& server_;
  ResultsFile& results_;
  std::int64_t min_ns_;
  std::atomic<bool> in_run_{false};
  std::atomic<bool> any_failed_{false};
  std::atomic<bool> run_failed_{false};  // some thread of the current run ended in an error
  std::atomic<std::uint64_t> errors_{0};  // failed exchanges of the current run, all threads
  std::mutex mutex_;
  // Guarded by mutex_ (the server too: alive() reaps the child):
  std::string name_;
  int begun_ = 0, ended_ = 0;
  std::uint64_t generation_ = 0;  // runs opened so far
  double rate_ = 0;              // the current run's threads' warm-up rates, summed
  std::uint64_t count_ = 0;      // the current run's exchanges per thread
  std::map<std::string, std::uint64_t> counts_;  // by run name: the exchanges per thread it was sized to
  std::condition_variable opened_;
  Tally merged_;
  std::optional<RunWindow> window_;
};

}  // namespace sockchurn::bench
