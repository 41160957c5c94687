// port_exhaustion: one TCP strategy (closer client, one thread) against an
// external sockchurn-echo for a fixed time, recorded second by second:
// exchanges completed, failed exchanges by errno name (EADDRNOTAVAIL when no
// ephemeral port is free), and the TIME_WAIT sockets toward the server.
//
// Not a Google Benchmark: the point is the time series. On a path that is not
// loopback (tcp_tw_reuse=2 only reuses TIME_WAIT ports toward loopback),
// client-first close() churn parks every used port in TIME_WAIT for 60 s; once
// the range is full, the rate falls to about ports / 60 s. Strategies that end
// with an RST (SO_LINGER {1,0}, connect(AF_UNSPEC)) leave no TIME_WAIT.
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "context.hpp"
#include "json_writer.hpp"
#include "model/exchange.hpp"
#include "net/sockops.hpp"
#include "observe/sysinfo.hpp"
#include "process/echo_probe.hpp"
#include "process/flags.hpp"
#include "process/placement.hpp"
#include "progress_board.hpp"
#include "results_file.hpp"
#include "time_wait.hpp"
#include "watchdog.hpp"

namespace {

using namespace sockchurn;
using bench::JsonArray;
using bench::JsonObject;
using bench::ProgressBoard;

constexpr const char* kAbout = R"(usage: port_exhaustion --server=HOST:PORT [OPTIONS]

Runs one TCP strategy (client closes first, one thread, 64-byte echo) against
a sockchurn-echo for a fixed time and records, per second: exchanges
completed, failed exchanges by errno name (EADDRNOTAVAIL: no free ephemeral
port), the TIME_WAIT sockets toward the server that the run created, and
client CPU time. After a
failed exchange it sleeps 1 ms and goes on. Writes JSON (context and series).
Meant to run in the client namespace of scripts/netns; see
docs/beyond-loopback.md.

Options (--flag=VALUE or --flag VALUE):
)";

constexpr const char* kExit = R"(
Exit status: 0 after the run, 1 if the server cannot be reached or the output
cannot be written, 2 for a bad flag, 3 if no exchange ends (completed or
failed) for the stall timeout.
)";

struct Options {
  Endpoint server;
  bool have_server = false;
  const StrategyInfo* strategy = nullptr;
  int seconds = 30;
  int stall_timeout_s = 20;
  std::size_t payload = 64;
  Placement placement = Placement::same;
  std::optional<std::string> delay_ms;
  std::vector<std::pair<std::string, std::string>> context;
  std::string output;
  bool quiet = false;
  bool help = false;
};

// The strategies that churn connections: every TCP strategy but the references.
std::vector<const StrategyInfo*> churn_strategies() {
  std::vector<const StrategyInfo*> out;
  for (const StrategyInfo& s : strategies())
    if (s.protocol == Protocol::tcp && s.role != Role::reference) out.push_back(&s);
  return out;
}

std::string churn_strategy_names() {
  std::string names;
  for (const StrategyInfo* s : churn_strategies()) names += (names.empty() ? "" : ", ") + std::string(s->name);
  return names;
}

