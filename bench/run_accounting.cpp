#include "run_accounting.hpp"

#include <algorithm>
#include <cstdio>
#include <map>

#include "exchange_floor.hpp"
#include "net/sockops.hpp"
#include "observe/conntrack_table.hpp"

namespace sockchurn::bench {

void RunAccounting::start(const std::string& name, Placement placement, const CpuPlan& plan) {
  std::lock_guard lock(mutex_);
  if (in_run_) return;
  server_.place(placement, plan);
  merged_.clear();
  name_ = name;
  in_run_ = true;
}

std::uint64_t RunAccounting::begin(int threads, double rate, std::uint64_t max_iterations) {
  std::unique_lock lock(mutex_);
  rate_ += rate;
  if (++begun_ < threads) {
    const std::uint64_t generation = generation_;
    opened_.wait(lock, [&] { return generation_ != generation; });
    return count_;
  }
  const auto n = static_cast<std::uint64_t>(threads);
  const auto sized = counts_.find(name_);
  if (sized != counts_.end()) {
    count_ = std::max(sized->second, max_iterations);
  } else {
    // Half as long again as the floor at least: a later repetition whose
    // rate rose a little still holds the floor's time.
    const double seconds = static_cast<double>(std::max(min_ns_, kFloorNs * 3 / 2)) / 1e9;
    count_ = std::max({max_iterations, (kFloorExchanges + n - 1) / n, static_cast<std::uint64_t>(rate_ / static_cast<double>(n) * seconds * 1.05) + 1});
  }
  counts_[name_] = count_;
  rate_ = 0;
  window_.emplace(server_, protocol_ == Protocol::tcp, true);
  ++generation_;
  opened_.notify_all();
  return count_;
}

void RunAccounting::fail(benchmark::State& state, const std::string& why) {
  std::string text = why;
  {
    std::lock_guard lock(mutex_);
    if (!server_.alive()) text += " (the echo server process has exited)";
  }
  any_failed_ = true;
  run_failed_ = true;
  state.SkipWithError(text.c_str());
}

void RunAccounting::end(benchmark::State& state, const Tally& tally, const std::string& setup_name,
                        const Endpoint& server) {
  std::lock_guard lock(mutex_);
  merged_.merge(tally);
  if (++ended_ < state.threads()) return;

  // The last thread of the run reports for all of them (the other threads
  // leave these counters unset, and Google Benchmark sums over threads).
  const RunClock clock = window_->clock(server_);
  auto counters = run_counters(merged_, clock, window_->time_wait(server), protocol_ == Protocol::udp);
  if (const auto delta = window_->kernel_delta())
    add_kernel_counters(counters, *delta, protocol_, static_cast<double>(merged_.exchanges()));
  // Only under conntrack (scripts/bench --conntrack): the table is empty otherwise.
  if (const auto table = read_conntrack_occupancy()) add_conntrack_counters(counters, *table);
  if (merged_.exchanges() == 0 && !merged_.errors.empty() && !run_failed_) {
    std::string why = "no exchange completed:";
    for (auto [err, n] : merged_.errors) why += " " + std::to_string(n) + " x " + error_name(err);
    any_failed_ = true;
    run_failed_ = true;
    state.SkipWithError(why.c_str());
  }
  if (!run_failed_) {
    const std::string why = below_floor(merged_.exchanges(), clock.wall_ns);
    if (!why.empty()) {
      counters["insufficient"] = 1;
      std::fprintf(stderr, "%s: %s: insufficient: %s (kept in the results with insufficient: 1)\n", prog_, name_.c_str(),
                   why.c_str());
    }
  }
  for (const auto& [name, value] : counters) state.counters[name] = value;
  // Google Benchmark drops an errored run's counters: keep them, with the
  // exchanges that completed before the error.
  if (run_failed_) results_.stash_errored(setup_name, state.threads(), std::move(counters));
  begun_ = ended_ = 0;
  window_.reset();
  errors_ = 0;
  run_failed_ = false;
  in_run_ = false;
}

std::string RunAccounting::run_name() {
  std::lock_guard lock(mutex_);
  return name_;
}

bool RunAccounting::server_died() {
  std::lock_guard lock(mutex_);
  return in_run_ && !server_.alive();
}

}  // namespace sockchurn::bench
