#include "harness.hpp"

#include <benchmark/benchmark.h>
#include <sys/socket.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

#include "echo_probe.hpp"
#include "echo_process.hpp"
#include "git_commit.hpp"
#include "placement.hpp"
#include "sockops.hpp"
#include "sysinfo.hpp"
#include "tcp_states.hpp"

namespace sockchurn::bench {

namespace {

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Options {
  std::optional<Endpoint> server;  // external sockchurn-echo
  std::uint16_t server_once_port = 0;
  std::vector<Placement> placements{Placement::same};
  std::vector<std::size_t> payloads{64};
  std::vector<int> threads{1, 2, 4, 8, 16};
  unsigned echo_threads = 1;
  std::string listen = "127.0.0.1";
  std::string echo_binary;
  int stall_timeout_s = 20;
  std::uint64_t max_errors = 0;
};

const char* g_prog = "sockchurn";

void print_help() {
  std::printf(
      "usage: %s [OPTIONS] [GOOGLE BENCHMARK FLAGS]\n"
      "\n"
      "Echo exchanges against sockchurn-echo, one benchmark per strategy x payload x\n"
      "placement x client threads. Results in Google Benchmark's JSON with\n"
      "--benchmark_out=FILE --benchmark_out_format=json.\n"
      "\n"
      "Options (general to specific):\n"
      "  --server=HOST:PORT       use a sockchurn-echo started elsewhere (TCP echo and UDP\n"
      "                           echo on PORT, TCP echo-once on PORT+1) instead of starting\n"
      "                           the bundled one as a child process\n"
      "  --server-once-port=N     the external server's TCP echo-once port (default PORT+1)\n"
      "  --listen=ADDR            address the bundled server binds (default 127.0.0.1; ::1 for IPv6)\n"
      "  --echo-threads=N         threads of the bundled server (default 1)\n"
      "  --echo-binary=PATH       the sockchurn-echo to start (default: next to this binary)\n"
      "  --placement=LIST         CPU placement(s): same (client and server on one CPU, the\n"
      "                           default), split (different CPUs), free (unpinned)\n"
      "  --payload=LIST           payload sizes in bytes (default 64), e.g. 64,1024\n"
      "  --threads=LIST           client thread counts (default 1,2,4,8,16)\n"
      "  --max-errors=N           failed exchanges tolerated in one run, all threads together\n"
      "                           (counted by errno), before it ends in an error (default 0)\n"
      "  --stall-timeout=SECONDS  give up if no exchange completes for this long (default 20)\n"
      "  --help                   this text\n"
      "\n"
      "Exit status: 0 all benchmarks ran; 1 a benchmark ended in an error, or the echo\n"
      "server could not be started or reached; 2 a bad flag; 3 a run stalled or its echo\n"
      "server died (then no output file is written).\n"
      "\n"
      "Google Benchmark's own flags follow, e.g. --benchmark_filter=REGEX,\n"
      "--benchmark_min_time=SECONDS (a plain number), --benchmark_repetitions=N,\n"
      "--benchmark_out=FILE, --benchmark_out_format=json, --benchmark_list_tests.\n",
      g_prog);
}

// "a,b,c" -> items; an empty item ("a,,b", "a,") is a usage error.
std::vector<std::string_view> split_list(std::string_view flag, std::string_view text) {
  const std::string whole(text);
  std::vector<std::string_view> items;
  for (;;) {
    const auto comma = text.find(',');
    items.push_back(text.substr(0, comma));
    if (items.back().empty()) throw UsageError("--" + std::string(flag) + ": empty item in '" + whole + "'");
    if (comma == std::string_view::npos) return items;
    text.remove_prefix(comma + 1);
  }
}

template <typename T>
std::vector<T> parse_list(std::string_view flag, std::string_view text, T lo, T hi) {
  std::vector<T> out;
  for (const std::string_view item : split_list(flag, text)) {
    T value{};
    const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), value);
    if (ec != std::errc() || end != item.data() + item.size() || value < lo || value > hi)
      throw UsageError("--" + std::string(flag) + ": '" + std::string(item) + "' is not a number from " +
                       std::to_string(lo) + " to " + std::to_string(hi));
    out.push_back(value);
  }
  return out;
}

