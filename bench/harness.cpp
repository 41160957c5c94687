#include "harness.hpp"

#include <benchmark/benchmark.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>

#include "process/echo_probe.hpp"
#include "process/echo_process.hpp"
#include "model/exchange.hpp"
#include "observe/kernel_counters.hpp"
#include "context.hpp"
#include "options.hpp"
#include "results_file.hpp"
#include "run_stats.hpp"
#include "sweep.hpp"
#include "net/sockops.hpp"
#include "observe/syscall_counter.hpp"
#include "observe/sysinfo.hpp"
#include "observe/tcp_states.hpp"
#include "watchdog.hpp"

namespace sockchurn::bench {

namespace {

const char* g_prog = "sockchurn";

struct Target {
  Endpoint echo;       // TCP echo (UDP: the UDP echo)
  Endpoint echo_once;  // TCP echo-once
  std::map<unsigned, Endpoint> echo_after;  // TCP close-after-N ports, by N
};

// The state one run's threads share; the first thread to begin a run and
// the last to end it do the bookkeeping for all.
struct Harness {
  Options opt;
  Protocol protocol = Protocol::tcp;
  Target target;
  std::unique_ptr<EchoProcess> echo;
  std::map<Placement, CpuPlan> plans;
  std::optional<Placement> server_placement;

