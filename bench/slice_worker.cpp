#include "slice_worker.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <condition_variable>
#include <cstdio>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "exchange_floor.hpp"
#include "json_writer.hpp"
#include "model/engines.hpp"
#include "model/exchange.hpp"
#include "net/sockops.hpp"
#include "observe/syscall_counter.hpp"
#include "observe/sysinfo.hpp"
#include "options.hpp"
#include "process/flags.hpp"
#include "process/placement.hpp"
#include "progress_board.hpp"
#include "run_stats.hpp"
#include "run_window.hpp"
#include "server_target.hpp"
#include "time_wait.hpp"
#include "timed_exchange.hpp"
#include "variant_lookup.hpp"
#include "watchdog.hpp"

namespace sockchurn::bench {

namespace {

struct WorkerFlags {
  bool on = false;
  std::string variant;
  int threads = 1;
  Placement placement = Placement::same;
  std::size_t payload = 64;
  double warmup_max_s = 10;
};

double parse_seconds(std::string_view flag, std::string_view text, double lo, double hi) {
  double v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || !(v >= lo && v <= hi))
    throw UsageError(std::string(flag) + ": '" + std::string(text) + "' is not a number of seconds from " +
                     json_number(lo) + " to " + json_number(hi));
  return v;
}

// The worker's own flags; the suite's (--server, --listen, --echo-*,
// --max-errors, --stall-timeout, --count-syscalls) follow from bench/options.hpp.
Flags worker_table(WorkerFlags& w) {
  Flags f;
  f.toggle("--slice-worker", "run as the slice worker (docs/design.md)", [&w] { w.on = true; })
      .value("--variant", "NAME", "the variant, as its benchmark name begins (required)",
             [&w](std::string_view v) { w.variant = std::string(v); })
      .value("--threads", "N", "client threads (default 1)",
             [&w](std::string_view v) { w.threads = parse_number<int>("--threads", v, 1, 256); })
      .value("--placement", "P", "same (default), split or free",
             [&w](std::string_view v) {
               const auto p = parse_placement(v);
               if (!p) throw UsageError("--placement: '" + std::string(v) + "' is not one of same, split, free");
               w.placement = *p;
             })
      .value("--payload", "BYTES", "echo size (default 64)",
             [&w](std::string_view v) { w.payload = parse_number<std::size_t>("--payload", v, 1, 1 << 20); })
      .value("--warmup-max-s", "S", "the longest warm-up (default 10)",
             [&w](std::string_view v) { w.warmup_max_s = parse_seconds("--warmup-max-s", v, 0.3, 3600); });
  return f;
}

void emit(const JsonObject& line) {
  std::printf("%s\n", line.str().c_str());
  std::fflush(stdout);
}

// A fatal problem: one JSON line on stdout, the same on stderr.
int fatal(const std::string& message) {
  const std::string line = JsonObject().add("error", message).str();
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
  std::fprintf(stderr, "%s\n", line.c_str());
  return 1;
}

// The variant's client threads. They persist between phases (a warm-up, a
// slice) with their exchangers and sockets, blocked on a condition variable
// while idle. In a phase each thread exchanges until the phase's target is
// met (checked against every thread's progress only once its time is up),
// or the coordinator stops the phase (the warm-up).
class Clients {
 public:
  Clients(const Options& opt, const Variant& v, std::size_t payload, const Endpoint& server, CpuPlan plan, int threads)
      : opt_(opt), variant_(v), payload_(payload), server_(server), plan_(std::move(plan)), board_(static_cast<std::size_t>(threads)) {
    for (int i = 0; i < threads; ++i) clients_.push_back(std::make_unique<Client>());
    for (std::size_t i = 0; i < clients_.size(); ++i) clients_[i]->thread = std::thread([this, i] { run(i); });
  }
  Clients(const Clients&) = delete;
  Clients& operator=(const Clients&) = delete;
  ~Clients() { quit(); }