template <typename T>
T parse_one(std::string_view flag, std::string_view text, T lo, T hi) {
  const auto list = parse_list<T>(flag, text, lo, hi);
  if (list.size() != 1) throw UsageError("--" + std::string(flag) + " takes one number");
  return list.front();
}

// Takes the suite's own flags out of argv; leaves the rest for Google Benchmark.
Options parse_own_flags(int& argc, char** argv) {
  Options opt;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const auto eq = arg.find('=');
    const std::string_view name = arg.substr(0, eq);
    const std::string_view value = eq == std::string_view::npos ? std::string_view() : arg.substr(eq + 1);
    const bool ours = name == "--server" || name == "--server-once-port" || name == "--listen" ||
                      name == "--echo-threads" || name == "--echo-binary" || name == "--placement" ||
                      name == "--payload" || name == "--threads" || name == "--max-errors" ||
                      name == "--stall-timeout";
    if (!ours) {
      argv[kept++] = argv[i];
      continue;
    }
    if (eq == std::string_view::npos || value.empty())
      throw UsageError(std::string(name) + " needs a value: " + std::string(name) + "=...");
    try {
      if (name == "--server") opt.server = parse_endpoint(value);
      if (name == "--listen") opt.listen = std::string(value), parse_host(value);
    } catch (const std::invalid_argument& e) {
      throw UsageError(std::string(name) + ": " + e.what());
    }
    if (name == "--server-once-port") opt.server_once_port = parse_one<std::uint16_t>("server-once-port", value, 1, 65535);
    if (name == "--echo-threads") opt.echo_threads = parse_one<unsigned>("echo-threads", value, 1, 64);
    if (name == "--echo-binary") opt.echo_binary = value;
    if (name == "--payload") opt.payloads = parse_list<std::size_t>("payload", value, 1, 1 << 20);
    if (name == "--threads") opt.threads = parse_list<int>("threads", value, 1, 256);
    if (name == "--max-errors") opt.max_errors = parse_one<std::uint64_t>("max-errors", value, 0, ~0ull);
    if (name == "--stall-timeout") opt.stall_timeout_s = parse_one<int>("stall-timeout", value, 1, 3600);
    if (name == "--placement") {
      opt.placements.clear();
      for (const std::string_view item : split_list("placement", value)) {
        const auto p = parse_placement(item);
        if (!p) throw UsageError("--placement: '" + std::string(item) + "' is not one of same, split, free");
        opt.placements.push_back(*p);
      }
    }
  }
  argc = kept;
  argv[argc] = nullptr;
  return opt;
}

// Everything one benchmark run's threads add up, merged by the last thread
// to finish so that percentiles come from all samples, not an average of
// per-thread percentiles.
struct ThreadTally {
  std::vector<std::uint32_t> latency_ns;
  std::int64_t cpu_ns = 0;
  std::uint64_t stale = 0;
  std::map<int, std::uint64_t> errors;
};

struct Target {
  Endpoint echo;       // TCP echo (UDP: the UDP echo)
  Endpoint echo_once;  // TCP echo-once
};

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
  std::atomic<std::uint64_t> run_errors{0};  // failed exchanges of the current run, all threads
  // The watchdog runs until churn_main ends it (before the Harness is gone).
  std::mutex watchdog_mutex;
  std::condition_variable watchdog_wake;
  bool watchdog_stop = false;  // guarded by watchdog_mutex
  std::mutex run_mutex;
  std::string run_name;  // guarded by run_mutex
  int begun = 0, ended = 0;
  ThreadTally merged;
  std::int64_t wall0 = 0, client_cpu0 = 0, server_cpu0 = 0;
  MachineCpu machine0;
};

Harness& harness() {
  static Harness h;
  return h;
}

std::int64_t server_cpu_ns(Harness& h) { return h.echo ? process_cpu_ns(h.echo->pid()) : -1; }

void fail(benchmark::State& state, const std::string& why) {
  Harness& h = harness();
  std::string text = why;
  {
    std::lock_guard lock(h.run_mutex);
    if (h.echo && !h.echo->alive()) text += " (the echo server process has exited)";
  }
  h.failed = true;
  state.SkipWithError(text.c_str());
}

