#include "harness.hpp"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "exchange_floor.hpp"
#include "group_list.hpp"
#include "model/engines.hpp"
#include "model/exchange.hpp"
#include "observe/syscall_counter.hpp"
#include "observe/sysinfo.hpp"
#include "options.hpp"
#include "progress_board.hpp"
#include "results_file.hpp"
#include "run_accounting.hpp"
#include "server_target.hpp"
#include "slice_worker.hpp"
#include "sweep.hpp"
#include "timed_exchange.hpp"
#include "watchdog.hpp"

namespace sockchurn::bench {

namespace {

// What the registered benchmarks share, each part on its own: the options,
// the CPU plans, the server, the per-thread progress counters and the run's
// books.
struct Bench {
  Bench(const char* p, Protocol pr) : prog(p), protocol(pr) {}
  const char* prog;
  Protocol protocol;
  Options opt;
  std::int64_t min_time_ns = 0;  // --benchmark_min_time
  std::map<Placement, CpuPlan> plans;
  std::unique_ptr<ServerTarget> server;
  std::unique_ptr<ProgressBoard> progress;
  ResultsFile results_file;
  std::unique_ptr<RunAccounting> runs;
};

// A thread's exchanges on one exchanger (the warm-up's, or the timed
// run's) into the thread's tally (bench/timed_exchange.hpp; allocated before
// the loop); a failure ends the run once the run's failures exceed
// --max-errors.
class ThreadLoop {
 public:
  ThreadLoop(benchmark::State& state, Bench& b, Exchanger& ex, Tally& tally)
      : tally_(tally), state_(state), b_(b), ex_(ex), progress_(b.progress->counter(static_cast<std::size_t>(state.thread_index()))) {}

  // One exchange; false when the run ended in an error. `record`: time it
  // into the tally (the warm-up's exchanges are not).
  bool step(bool record) {
    std::int64_t now = 0;
    const Outcome o = timed_exchange(ex_, tally_, progress_, record, now);
    if (o.ok()) return true;
    const std::uint64_t errors = b_.runs->count_error();
    if (errors <= b_.opt.max_errors) return true;
    b_.runs->fail(state_, failure_text(o, tally_.exchanges(), errors, b_.opt.max_errors));
    return false;
  }