  // Starts a phase: until `target` is met, or until stop() without one.
  void start(std::optional<LoopTarget> target) {
    std::lock_guard lock(mutex_);
    target_ = target;
    base_ = board_.total();
    stop_ = false;
    short_ = false;
    errors_ = 0;
    finished_ = 0;
    running_ = true;
    ++generation_;
    wake_.notify_all();
  }
  void stop() { stop_ = true; }
  // Waits for every thread to end the phase; returns their tallies merged.
  const Tally& wait() {
    std::unique_lock lock(mutex_);
    done_.wait(lock, [&] { return finished_ == clients_.size(); });
    running_ = false;
    merged_.clear();
    for (const auto& c : clients_) merged_.merge(c->tally);
    return merged_;
  }
  // Ends the connections the strategy's way and joins the threads.
  void quit() {
    {
      std::lock_guard lock(mutex_);
      if (quit_) return;
      quit_ = true;
      ++generation_;
    }
    wake_.notify_all();
    for (auto& c : clients_) c->thread.join();
  }

  std::uint64_t exchanges_so_far() const { return board_.total() - base_; }
  std::uint64_t progress() const { return board_.total(); }
  bool running() const { return running_.load(); }
  bool cut_short() const { return short_.load(); }
  // The first fatal problem of any thread ("" for none).
  std::string problem() {
    std::lock_guard lock(mutex_);
    return problem_;
  }

 private:
  struct Client {
    Tally tally;
    std::thread thread;
  };

  void set_problem(const std::string& why) {
    std::lock_guard lock(mutex_);
    if (problem_.empty()) problem_ = why;
  }

  void run(std::size_t i) {
    pin_this_thread(plan_.client);
    Client& c = *clients_[i];
    std::unique_ptr<Exchanger> ex;
    try {
      ex = make_exchanger({variant_, payload_, server_});
    } catch (const std::exception& e) {
      set_problem(std::string("setup: ") + e.what());
    }
    std::optional<SyscallCounter> syscalls;
    std::string why_not;
    if (opt_.count_syscalls) syscalls = SyscallCounter::open(why_not);
    const ProgressBoard::Counter progress = board_.counter(i);
    std::uint64_t seen = 0;
    for (;;) {
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [&] { return generation_ != seen; });
        seen = generation_;
        if (quit_) break;
      }
      c.tally.clear();
      c.tally.syscalls_counted = syscalls.has_value();
      if (ex) exchange(*ex, c.tally, progress, syscalls);
      {
        std::lock_guard lock(mutex_);
        ++finished_;
      }
      done_.notify_all();
    }
    if (ex) ex->finish();
  }

  void exchange(Exchanger& ex, Tally& tally, ProgressBoard::Counter progress, std::optional<SyscallCounter>& syscalls) {
    const std::int64_t cpu0 = thread_cpu_ns();
    const std::int64_t began = monotonic_ns();
    if (syscalls) syscalls->start();
    for (;;) {
      std::int64_t now = 0;
      const Outcome o = timed_exchange(ex, tally, progress, true, now, began);
      if (!o.ok()) {
        const std::uint64_t errors = errors_.fetch_add(1, std::memory_order_relaxed) + 1;
        if (errors > opt_.max_errors) {
          set_problem(failure_text(o, tally.exchanges(), errors, opt_.max_errors));
          stop_ = true;
        }
      }
      if (stop_.load(std::memory_order_relaxed)) break;
      if (target_ && target_->past_deadline(now)) {
        const std::uint64_t done = board_.total() - base_;
        if (target_->done(now, done)) {
          if (target_->cut_short(now, done)) short_ = true;
          stop_ = true;
          break;
        }
      }
    }
    if (syscalls) tally.syscalls = syscalls->read();
    tally.cpu_ns = thread_cpu_ns() - cpu0;
  }

  const Options& opt_;
  const Variant variant_;
  const std::size_t payload_;
  const Endpoint server_;
  const CpuPlan plan_;
  ProgressBoard board_;
  std::vector<std::unique_ptr<Client>> clients_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  // Set under mutex_ before a phase starts, read by the threads after:
  std::optional<LoopTarget> target_;
  std::uint64_t base_ = 0;
  std::uint64_t generation_ = 0;
  bool quit_ = false;
  std::size_t finished_ = 0;
  std::string problem_;
  Tally merged_;
  std::atomic<bool> stop_{false}, short_{false}, running_{false};
  std::atomic<std::uint64_t> errors_{0};  // failed exchanges of the phase, all threads
};

}  // namespace