struct Setup {
  ExchangeConfig exchange;
  Placement placement = Placement::same;
  std::string name;
};

void begin_run(const Setup& setup, int threads) {
  Harness& h = harness();
  std::lock_guard lock(h.run_mutex);
  if (h.begun++ > 0) return;
  if (h.echo && h.server_placement != setup.placement) {
    pin_process(h.echo->pid(), h.plans.at(setup.placement).server);
    h.server_placement = setup.placement;
  }
  h.merged = ThreadTally{};
  h.run_errors = 0;
  h.run_name = setup.name + "/threads:" + std::to_string(threads);
  h.wall0 = monotonic_ns();
  h.machine0 = machine_cpu();
  h.client_cpu0 = process_cpu_ns(::getpid());
  h.server_cpu0 = server_cpu_ns(h);
  h.in_run = true;
}

double percentile_us(std::vector<std::uint32_t>& v, double q) {
  if (v.empty()) return 0;
  const auto k = static_cast<std::size_t>(q * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k] / 1000.0;
}

void end_run(benchmark::State& state, ThreadTally&& tally, const Setup& setup) {
  Harness& h = harness();
  std::lock_guard lock(h.run_mutex);
  ThreadTally& m = h.merged;
  m.latency_ns.insert(m.latency_ns.end(), tally.latency_ns.begin(), tally.latency_ns.end());
  m.cpu_ns += tally.cpu_ns;
  m.stale += tally.stale;
  for (auto [err, n] : tally.errors) m.errors[err] += n;
  if (++h.ended < state.threads()) return;

  // The last thread of the run reports for all of them (the other threads
  // leave these counters unset, and Google Benchmark sums over threads).
  const double wall = static_cast<double>(monotonic_ns() - h.wall0);
  const double exchanges = static_cast<double>(m.latency_ns.size());
  const double client_cpu = static_cast<double>(process_cpu_ns(::getpid()) - h.client_cpu0);
  auto& c = state.counters;
  if (exchanges > 0) {
    c["cpu_us_per_exchange"] = static_cast<double>(m.cpu_ns) / exchanges / 1000.0;
    c["p50_us"] = percentile_us(m.latency_ns, 0.50);
    c["p99_us"] = percentile_us(m.latency_ns, 0.99);
    // The slowest cycle: rare stalls (a SYN dropped and retransmitted after
    // 1 s) hide below p99 yet dominate the rate.
    c["max_us"] = *std::max_element(m.latency_ns.begin(), m.latency_ns.end()) / 1000.0;
  }
  double server_cpu = 0;
  if (h.echo) {
    server_cpu = static_cast<double>(server_cpu_ns(h) - h.server_cpu0);
    if (exchanges > 0) c["server_cpu_us_per_exchange"] = server_cpu / exchanges / 1000.0;
  }
  // CPUs' worth of busy time by anything but this process and its server:
  // a run with a large value shared the machine.
  const MachineCpu machine = machine_cpu();
  const double busy = static_cast<double>(machine.busy_ns - h.machine0.busy_ns);
  c["foreign_cpu_load"] = wall > 0 ? std::max(0.0, busy - client_cpu - server_cpu) / wall : 0.0;
  // CPUs' worth of time the hypervisor took from this VM during the run.
  c["steal_cpu"] = wall > 0 ? static_cast<double>(machine.steal_ns - h.machine0.steal_ns) / wall : 0.0;
  if (setup.exchange.protocol == Protocol::tcp) {
    const std::uint16_t port = setup.exchange.server.port();
    int tw = 0, tw_server = 0;
    for (const auto& s : list_tcp_sockets()) {
      if (s.state != TcpState::time_wait) continue;
      if (s.local.port() == port && s.local.same_host(setup.exchange.server)) ++tw, ++tw_server;
      else if (s.remote.port() == port && s.remote.same_host(setup.exchange.server)) ++tw;
    }
    c["time_wait"] = tw;
    c["time_wait_server"] = tw_server;
  } else {
    c["stale"] = static_cast<double>(m.stale);
  }
  std::uint64_t errors = 0;
  for (auto [err, n] : m.errors) {
    c["errors_" + error_name(err)] = static_cast<double>(n);
    errors += n;
  }
  c["errors"] = static_cast<double>(errors);
  if (exchanges == 0 && errors > 0 && !state.error_occurred()) {
    std::string why = "no exchange completed:";
    for (auto [err, n] : m.errors) why += " " + std::to_string(n) + " x " + error_name(err);
    h.failed = true;
    state.SkipWithError(why.c_str());
  }
  h.begun = h.ended = 0;
  h.in_run = false;
}