  // Untimed exchanges, at least kWarmupNs and kWarmupAttempts (at most 1 s):
  // caches and the server warm, and their rate sizes the run. Returns the
  // attempts per second; 0 if the run ended in an error.
  double warm_up() {
    const std::int64_t t0 = monotonic_ns();
    std::int64_t now = t0;
    for (std::uint64_t n = 1;; ++n) {
      if (!step(false)) return 0;
      now = monotonic_ns();
      if ((n >= kWarmupAttempts && now - t0 >= kWarmupNs) || now - t0 >= 1'000'000'000) return static_cast<double>(n) * 1e9 / static_cast<double>(now - t0);
    }
  }

 private:
  Tally& tally_;
  static constexpr std::int64_t kWarmupNs = 10'000'000;
  static constexpr std::uint64_t kWarmupAttempts = 20;
  benchmark::State& state_;
  Bench& b_;
  Exchanger& ex_;
  ProgressBoard::Counter progress_;
};

// One client thread of one run. Google Benchmark 1.7.1 estimates the
// iteration count once, and a stalled first exchange would make every
// repetition one exchange; so the harness sizes a benchmark's runs itself
// (RunAccounting::begin): from the warm-up's rate in its first run, never
// below the floor. The thread announces the count at the start
// (KeepRunningBatch) and runs exactly that many, so `iterations` stays the
// exchanges attempted. A run that still ends below the floor is marked
// insufficient.
void run_exchanges(benchmark::State& state, Bench& b, const Setup& setup) {
  const CpuPlan& plan = b.plans.at(setup.placement);
  b.runs->start(setup.name + "/threads:" + std::to_string(state.threads()), setup.placement, plan);
  // The ring features the run uses (the default's, resolved), on its row.
  if (setup.variant.takes_ring()) state.SetLabel("ring:" + to_string(ring_used(setup.variant)));
  pin_this_thread(plan.client);
  const Endpoint& server = b.server->endpoint_for(setup.variant);
  Tally tally;  // allocated here, before any loop
  std::unique_ptr<Exchanger> ex;
  std::optional<ThreadLoop> loop;
  double rate = 0;
  try {
    // The warm-up's exchanger is ended before the timed run's starts, so
    // that the run begins with no connection open, as its counters assume.
    const std::unique_ptr<Exchanger> warm = make_exchanger({setup.variant, setup.payload, server});
    rate = ThreadLoop(state, b, *warm, tally).warm_up();
    warm->finish();
    if (rate > 0) {
      ex = make_exchanger({setup.variant, setup.payload, server});
      loop.emplace(state, b, *ex, tally);
    }
  } catch (const std::exception& e) {
    b.runs->fail(state, std::string("setup: ") + e.what());
    loop.reset();
    ex.reset();
    rate = 0;
  }
  // Every thread waits here for the others' warm-up; the last sizes and opens the run.
  const std::uint64_t count = b.runs->begin(state.threads(), rate, static_cast<std::uint64_t>(state.max_iterations));
  std::string why_not;
  std::optional<SyscallCounter> syscalls;
  if (b.opt.count_syscalls) syscalls = SyscallCounter::open(why_not);
  const std::int64_t cpu0 = thread_cpu_ns();
  if (syscalls) syscalls->start();
  if (loop && state.KeepRunningBatch(static_cast<benchmark::IterationCount>(count))) {  // the timer starts
    std::uint64_t done = 0;
    while (done < count && loop->step(true)) ++done;
    if (done == count) state.KeepRunningBatch(1);  // false: the timer stops
  }
  tally.syscalls_counted = syscalls.has_value();
  if (ex) ex->finish();
  if (syscalls) tally.syscalls = syscalls->read();
  tally.cpu_ns = thread_cpu_ns() - cpu0;
  if (ex) tally.stale = ex->stale();
  state.counters["exchanges_per_s"] =
      benchmark::Counter(static_cast<double>(tally.exchanges()), benchmark::Counter::kIsRate);
  b.runs->end(state, tally, setup.name, server);
}

// The ports the benchmarks that --benchmark_filter selects use, and their
// strategy groups (--list-groups). Throws UsageError for a filter that does
// not compile or selects nothing.
struct Selected {
  PortNeeds needs;
  std::vector<SelectedGroup> groups;
};

Selected select(const Options& opt, const std::vector<Setup>& setups) {
  Selected out;
  const std::string filter = benchmark::GetBenchmarkFilter();
  const Selection selection(filter);
  std::vector<const Setup*> chosen;
  for (const Setup& s : setups) {
    if (!selection.any(s, opt.threads)) continue;
    chosen.push_back(&s);
    out.needs.add(s.variant);
    const std::string regex = s.variant.group_regex();
    auto g = std::find_if(out.groups.begin(), out.groups.end(), [&](const SelectedGroup& x) { return x.regex == regex; });
    if (g == out.groups.end()) g = out.groups.insert(out.groups.end(), SelectedGroup{regex, s.variant, {}});
    g->benchmarks.push_back(s.name);
  }
  if (out.groups.empty()) throw UsageError("--benchmark_filter: '" + filter + "' selects no benchmark");
  check_ring(opt, chosen);
  return out;
}

}  // namespace

int churn_main(int argc, char** argv, Protocol protocol) {
  const char* prog = std::strrchr(argv[0], '/') ? std::strrchr(argv[0], '/') + 1 : argv[0];
  if (asks_for_slice_worker(argc, argv)) return slice_worker_main(argc, argv, protocol, prog);
  Bench b(prog, protocol);
  const bool listing = asks_for_list(argc, argv);
  const bool json_file = wants_json_file(argc, argv);
  try {
    b.opt = parse_options(argc, argv, protocol);
    b.min_time_ns = static_cast<std::int64_t>(benchmark_min_time(argc, argv) * 1e9);
    for (Placement p : b.opt.placements) b.plans.emplace(p, cpu_plan(p));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", prog, e.what());
    return 2;
  }
  static const char* help_prog = nullptr;  // for the help printer, which takes no capture
  help_prog = prog;
  benchmark::Initialize(&argc, argv, [] { std::fputs(options_help(help_prog).c_str(), stdout); });
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;

  const std::vector<Setup> setups = sweep(b.opt, protocol, prog);
  Selected selected;
  try {
    selected = select(b.opt, setups);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", prog, e.what());
    return 2;
  }
  if (b.opt.list_groups) {
    if (b.opt.json) std::fputs(group_list_json(protocol, b.opt, selected.groups).c_str(), stdout);
    else
      for (const SelectedGroup& g : selected.groups) std::printf("%s\n", g.regex.c_str());
    return 0;
  }
  if (!listing) {
    if (in_host_network_namespace().value_or(true))
      std::fprintf(stderr,
                   "%s: warning: running in the host's network namespace (or one with other interfaces): churn "
                   "fills its TIME_WAIT table, and TIME_WAIT left by others skews the port search; run inside "
                   "'unshare -n' as scripts/bench does\n",
                   prog);
    try {
      b.server = std::make_unique<ServerTarget>(b.opt, protocol, selected.needs);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "%s: %s\n", prog, e.what());
      return 1;
    }
    add_run_context(b.opt, b.plans, b.server->echo(), b.server->external());
    b.progress = std::make_unique<ProgressBoard>(static_cast<std::size_t>(*std::max_element(b.opt.threads.begin(), b.opt.threads.end())));
    b.runs = std::make_unique<RunAccounting>(prog, protocol, *b.server, b.results_file, b.min_time_ns);
  }

  for (const Setup& s : setups) {
    auto* registered = benchmark::RegisterBenchmark(s.name.c_str(), [&b, s](benchmark::State& state) { run_exchanges(state, b, s); });
    // Threads from --threads, real time: with several threads, wall-clock
    // rate is the throughput; CPU time is reported separately per exchange.
    for (int t : b.opt.threads) registered->Threads(t);
    registered->UseRealTime();
  }
  if (listing) {
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
  }

  {
    WatchdogProbe probe;
    probe.progress = [&b] { return b.progress->total(); };
    probe.in_run = [&b] { return b.runs->in_run(); };
    probe.run_name = [&b] { return b.runs->run_name(); };
    probe.server_dead = [&b] { return b.runs->server_died(); };
    probe.before_exit = [&b](const std::string&) { b.server->kill(); };
    const Watchdog watchdog(prog, b.opt.stall_timeout_s, std::move(probe));
    if (json_file) benchmark::RunSpecifiedBenchmarks(nullptr, &b.results_file);
    else benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
  }
  bool failed = b.runs->any_failed();
  if (!b.server->stop()) {
    std::fprintf(stderr, "%s: the echo server exited during the run\n", prog);
    failed = true;
  }
  if (failed) std::fprintf(stderr, "%s: some benchmarks ended in an error (see error_message)\n", prog);
  return failed ? 1 : 0;
}

}  // namespace sockchurn::bench