Flags flag_table(Options& o) {
  Flags f;
  f.value("--server", "HOST:PORT", "the echo server's TCP echo port (required)",
          [&o](std::string_view v) {
            o.server = parse_endpoint(v);
            o.have_server = true;
          })
      .value("--strategy", "NAME", "one of " + churn_strategy_names() + "\n(default: the first)",
             [&o](std::string_view v) {
               o.strategy = find_strategy(Protocol::tcp, v);
               if (o.strategy == nullptr || o.strategy->role == Role::reference)
                 throw UsageError("--strategy: '" + std::string(v) + "' is not one of " + churn_strategy_names());
             })
      .value("--seconds", "N", "how long to run, 1 to 3600 (default 30)",
             [&o](std::string_view v) { o.seconds = parse_number<int>("--seconds", v, 1, 3600); })
      .value("--stall-timeout", "SECONDS", "give up if no exchange ends, completed or failed, for this long (default 20)",
             [&o](std::string_view v) { o.stall_timeout_s = parse_number<int>("--stall-timeout", v, 1, 3600); })
      .value("--payload", "BYTES", "echo size (default 64)",
             [&o](std::string_view v) { o.payload = parse_number<std::size_t>("--payload", v, 1, 1 << 20); })
      .value("--placement", "P",
             "this client's CPU: same or split (the first allowed CPU,\n"
             "as the benchmarks pin their client; the server is placed\n"
             "by whoever starts it, e.g. scripts/netns), free (unpinned)",
             [&o](std::string_view v) {
               const auto p = parse_placement(v);
               if (!p) throw UsageError("--placement: '" + std::string(v) + "' is not one of same, split, free");
               o.placement = *p;
             })
      .value("--delay-ms", "MS",
             "the one-way delay of the path, recorded in the context\n"
             "(scripts/netns --delay); not applied by this program",
             [&o](std::string_view v) {
               parse_number<double>("--delay-ms", v, 0, 1e6);
               o.delay_ms = std::string(v);
             })
      .value("--context", "KEY=VALUE", "an extra context entry (repeatable)",
             [&o](std::string_view v) {
               const auto kv = v.find('=');
               if (kv == 0 || kv == std::string_view::npos) throw UsageError("--context: '" + std::string(v) + "' is not KEY=VALUE");
               o.context.emplace_back(v.substr(0, kv), v.substr(kv + 1));
             })
      .value("--output", "FILE", "write the JSON to FILE (default: standard output)",
             [&o](std::string_view v) { o.output = std::string(v); })
      .alias("-o", "--output")
      .toggle("--quiet", "no per-second progress on standard error", [&o] { o.quiet = true; })
      .toggle("--help", "this text", [&o] { o.help = true; })
      .alias("-h", "--help");
  return f;
}

struct Second {
  std::uint64_t exchanges = 0;
  std::map<std::string, std::uint64_t> errors;  // errno name -> failed exchanges
  int time_wait = -1;                           // -1: could not be listed
  double cpu_ms = 0;
};

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string host_name() {
  char buf[256] = {};
  return ::gethostname(buf, sizeof buf - 1) == 0 ? buf : "?";
}

JsonObject errors_json(const std::map<std::string, std::uint64_t>& errors) {
  JsonObject o;
  for (const auto& [name, n] : errors) o.add(name, n);
  return o;
}

// The results: the context, one object a second, the totals.
std::string to_json(const std::vector<std::pair<std::string, std::string>>& context, const std::vector<Second>& series) {
  std::string out = "{\n  \"context\": {";
  for (std::size_t i = 0; i < context.size(); ++i)
    out += (i ? ",\n    " : "\n    ") + bench::json_string(context[i].first) + ": " + bench::json_string(context[i].second);
  std::uint64_t total = 0;
  std::map<std::string, std::uint64_t> errors;
  JsonArray seconds;
  for (std::size_t i = 0; i < series.size(); ++i) {
    const Second& s = series[i];
    total += s.exchanges;
    for (const auto& [name, n] : s.errors) errors[name] += n;
    seconds.push(JsonObject()
                     .add("second", i + 1)
                     .add("exchanges", s.exchanges)
                     .add("time_wait", s.time_wait)
                     .add("cpu_ms", s.cpu_ms)
                     .add("errors", errors_json(s.errors)));
  }
  const JsonObject totals =
      JsonObject().add("seconds", series.size()).add("exchanges", total).add("errors", errors_json(errors));
  return out + "\n  },\n  \"series\": " + seconds.str(true, 4) + ",\n  \"totals\": " + totals.str() + "\n}\n";
}

}  // namespace