void run_exchanges(benchmark::State& state, const Setup& setup) {
  Harness& h = harness();
  pin_this_thread(h.plans.at(setup.placement).client);
  std::unique_ptr<Exchanger> ex;
  try {
    ex = make_exchanger(setup.exchange);
  } catch (const std::exception& e) {
    fail(state, std::string("setup: ") + e.what());
  }
  begin_run(setup, state.threads());
  ThreadTally tally;
  tally.latency_ns.reserve(1 << 16);
  const std::int64_t cpu0 = thread_cpu_ns();
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
    tally.latency_ns.push_back(static_cast<std::uint32_t>(std::min<std::int64_t>(t1 - t0, UINT32_MAX)));
    h.progress.fetch_add(1, std::memory_order_relaxed);
  }
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

std::string variant_name(Protocol protocol, const Variant& v, std::size_t payload, Placement placement) {
  std::string name = std::string(to_string(protocol)) + "/" + std::string(to_string(v.strategy));
  if (has_closer(protocol, v.strategy)) name += "/closer:" + std::string(to_string(v.closer));
  if (has_local_port(v.strategy)) name += "/port:" + std::string(to_string(v.local_port));
  return name + "/payload:" + std::to_string(payload) + "/placement:" + std::string(to_string(placement));
}

// Ends the process (status 3) when a run makes no progress for the stall
// timeout, or at once when the echo server child has died during a run (a
// UDP client would wait for its echo forever). Google Benchmark writes its
// output file only at the end, so such a run leaves no JSON.
void watchdog(int stall_timeout_s) {
  Harness& h = harness();
  std::uint64_t last = h.progress.load();
  int stalled = 0;
  for (;;) {
    {
      std::unique_lock lock(h.watchdog_mutex);
      if (h.watchdog_wake.wait_for(lock, std::chrono::seconds(1), [&] { return h.watchdog_stop; })) return;
    }
    const std::uint64_t now = h.progress.load();
    stalled = (h.in_run && now == last) ? stalled + 1 : 0;
    last = now;
    std::string run;
    bool server_dead = false;
    {
      std::lock_guard lock(h.run_mutex);
      run = h.run_name;
      server_dead = h.in_run && h.echo && !h.echo->alive();
    }
    if (server_dead) {
      std::fprintf(stderr, "%s: the echo server exited during %s; giving up\n", g_prog, run.c_str());
      std::_Exit(3);
    }
    if (stalled < stall_timeout_s) continue;
    std::fprintf(stderr,
                 "%s: no exchange completed for %d s in %s: the echo server stopped answering "
                 "(lost datagram, hung or dead server); giving up\n",
                 g_prog, stall_timeout_s, run.c_str());
    if (h.echo) ::kill(h.echo->pid(), SIGKILL);
    std::_Exit(3);
  }
}

}  // namespace

void add_machine_context() {
  benchmark::AddCustomContext("kernel", kernel_release());
  benchmark::AddCustomContext("cpu_model", cpu_model());
  benchmark::AddCustomContext("cores", std::to_string(std::thread::hardware_concurrency()));
  for (const char* name : {"net.ipv4.tcp_tw_reuse", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_fin_timeout",
                           "net.core.somaxconn", "net.ipv4.tcp_max_tw_buckets"})
    benchmark::AddCustomContext(std::string("sysctl.") + name, read_sysctl(name));
  const std::string interfaces = network_interfaces();
  benchmark::AddCustomContext("network_interfaces", interfaces);
  benchmark::AddCustomContext("isolation", interfaces == "lo" ? "private network namespace (loopback only)"
                                                              : "shared network namespace");
  benchmark::AddCustomContext("git_commit", SOCKCHURN_GIT_COMMIT);
}

