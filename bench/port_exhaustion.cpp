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

#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "echo_probe.hpp"
#include "placement.hpp"
#include "sockops.hpp"
#include "strategies.hpp"
#include "sysinfo.hpp"
#include "tcp_states.hpp"

namespace {

using namespace sockchurn;

constexpr const char* kUsage = R"(usage: port_exhaustion --server=HOST:PORT [OPTIONS]

Runs one TCP strategy (client closes first, one thread, 64-byte echo) against
a sockchurn-echo for a fixed time and records, per second: exchanges
completed, failed exchanges by errno name (EADDRNOTAVAIL: no free ephemeral
port), TIME_WAIT sockets toward the server, and client CPU time. After a
failed exchange it sleeps 1 ms and goes on. Writes JSON (context and series).
Meant to run in the client namespace of scripts/netns; see
docs/beyond-loopback.md.

  --server=HOST:PORT   the echo server's TCP echo port (required)
  --strategy=NAME      fresh_close (FIN, TIME_WAIT on the client; default),
                       fresh_linger0 (SO_LINGER {1,0}: RST), reuse_unspec
                       (one socket, connect(AF_UNSPEC) after each exchange: RST)
  --seconds=N          how long to run, 1 to 3600 (default 30)
  --payload=BYTES      echo size (default 64)
  --placement=P        this client's CPU: same or split (the first allowed CPU,
                       as the benchmarks pin their client; the server is placed
                       by whoever starts it, e.g. scripts/netns), free (unpinned)
  --delay-ms=MS        the one-way delay of the path, recorded in the context
                       (scripts/netns --delay); not applied by this program
  --context=KEY=VALUE  an extra context entry (repeatable)
  -o FILE              write the JSON to FILE (default: standard output)
  --quiet              no per-second progress on standard error
  --help               this text

Exit status: 0 after the run, 1 if the server cannot be reached or the output
cannot be written, 2 for a bad flag, 3 if an exchange hangs past the end.
)";

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Options {
  Endpoint server;
  bool have_server = false;
  Strategy strategy = Strategy::fresh_close;
  int seconds = 30;
  std::size_t payload = 64;
  Placement placement = Placement::same;
  std::optional<std::string> delay_ms;
  std::vector<std::pair<std::string, std::string>> context;
  std::string output;
  bool quiet = false;
};

template <typename T>
T parse_number(std::string_view flag, std::string_view text, T lo, T hi) {
  T value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < lo || value > hi)
    throw UsageError(std::string(flag) + ": '" + std::string(text) + "' is not a number from " + std::to_string(lo) +
                     " to " + std::to_string(hi));
  return value;
}

Options parse_args(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);  // NOLINT(concurrency-mt-unsafe): no other thread exists yet
    }
    if (arg == "--quiet") {
      o.quiet = true;
      continue;
    }
    if (arg == "-o") {
      if (i + 1 >= argc) throw UsageError("-o needs a file name");
      o.output = argv[++i];
      continue;
    }
    const auto eq = arg.find('=');
    const std::string_view flag = arg.substr(0, eq);
    if (eq == std::string_view::npos || eq + 1 == arg.size())
      throw UsageError("unknown argument '" + std::string(arg) + "' (flags take --flag=VALUE; see --help)");
    const std::string_view value = arg.substr(eq + 1);
    if (flag == "--server") {
      try {
        o.server = parse_endpoint(value);
      } catch (const std::invalid_argument& e) {
        throw UsageError(std::string("--server: ") + e.what());
      }
      o.have_server = true;
    } else if (flag == "--strategy") {
      if (value == "fresh_close") o.strategy = Strategy::fresh_close;
      else if (value == "fresh_linger0") o.strategy = Strategy::fresh_linger0;
      else if (value == "reuse_unspec") o.strategy = Strategy::reuse_unspec;
      else throw UsageError("--strategy: '" + std::string(value) + "' is not one of fresh_close, fresh_linger0, reuse_unspec");
    } else if (flag == "--seconds") {
      o.seconds = parse_number<int>(flag, value, 1, 3600);
    } else if (flag == "--payload") {
      o.payload = parse_number<std::size_t>(flag, value, 1, 1 << 20);
    } else if (flag == "--placement") {
      const auto p = parse_placement(value);
      if (!p) throw UsageError("--placement: '" + std::string(value) + "' is not one of same, split, free");
      o.placement = *p;
    } else if (flag == "--delay-ms") {
      parse_number<double>(flag, value, 0, 1e6);
      o.delay_ms = std::string(value);
    } else if (flag == "--context") {
      const auto kv = value.find('=');
      if (kv == 0 || kv == std::string_view::npos) throw UsageError("--context: '" + std::string(value) + "' is not KEY=VALUE");
      o.context.emplace_back(value.substr(0, kv), value.substr(kv + 1));
    } else {
      throw UsageError("unknown flag '" + std::string(flag) + "' (see --help)");
    }
  }
  if (!o.have_server) throw UsageError("--server=HOST:PORT is required (the echo server's TCP echo port)");
  return o;
}

struct Second {
  std::uint64_t exchanges = 0;
  std::map<std::string, std::uint64_t> errors;  // errno name -> failed exchanges
  int time_wait = -1;                           // -1: could not be listed
  double cpu_ms = 0;
};