int main(int argc, char** argv) {
  const char* prog = "port_exhaustion";
  Options opt;
  const Flags flags = flag_table(opt);
  try {
    flags.parse(argc, argv);
    if (opt.help) {
      std::fputs((kAbout + flags.help() + kExit).c_str(), stdout);
      return 0;
    }
    if (!opt.have_server) throw UsageError("--server=HOST:PORT is required (the echo server's TCP echo port)");
    if (opt.strategy == nullptr) opt.strategy = churn_strategies().front();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", prog, e.what());
    return 2;
  }

  ExchangeConfig cfg;
  cfg.variant = {opt.strategy, Closer::client, LocalPort::ephemeral};
  cfg.payload = opt.payload;
  cfg.server = opt.server;
  std::unique_ptr<Exchanger> ex;
  try {
    pin_this_thread(cpu_plan(opt.placement).client);
    probe_echo(Protocol::tcp, opt.server);
    ex = make_exchanger(cfg);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", prog, e.what());
    return 1;
  }

  std::vector<std::pair<std::string, std::string>> context = {
      {"program", "port_exhaustion"},
      {"date", utc_now()},
      {"host", host_name()},
      {"protocol", "tcp"},
      {"strategy", std::string(opt.strategy->name)},
      {"closer", "client"},
      {"threads", "1"},
      {"payload", std::to_string(opt.payload)},
      {"placement", std::string(to_string(opt.placement))},
      {"server", opt.server.to_string()},
      {"address_family", opt.server.family() == AF_INET6 ? "ipv6" : "ipv4"},
      {"seconds", std::to_string(opt.seconds)},
  };
  for (auto& kv : bench::machine_context_entries()) context.push_back(std::move(kv));
  if (opt.delay_ms) context.emplace_back("delay_ms_each_way", *opt.delay_ms);
  for (const auto& kv : opt.context) context.push_back(kv);

  // The TIME_WAIT sockets that were there before the run are not its own.
  std::set<std::uint64_t> time_wait0;
  try {
    time_wait0 = bench::socket_cookies();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: cannot list sockets: %s\n", prog, e.what());
  }

  // The loop checks the clock only between exchanges: the benchmarks'
  // watchdog ends the run if none ends (completed or failed) for the stall
  // timeout, so a hung exchange (server gone, SYNs dropped) cannot hold it open.
  ProgressBoard ended(1);
  ProgressBoard::Counter ended_here = ended.counter(0);
  bench::WatchdogProbe probe;
  probe.progress = [&ended] { return ended.total(); };
  probe.in_run = [] { return true; };
  probe.run_name = [&opt] { return "the " + std::string(opt.strategy->name) + " run"; };
  probe.server_dead = [] { return false; };
  probe.before_exit = [](const std::string&) {};
  const bench::Watchdog watchdog(prog, opt.stall_timeout_s, std::move(probe));

  const std::int64_t ns_per_s = 1'000'000'000;
  const std::int64_t start = monotonic_ns();
  const std::int64_t end = start + opt.seconds * ns_per_s;
  std::vector<Second> series;
  series.reserve(static_cast<std::size_t>(opt.seconds));
  Second cur;
  std::set<std::string> reported;
  std::int64_t next = start + ns_per_s;
  std::int64_t cpu_mark = thread_cpu_ns();
  for (std::int64_t now = start; now < end;) {
    const Outcome o = ex->exchange();
    ended_here.add();
    if (o.ok()) {
      ++cur.exchanges;
    } else {
      const std::string name = error_name(o.err);
      ++cur.errors[name];
      if (reported.insert(name).second && !opt.quiet)
        std::fprintf(stderr, "%s: first %s at second %zu: %s\n", prog, name.c_str(), series.size() + 1,
                     o.describe().c_str());
      std::this_thread::sleep_for(std::chrono::milliseconds(1));  // no busy loop while ports are exhausted
    }
    now = monotonic_ns();
    // Close every second that has ended (several if one exchange blocked).
    while (now >= next && static_cast<int>(series.size()) < opt.seconds) {
      try {
        cur.time_wait = bench::time_wait_since(time_wait0, opt.server).total;
      } catch (const std::exception& e) {
        if (reported.insert("sock_diag").second) std::fprintf(stderr, "%s: cannot list sockets: %s\n", prog, e.what());
      }
      const std::int64_t cpu = thread_cpu_ns();
      cur.cpu_ms = static_cast<double>(cpu - cpu_mark) / 1e6;
      cpu_mark = cpu;
      if (!opt.quiet) {
        std::string errs;
        for (const auto& [name, n] : cur.errors) errs += " " + name + "=" + std::to_string(n);
        std::fprintf(stderr, "%s: %4zu s  %s  exchanges %6llu  time_wait %5d%s\n", prog, series.size() + 1,
                     std::string(opt.strategy->name).c_str(), static_cast<unsigned long long>(cur.exchanges),
                     cur.time_wait, errs.c_str());
      }
      series.push_back(std::move(cur));
      cur = Second{};
      next += ns_per_s;
    }
  }

  try {
    bench::write_results(opt.output, to_json(context, series));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", prog, e.what());
    return 1;
  }
  return 0;
}