bool asks_for_slice_worker(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (std::string_view(argv[i]) == "--slice-worker") return true;
  return false;
}

int slice_worker_main(int argc, char** argv, Protocol protocol, const char* prog) {
  WorkerFlags w;
  Options opt;
  Variant variant;
  CpuPlan plan;
  try {
    worker_table(w).parse(argc, argv, Flags::Unknown::keep);
    opt = parse_options(argc, argv, protocol);
    if (argc > 1) throw UsageError("--slice-worker: '" + std::string(argv[1]) + "' is not a slice worker flag");
    if (w.variant.empty()) throw UsageError("--slice-worker needs --variant=NAME");
    const auto found = find_variant(protocol, w.variant);
    if (!found)
      throw UsageError("--variant: '" + w.variant + "' is not a " + std::string(to_string(protocol)) +
                       " variant; one of " + variant_names(protocol) + " (flows:N, rpc:N and ring:<set> where they apply)");
    variant = *found;
    if (const std::string why = engine_unavailable(variant.engine); !why.empty())
      throw UsageError("--variant: " + w.variant + ": the " + std::string(to_string(variant.engine)) + " engine cannot run here: " + why);
    if (variant.takes_ring())
      if (const std::string why = engine_info(variant.engine).ring_refused(variant.ring); !why.empty())
        throw UsageError("--variant: " + w.variant + ": " + why);
    if (protocol == Protocol::udp && w.payload > kMaxUdpPayload)
      throw UsageError("--payload: " + std::to_string(w.payload) + " bytes do not fit a UDP datagram (max " +
                       std::to_string(kMaxUdpPayload) + ")");
    plan = cpu_plan(w.placement);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", prog, e.what());
    return 2;
  }

  std::unique_ptr<ServerTarget> server;
  PortNeeds needs;
  needs.add(variant);
  try {
    server = std::make_unique<ServerTarget>(opt, protocol, needs);
  } catch (const std::exception& e) {
    return fatal(e.what());
  }
  server->place(w.placement, plan);
  const Endpoint& endpoint = server->endpoint_for(variant);
  const bool tcp = protocol == Protocol::tcp;
  std::set<std::uint64_t> before;  // the TCP sockets that are not this worker's
  if (tcp) {
    try {
      before = socket_cookies();
    } catch (const std::exception& e) {
      return fatal(std::string("cannot list sockets: ") + e.what());
    }
  }
  // TIME_WAIT sockets this worker's connections left, alive now; -1 if unknown.
  const auto time_wait_now = [&]() -> int {
    if (!tcp) return -1;
    try {
      return time_wait_since(before, endpoint).total;
    } catch (const std::exception&) {
      return -1;
    }
  };
  const auto add_time_wait = [](JsonObject& o, int tw) -> JsonObject& { return tw < 0 ? o.add_null("time_wait") : o.add("time_wait", tw); };

  Clients clients(opt, variant, w.payload, endpoint, plan, w.threads);
  std::string phase = "warm-up";
  std::mutex phase_mutex;
  WatchdogProbe probe;
  probe.progress = [&clients] { return clients.progress(); };
  probe.in_run = [&clients] { return clients.running(); };
  probe.run_name = [&] {
    std::lock_guard lock(phase_mutex);
    return "the " + w.variant + " " + phase;
  };
  probe.server_dead = [&clients, &server] { return clients.running() && !server->alive(); };
  probe.before_exit = [&server](const std::string& why) {
    std::printf("%s\n", JsonObject().add("error", why).str().c_str());
    std::fflush(stdout);
    server->kill();
  };
  std::optional<Watchdog> watchdog;
  watchdog.emplace(prog, opt.stall_timeout_s, std::move(probe), 1);
  // The end, whichever it is: the watchdog goes first (it looks at the
  // server), then the threads end their connections, then the server stops.
  const auto wind_up = [&] {
    watchdog.reset();
    clients.quit();
    server->stop();
  };

  // Warm-up to the steady state: exchanges until the TIME_WAIT sockets this
  // worker made stop growing (under 5% over the last 0.5 s), at least 0.3 s,
  // at most --warmup-max-s.
  const std::int64_t w0 = monotonic_ns();
  clients.start(std::nullopt);
  std::vector<int> samples{0};  // one every 100 ms
  bool stable = false;
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    samples.push_back(tcp ? std::max(0, time_wait_now()) : 0);
    const double elapsed = static_cast<double>(monotonic_ns() - w0) / 1e9;
    if (!clients.problem().empty()) break;
    if (elapsed >= 0.3) {
      const int now = samples.back();
      const int then = samples[samples.size() > 6 ? samples.size() - 6 : 0];
      if (then == 0 ? now == 0 : now - then < 0.05 * then) {
        stable = true;
        break;
      }
    }
    if (elapsed >= w.warmup_max_s) break;
  }
  clients.stop();
  const std::uint64_t warm_exchanges = clients.wait().exchanges();
  if (const std::string problem = clients.problem(); !problem.empty()) {
    wind_up();
    return fatal(problem);
  }
  JsonObject warm;
  warm.add("seconds", static_cast<double>(monotonic_ns() - w0) / 1e9).add("exchanges", warm_exchanges);
  add_time_wait(warm, time_wait_now()).add("stable", stable);
  JsonObject ready;
  ready.add("ready", true).add("variant", w.variant).add("threads", w.threads).add("placement", to_string(w.placement)).add("payload", w.payload);
  // The ring features its io_uring clients use (the default's, resolved).
  if (variant.takes_ring()) ready.add("ring", "ring:" + to_string(ring_used(variant)));
  emit(ready.add("warmup", warm));

  int slice = 0;
  std::string line;
  while (std::getline(std::cin, line)) {
    double seconds = 0;
    unsigned long long min_exchanges = 0;
    char extra = 0;
    if (line == "quit") break;
    if (std::sscanf(line.c_str(), "slice %lf %llu %c", &seconds, &min_exchanges, &extra) != 2 || !(seconds > 0 && seconds <= 3600)) {
      emit(JsonObject().add("error", line.starts_with("slice")
                                         ? "bad slice command '" + line + "': want 'slice SECONDS MIN_EXCHANGES', SECONDS from 0 to 3600"
                                         : "unknown command '" + line + "'"));
      continue;
    }
    {
      std::lock_guard lock(phase_mutex);
      phase = "slice " + std::to_string(slice);
    }
    const RunWindow window(*server, false, false);
    clients.start(LoopTarget(monotonic_ns(), static_cast<std::int64_t>(seconds * 1e9), min_exchanges));
    const Tally& tally = clients.wait();
    const RunClock clock = window.clock(*server);
    if (const std::string problem = clients.problem(); !problem.empty()) {
      wind_up();
      return fatal(problem);
    }
    JsonObject errors;
    for (const auto& [err, n] : tally.errors) errors.add(error_name(err), n);
    JsonObject out;
    out.add("slice", slice++).add("exchanges", tally.exchanges()).add("errors", errors);
    out.add("wall_ns", static_cast<std::int64_t>(clock.wall_ns)).add("client_cpu_ns", static_cast<std::int64_t>(clock.client_cpu_ns));
    if (clock.server_cpu_ns) out.add("server_cpu_ns", static_cast<std::int64_t>(*clock.server_cpu_ns));
    else out.add_null("server_cpu_ns");
    out.add("machine_busy_ns", static_cast<std::int64_t>(clock.machine_busy_ns))
        .add("steal_ns", static_cast<std::int64_t>(clock.machine_steal_ns))
        .add("foreign_cpu_load", foreign_cpu_load(clock));
    add_time_wait(out, time_wait_now());
    if (tally.syscalls_counted && opt.count_syscalls) out.add("syscalls", tally.syscalls);
    else out.add_null("syscalls");
    out.add("p50_us", tally.latency.percentile_us(0.5))
        .add("p99_us", tally.latency.percentile_us(0.99))
        .add("max_us", static_cast<double>(tally.latency.max_ns()) / 1000.0)
        .add("short", clients.cut_short());
    emit(out);
  }
  wind_up();
  emit(JsonObject().add("done", true));
  return 0;
}

}  // namespace sockchurn::bench