int churn_main(int argc, char** argv, Protocol protocol, const std::vector<Variant>& variants) {
  if (const char* slash = std::strrchr(argv[0], '/')) g_prog = slash + 1;
  else g_prog = argv[0];
  Harness& h = harness();
  h.protocol = protocol;
  try {
    h.opt = parse_own_flags(argc, argv);
    for (Placement p : h.opt.placements) h.plans.emplace(p, cpu_plan(p));
    if (protocol == Protocol::udp)
      for (std::size_t p : h.opt.payloads)
        if (p > 65507) throw UsageError("--payload: " + std::to_string(p) + " bytes do not fit a UDP datagram (max 65507)");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", g_prog, e.what());
    return 2;
  }
  benchmark::Initialize(&argc, argv, print_help);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;

  try {
    if (h.opt.server) {
      h.target.echo = *h.opt.server;
      h.target.echo_once = with_port(*h.opt.server, h.opt.server_once_port ? h.opt.server_once_port
                                                                            : static_cast<std::uint16_t>(h.opt.server->port() + 1));
    } else {
      const std::string binary = h.opt.echo_binary.empty() ? echo_binary_beside_self(SOCKCHURN_ECHO_FALLBACK) : h.opt.echo_binary;
      if (::access(binary.c_str(), X_OK) != 0) throw std::runtime_error("cannot execute the echo server " + binary + ": " + error_name(errno));
      h.echo = std::make_unique<EchoProcess>(
          binary, std::vector<std::string>{"--listen=" + h.opt.listen, "--threads=" + std::to_string(h.opt.echo_threads)});
      const Endpoint host = parse_host(h.opt.listen);
      h.target.echo = with_port(host, protocol == Protocol::tcp ? h.echo->ports().tcp : h.echo->ports().udp);
      h.target.echo_once = with_port(host, h.echo->ports().tcp_once);
    }
    probe_echo(protocol, h.target.echo);
    if (protocol == Protocol::tcp) probe_echo(protocol, h.target.echo_once);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", g_prog, e.what());
    return 1;
  }

  add_machine_context();
  benchmark::AddCustomContext("echo_server", h.echo ? "bundled sockchurn-echo, child process" : "external");
  benchmark::AddCustomContext("echo_address", h.target.echo.to_string());
  benchmark::AddCustomContext("echo_threads", h.echo ? std::to_string(h.opt.echo_threads) : "?");
  benchmark::AddCustomContext("address_family", h.target.echo.family() == AF_INET6 ? "ipv6" : "ipv4");
  std::string payloads, placements;
  for (std::size_t p : h.opt.payloads) payloads += (payloads.empty() ? "" : ",") + std::to_string(p);
  for (const auto& [p, plan] : h.plans) placements += (placements.empty() ? "" : "; ") + std::string(to_string(p)) + ": " + plan.describe;
  benchmark::AddCustomContext("payloads", payloads);
  benchmark::AddCustomContext("placement", placements);

  for (Placement placement : h.opt.placements)
    for (std::size_t payload : h.opt.payloads)
      for (const Variant& v : variants) {
        Setup setup;
        setup.exchange.protocol = protocol;
        setup.exchange.strategy = v.strategy;
        setup.exchange.closer = v.closer;
        setup.exchange.local_port = v.local_port;
        setup.exchange.payload = payload;
        setup.exchange.server =
            (protocol == Protocol::tcp && v.closer == Closer::server && has_closer(protocol, v.strategy))
                ? h.target.echo_once
                : h.target.echo;
        setup.placement = placement;
        setup.name = variant_name(protocol, v, payload, placement);
        benchmark::RegisterBenchmark(setup.name.c_str(), run_exchanges, setup)->Apply(apply_thread_sweep);
      }

  std::thread watch(watchdog, h.opt.stall_timeout_s);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  {
    std::lock_guard lock(h.watchdog_mutex);
    h.watchdog_stop = true;
  }
  h.watchdog_wake.notify_all();
  watch.join();
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