  std::atomic<std::uint64_t> progress{0};
  std::atomic<bool> in_run{false};
  std::atomic<bool> failed{false};
  std::atomic<bool> run_failed{false};  // some thread of the current run ended in an error
  ResultsFile results_file;
  std::atomic<std::uint64_t> run_errors{0};  // failed exchanges of the current run, all threads
  std::mutex run_mutex;
  // Guarded by run_mutex:
  std::string run_name;
  int begun = 0, ended = 0;
  Tally merged;
  std::int64_t wall0 = 0, client_cpu0 = 0, server_cpu0 = 0;
  MachineCpu machine0;
  std::set<std::uint64_t> time_wait0;  // cookies of the TIME_WAIT sockets when the run began
  // The namespace's counters when the run began; none if they cannot be
  // read (the context's kernel_counters says why).
  std::optional<CounterSnapshot> kernel0;
};

Harness& harness() {
  static Harness h;
  return h;
}

std::int64_t server_cpu_ns(Harness& h) { return h.echo ? process_cpu_ns(h.echo->pid()) : -1; }

// The port a variant talks to; churn_main checks up front that the server
// has every close-after-N port the selected benchmarks need.
const Endpoint& endpoint_for(const Harness& h, const Variant& v) {
  if (!v.server_closes()) return h.target.echo;
  const auto after = h.target.echo_after.find(v.rpc);
  return v.rpc == 1 || after == h.target.echo_after.end() ? h.target.echo_once : after->second;
}

void fail(benchmark::State& state, const std::string& why) {
  Harness& h = harness();
  std::string text = why;
  {
    std::lock_guard lock(h.run_mutex);
    if (h.echo && !h.echo->alive()) text += " (the echo server process has exited)";
  }
  h.failed = true;
  h.run_failed = true;
  state.SkipWithError(text.c_str());
}

std::set<std::uint64_t> time_wait_cookies() {
  std::set<std::uint64_t> cookies;
  for (const auto& s : list_tcp_sockets())
    if (s.state == TcpState::time_wait) cookies.insert(s.cookie);
  return cookies;
}

// The TIME_WAIT sockets toward or on the server's port that this run
// created and that are still there at its end.
TimeWaitCount time_wait_since(const std::set<std::uint64_t>& before, const Endpoint& server) {
  TimeWaitCount n;
  const std::uint16_t port = server.port();
  for (const auto& s : list_tcp_sockets()) {
    if (s.state != TcpState::time_wait || before.contains(s.cookie)) continue;
    if (s.local.port() == port && s.local.same_host(server)) ++n.total, ++n.server_side;
    else if (s.remote.port() == port && s.remote.same_host(server)) ++n.total;
  }
  return n;
}

void begin_run(const Setup& setup, int threads) {
  Harness& h = harness();
  std::lock_guard lock(h.run_mutex);
  if (h.begun++ > 0) return;
  if (h.echo && h.server_placement != setup.placement) {
    pin_process(h.echo->pid(), h.plans.at(setup.placement).server);
    h.server_placement = setup.placement;
  }
  h.merged = Tally{};
  h.run_errors = 0;
  h.run_failed = false;
  h.run_name = setup.name + "/threads:" + std::to_string(threads);
  if (h.protocol == Protocol::tcp) h.time_wait0 = time_wait_cookies();
  try {
    h.kernel0 = read_kernel_counters();
  } catch (const std::exception&) {
    h.kernel0.reset();
  }
  h.wall0 = monotonic_ns();
  h.machine0 = machine_cpu();
  h.client_cpu0 = process_cpu_ns(::getpid());
  h.server_cpu0 = server_cpu_ns(h);
  h.in_run = true;
}

void end_run(benchmark::State& state, Tally&& tally, const Setup& setup) {
  Harness& h = harness();
  std::lock_guard lock(h.run_mutex);
  h.merged.merge(std::move(tally));
  if (++h.ended < state.threads()) return;

  // The last thread of the run reports for all of them (the other threads
  // leave these counters unset, and Google Benchmark sums over threads).
  RunClock clock;
  clock.wall_ns = static_cast<double>(monotonic_ns() - h.wall0);
  clock.client_cpu_ns = static_cast<double>(process_cpu_ns(::getpid()) - h.client_cpu0);
  if (h.echo) clock.server_cpu_ns = static_cast<double>(server_cpu_ns(h) - h.server_cpu0);
  const MachineCpu machine = machine_cpu();
  clock.machine_busy_ns = static_cast<double>(machine.busy_ns - h.machine0.busy_ns);
  clock.machine_steal_ns = static_cast<double>(machine.steal_ns - h.machine0.steal_ns);
  std::optional<TimeWaitCount> tw;
  if (h.protocol == Protocol::tcp) tw = time_wait_since(h.time_wait0, endpoint_for(h, setup.variant));
  auto counters = run_counters(h.merged, clock, tw, h.protocol == Protocol::udp);
  if (h.kernel0) {
    try {
      add_kernel_counters(counters, counter_delta(*h.kernel0, read_kernel_counters()), h.protocol,
                          static_cast<double>(h.merged.latency_ns.size()));
    } catch (const std::exception&) {
      // Left out of the row; the context's kernel_counters names the problem.
    }
  }
  // Only under conntrack (scripts/bench --conntrack): the table is empty otherwise.
  if (const auto table = read_conntrack_occupancy()) add_conntrack_counters(counters, *table);
  for (const auto& [name, value] : counters) state.counters[name] = value;
  if (h.merged.latency_ns.empty() && !h.merged.errors.empty() && !h.run_failed) {
    std::string why = "no exchange completed:";
    for (auto [err, n] : h.merged.errors) why += " " + std::to_string(n) + " x " + error_name(err);
    h.failed = true;
    h.run_failed = true;
    state.SkipWithError(why.c_str());
  }
  if (h.run_failed) {
    // Google Benchmark drops an errored run's counters: keep them, with the
    // exchanges that completed before the error.
    counters["exchanges"] = static_cast<double>(h.merged.latency_ns.size());
    h.results_file.stash_errored(setup.name, state.threads(), std::move(counters));
  }
  h.begun = h.ended = 0;
  h.in_run = false;
}

void run_exchanges(benchmark::State& state, const Setup& setup) {
  Harness& h = harness();
  pin_this_thread(h.plans.at(setup.placement).client);
  std::unique_ptr<Exchanger> ex;
  try {
    ex = make_exchanger({setup.variant, setup.payload, endpoint_for(h, setup.variant)});
  } catch (const std::exception& e) {
    fail(state, std::string("setup: ") + e.what());
  }
  begin_run(setup, state.threads());
  Tally tally;
  tally.latency_ns.reserve(1 << 16);
  std::string why_not;
  std::optional<SyscallCounter> syscalls;
  if (h.opt.count_syscalls) syscalls = SyscallCounter::open(why_not);
  tally.syscalls_counted = syscalls.has_value();
  const std::int64_t cpu0 = thread_cpu_ns();
  if (syscalls) syscalls->start();
  for (auto _ : state) {
    const std::int64_t t0 = monotonic_ns();
    const Outcome o = ex->exchange();
    const std::int64_t t1 = monotonic_ns();
    if (!o.ok()) {
      ++tally.errors[o.err];
      const std::uint64_t errors = h.run_errors.fetch_add(1, std::memory_order_relaxed) + 1;
      if (errors > h.opt.max_errors) {
        std::string why = o.describe() + " after " + std::to_string(tally.latency_ns.size()) + " exchanges";
        if (h.opt.max_errors > 0) why += " (" + std::to_string(errors) + " failed exchanges in this run, more than --max-errors)";
        if (o.err == EADDRNOTAVAIL) why += ": no free local port (ephemeral ports exhausted)";
        fail(state, why);
        break;
      }
      continue;
    }
    const std::int64_t took = o.latency_ns >= 0 ? o.latency_ns : t1 - t0;
    tally.latency_ns.push_back(static_cast<std::uint32_t>(std::min<std::int64_t>(took, UINT32_MAX)));
    h.progress.fetch_add(1, std::memory_order_relaxed);
  }
  if (ex) ex->finish();
  if (syscalls) tally.syscalls = syscalls->read();
  tally.cpu_ns = thread_cpu_ns() - cpu0;
  if (ex) tally.stale = ex->stale();
  state.counters["exchanges_per_s"] =
      benchmark::Counter(static_cast<double>(tally.latency_ns.size()), benchmark::Counter::kIsRate);
  end_run(state, std::move(tally), setup);
}

// Threads from --threads, real time: with several threads, wall-clock rate is
// the throughput; CPU time is reported separately per exchange.
void apply_thread_sweep(benchmark::internal::Benchmark* b) {
  for (int t : harness().opt.threads) b->Threads(t);
  b->UseRealTime();
}

// Starts the bundled server (or takes --server) and probes the ports the
// selected benchmarks use. Throws std::runtime_error with a one-line reason.
// `need_after`: the close-after-N ports the selected benchmarks use (closer
// server at rpc N above 1).
void reach_server(Harness& h, bool need_echo, bool need_once, const std::set<unsigned>& need_after) {
  if (h.opt.server) {
    h.target.echo = *h.opt.server;
    h.target.echo_once = with_port(*h.opt.server, h.opt.server_once_port ? h.opt.server_once_port
                                                                          : static_cast<std::uint16_t>(h.opt.server->port() + 1));
    for (unsigned n : need_after) {
      const auto port = h.opt.server_after_ports.find(n);
      if (port == h.opt.server_after_ports.end())
        throw std::runtime_error("closer:server at rpc:" + std::to_string(n) + " needs the server's close-after-" + std::to_string(n) +
                                 " port: start sockchurn-echo with --close-after=" + std::to_string(n) +
                                 " and pass --server-close-after=" + std::to_string(n) + ":PORT");
      h.target.echo_after[n] = with_port(*h.opt.server, port->second);
    }
  } else {
    const std::string binary = h.opt.echo_binary.empty() ? echo_binary_beside_self(SOCKCHURN_ECHO_FALLBACK) : h.opt.echo_binary;
    if (::access(binary.c_str(), X_OK) != 0) throw std::runtime_error("cannot execute the echo server " + binary + ": " + error_name(errno));
    std::vector<std::string> args{"--listen=" + h.opt.listen, "--threads=" + std::to_string(h.opt.echo_threads)};
    std::string after;
    for (unsigned n : need_after) after += (after.empty() ? "" : ",") + std::to_string(n);
    if (!after.empty()) args.push_back("--close-after=" + after);
    h.echo = std::make_unique<EchoProcess>(binary, args);
    const Endpoint host = parse_host(h.opt.listen);
    h.target.echo = with_port(host, h.protocol == Protocol::tcp ? h.echo->ports().tcp : h.echo->ports().udp);
    h.target.echo_once = with_port(host, h.echo->ports().tcp_once);
    for (const auto& [n, port] : h.echo->ports().tcp_after) h.target.echo_after[n] = with_port(host, port);
  }
  if (need_echo) probe_echo(h.protocol, h.target.echo);
  if (need_once) probe_echo(h.protocol, h.target.echo_once);
  for (unsigned n : need_after) {
    const auto at = h.target.echo_after.find(n);
    if (at == h.target.echo_after.end())
      throw std::runtime_error("the echo server reported no close-after-" + std::to_string(n) + " port");
    probe_echo(h.protocol, at->second);
  }
}

}  // namespace

int churn_main(int argc, char** argv, Protocol protocol) {
  if (const char* slash = std::strrchr(argv[0], '/')) g_prog = slash + 1;
  else g_prog = argv[0];
  Harness& h = harness();
  h.protocol = protocol;
  const bool listing = asks_for_list(argc, argv);
  const bool json_file = wants_json_file(argc, argv);
  try {
    h.opt = parse_options(argc, argv, protocol);
    for (Placement p : h.opt.placements) h.plans.emplace(p, cpu_plan(p));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", g_prog, e.what());
    return 2;
  }
  benchmark::Initialize(&argc, argv, [] { std::fputs(options_help(g_prog).c_str(), stdout); });
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;

  const std::vector<Setup> setups = sweep(h.opt, protocol, g_prog);
  bool need_echo = false, need_once = false;
  std::set<unsigned> need_after;
  std::vector<std::string> groups;
  try {
    const Selection selection(benchmark::GetBenchmarkFilter());
    for (const Setup& s : setups) {
      if (!selection.any(s, h.opt.threads)) continue;
      if (!s.variant.server_closes()) need_echo = true;
      else if (s.variant.rpc == 1) need_once = true;
      else need_after.insert(s.variant.rpc);
      if (std::find(groups.begin(), groups.end(), s.variant.group_regex()) == groups.end())
        groups.push_back(s.variant.group_regex());
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", g_prog, e.what());
    return 2;
  }
  if (h.opt.list_groups) {
    for (const std::string& g : groups) std::printf("%s\n", g.c_str());
    return 0;
  }
  if (!listing) {
    if (in_host_network_namespace().value_or(true))
      std::fprintf(stderr,
                   "%s: warning: running in the host's network namespace (or one with other interfaces): churn "
                   "fills its TIME_WAIT table, and TIME_WAIT left by others skews the port search; run inside "
                   "'unshare -n' as scripts/bench does\n",
                   g_prog);
    try {
      reach_server(h, need_echo, need_once, need_after);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "%s: %s\n", g_prog, e.what());
      return 1;
    }
    add_run_context(h.opt, h.plans, h.target.echo, !h.echo);
  }

  for (const Setup& s : setups) benchmark::RegisterBenchmark(s.name.c_str(), run_exchanges, s)->Apply(apply_thread_sweep);

  {
    WatchdogProbe probe;
    probe.progress = [&h] { return h.progress.load(); };
    probe.in_run = [&h] { return h.in_run.load(); };
    probe.run_name = [&h] {
      std::lock_guard lock(h.run_mutex);
      return h.run_name;
    };
    probe.server_dead = [&h] {
      std::lock_guard lock(h.run_mutex);
      return h.in_run && h.echo && !h.echo->alive();
    };
    probe.before_exit = [&h] {
      if (h.echo) ::kill(h.echo->pid(), SIGKILL);
    };
    const Watchdog watchdog(g_prog, h.opt.stall_timeout_s, std::move(probe));
    if (json_file) benchmark::RunSpecifiedBenchmarks(nullptr, &h.results_file);
    else benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
  }
  if (h.echo) {
    std::lock_guard lock(h.run_mutex);
    if (!h.echo->alive()) {
      std::fprintf(stderr, "%s: the echo server exited during the run\n", g_prog);
      h.failed = true;
    }
    h.echo->stop();
  }
  if (h.failed) std::fprintf(stderr, "%s: some benchmarks ended in an error (see error_message)\n", g_prog);
  return h.failed ? 1 : 0;
}

}  // namespace sockchurn::bench