// TIME_WAIT sockets of this namespace whose peer is the server.
int time_wait_toward(const Endpoint& server) {
  int n = 0;
  for (const auto& s : list_tcp_sockets())
    if (s.state == TcpState::time_wait && s.remote == server) ++n;
  return n;
}

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

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

std::string to_json(const std::vector<std::pair<std::string, std::string>>& context, const std::vector<Second>& series) {
  std::ostringstream out;
  out << "{\n  \"context\": {";
  for (std::size_t i = 0; i < context.size(); ++i)
    out << (i ? "," : "") << "\n    " << json_string(context[i].first) << ": " << json_string(context[i].second);
  out << "\n  },\n  \"series\": [";
  std::uint64_t total = 0;
  std::map<std::string, std::uint64_t> errors;
  for (std::size_t i = 0; i < series.size(); ++i) {
    const Second& s = series[i];
    total += s.exchanges;
    out << (i ? "," : "") << "\n    {\"second\": " << i + 1 << ", \"exchanges\": " << s.exchanges
        << ", \"time_wait\": " << s.time_wait << ", \"cpu_ms\": " << s.cpu_ms << ", \"errors\": {";
    bool first = true;
    for (const auto& [name, n] : s.errors) {
      errors[name] += n;
      out << (first ? "" : ", ") << json_string(name) << ": " << n;
      first = false;
    }
    out << "}}";
  }
  out << "\n  ],\n  \"totals\": {\"seconds\": " << series.size() << ", \"exchanges\": " << total << ", \"errors\": {";
  bool first = true;
  for (const auto& [name, n] : errors) {
    out << (first ? "" : ", ") << json_string(name) << ": " << n;
    first = false;
  }
  out << "}}\n}\n";
  return out.str();
}

}  // namespace

int main(int argc, char** argv) {
  const char* prog = "port_exhaustion";
  Options opt;
  try {
    opt = parse_args(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", prog, e.what());
    return 2;
  }

  ExchangeConfig cfg;
  cfg.protocol = Protocol::tcp;
  cfg.strategy = opt.strategy;
  cfg.closer = Closer::client;
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
      {"kernel", kernel_release()},
      {"cpu_model", cpu_model()},
      {"protocol", "tcp"},
      {"strategy", std::string(to_string(opt.strategy))},
      {"closer", "client"},
      {"threads", "1"},
      {"payload", std::to_string(opt.payload)},
      {"placement", std::string(to_string(opt.placement))},
      {"server", opt.server.to_string()},
      {"address_family", opt.server.family() == AF_INET6 ? "ipv6" : "ipv4"},
      {"seconds", std::to_string(opt.seconds)},
      {"network_interfaces", network_interfaces()},
  };
  if (opt.delay_ms) context.emplace_back("delay_ms_each_way", *opt.delay_ms);
  // Read in this process's network namespace: the values this run saw.
  for (const char* name : {"net.ipv4.ip_local_port_range", "net.ipv4.tcp_tw_reuse", "net.ipv4.tcp_fin_timeout",
                           "net.ipv4.tcp_max_tw_buckets", "net.ipv4.tcp_syn_retries"})
    context.emplace_back(std::string("sysctl.") + name, read_sysctl(name));
  for (const auto& kv : opt.context) context.push_back(kv);

  // A hung exchange (server gone, SYNs dropped) must not hold the run open:
  // the loop checks the clock only between exchanges.
  const std::int64_t ns_per_s = 1'000'000'000;
  const std::int64_t start = monotonic_ns();
  const std::int64_t end = start + opt.seconds * ns_per_s;
  std::thread([end, ns_per_s, prog] {
    while (monotonic_ns() < end + 15 * ns_per_s) std::this_thread::sleep_for(std::chrono::milliseconds(200));
    std::fprintf(stderr, "%s: an exchange has hung for 15 s past the end of the run (server gone?); giving up\n", prog);
    std::_Exit(3);
  }).detach();

  std::vector<Second> series;
  series.reserve(static_cast<std::size_t>(opt.seconds));
  Second cur;
  std::set<std::string> reported;
  std::int64_t next = start + ns_per_s;
  std::int64_t cpu_mark = thread_cpu_ns();
  for (std::int64_t now = start; now < end;) {
    const Outcome o = ex->exchange();
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
        cur.time_wait = time_wait_toward(opt.server);
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
                     std::string(to_string(opt.strategy)).c_str(), static_cast<unsigned long long>(cur.exchanges),
                     cur.time_wait, errs.c_str());
      }
      series.push_back(std::move(cur));
      cur = Second{};
      next += ns_per_s;
    }
  }

  const std::string json = to_json(context, series);
  if (opt.output.empty()) {
    std::fputs(json.c_str(), stdout);
    return std::fflush(stdout) == 0 ? 0 : 1;
  }
  std::ofstream out(opt.output);
  out << json;
  out.close();
  if (!out) {
    std::fprintf(stderr, "%s: cannot write %s: %s\n", prog, opt.output.c_str(),
                 std::generic_category().message(errno).c_str());
    return 1;
  }
  return 0;
}
