#include "options.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <stdexcept>

#include "model/exchange.hpp"

namespace sockchurn::bench {

namespace {

Flags option_table(Options& o) {
  Flags f;
  f.value("--server", "HOST:PORT",
          "use a sockchurn-echo started elsewhere (TCP echo and UDP\n"
          "echo on PORT, TCP echo-once on PORT+1) instead of starting\n"
          "the bundled one as a child process",
          [&o](std::string_view v) { o.server = parse_endpoint(v); })
      .value("--server-once-port", "N", "the external server's TCP echo-once port (default PORT+1)",
             [&o](std::string_view v) { o.server_once_port = parse_number<std::uint16_t>("--server-once-port", v, 1, 65535); })
      .value("--server-close-after", "N:PORT,...",
             "the external server's close-after-N ports (its --close-after),\n"
             "for closer:server at --rpc N above 1",
             [&o](std::string_view v) {
               for (const std::string_view item : split_list("--server-close-after", v)) {
                 const std::size_t colon = item.find(':');
                 if (colon == std::string_view::npos)
                   throw UsageError("--server-close-after: '" + std::string(item) + "' is not N:PORT");
                 o.server_after_ports[parse_number<unsigned>("--server-close-after", item.substr(0, colon), 2, 1000000)] =
                     parse_number<std::uint16_t>("--server-close-after", item.substr(colon + 1), 1, 65535);
               }
             })
      .value("--listen", "ADDR", "address the bundled server binds (default 127.0.0.1; ::1 for IPv6)",
             [&o](std::string_view v) {
               parse_host(v);
               o.listen = std::string(v);
             })
      .value("--echo-threads", "N", "threads of the bundled server (default 1)",
             [&o](std::string_view v) { o.echo_threads = parse_number<unsigned>("--echo-threads", v, 1, 64); })
      .value("--echo-binary", "PATH", "the sockchurn-echo to start (default: next to this binary)",
             [&o](std::string_view v) { o.echo_binary = std::string(v); })
      .value("--placement", "LIST",
             "CPU placement(s): same (client and server on one CPU, the\n"
             "default), split (different CPUs), free (unpinned)",
             [&o](std::string_view v) {
               o.placements.clear();
               for (const std::string_view item : split_list("--placement", v)) {
                 const auto p = parse_placement(item);
                 if (!p) throw UsageError("--placement: '" + std::string(item) + "' is not one of same, split, free");
                 o.placements.push_back(*p);
               }
             })
      .value("--payload", "LIST", "payload sizes in bytes (default 64), e.g. 64,1024",
             [&o](std::string_view v) { o.payloads = parse_number_list<std::size_t>("--payload", v, 1, 1 << 20); })
      .value("--threads", "LIST", "client thread counts (default 1,2,4,8,16)",
             [&o](std::string_view v) { o.threads = parse_number_list<int>("--threads", v, 1, 256); })
      .value("--flows", "LIST",
             "connections each client thread keeps in flight, in the\n"
             "engines that take flows (asio, uring; default 1,16)",
             [&o](std::string_view v) { o.flows = parse_number_list<unsigned>("--flows", v, 1, 65536); })
      .value("--ring", "LIST",
             "the io_uring engine's ring features, one set per item: none,\n"
             "coop, defer, sendzc, fixedbuf, joined with + (defer+fixedbuf),\n"
             "or default (what docs/uring-features.md measured best at each\n"
             "flows); a set other than default is named ring:<set>. Only\n"
             "engine:uring takes it (default: default)",
             [&o](std::string_view v) {
               o.rings.clear();
               o.ring_given = true;
               for (const std::string_view item : split_list("--ring", v)) {
                 try {
                   const RingFeatures r = parse_ring_features(item);
                   if (std::find(o.rings.begin(), o.rings.end(), r) == o.rings.end()) o.rings.push_back(r);
                 } catch (const std::invalid_argument& e) {
                   throw UsageError(std::string("--") + e.what());
                 }
               }
             })
      .value("--rpc", "LIST",
             "requests per connection: echo exchanges on one connection\n"
             "before it ends, for the strategies that end connections\n"
             "(default 1), e.g. 1,10,100",
             [&o](std::string_view v) { o.rpc = parse_number_list<unsigned>("--rpc", v, 1, 1000000); })
      .value("--max-errors", "N",
             "failed exchanges tolerated in one run, all threads together\n"
             "(counted by errno), before it ends in an error (default 0)",
             [&o](std::string_view v) { o.max_errors = parse_number<std::uint64_t>("--max-errors", v, 0, ~0ULL); })
      .value("--stall-timeout", "SECONDS", "give up if no exchange completes for this long (default 20)",
             [&o](std::string_view v) { o.stall_timeout_s = parse_number<int>("--stall-timeout", v, 1, 3600); })
      .toggle("--count-syscalls",
              "count the client's system calls per exchange (syscalls_per_exchange;\n"
              "raw_syscalls tracepoint, root). It slows every system call of the\n"
              "client, so its rates are not the suite's: count in a run of its own",
              [&o] { o.count_syscalls = true; })
      .toggle("--list-groups",
              "print the strategy groups (one benchmark-name regex a line,\n"
              "e.g. ^tcp/fresh_close/closer:client/) that scripts/bench runs\n"
              "each in a fresh network namespace, after checking every flag",
              [&o] { o.list_groups = true; })
      .toggle("--json",
              "with --list-groups: one JSON document instead, with every\n"
              "group's strategy, role and dimensions, every strategy's\n"
              "policy and capabilities, and the engines (docs/design.md)",
              [&o] { o.json = true; });
  return f;
}

// Each flow holds a socket: refuse a sweep that would run out of descriptors
// before it starts (the server holds as many again when it runs beside us).
void check_descriptors(const Options& o) {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur == RLIM_INFINITY) return;
  const unsigned flows = *std::max_element(o.flows.begin(), o.flows.end());
  const int threads = *std::max_element(o.threads.begin(), o.threads.end());
  const std::uint64_t need = 2ULL * flows * static_cast<std::uint64_t>(threads) + 64;
  if (need > lim.rlim_cur)
    throw UsageError("--flows: " + std::to_string(flows) + " flows x " + std::to_string(threads) +
                     " threads need about " + std::to_string(need) + " descriptors (client and server), more than the limit of " +
                     std::to_string(lim.rlim_cur) + " (ulimit -n)");
}

}  // namespace

Options parse_options(int& argc, char** argv, Protocol protocol) {
  Options o;
  option_table(o).parse(argc, argv, Flags::Unknown::keep);
  if (o.json && !o.list_groups) throw UsageError("--json: only with --list-groups");
  check_descriptors(o);
  if (protocol == Protocol::udp)
    for (std::size_t p : o.payloads)
      if (p > kMaxUdpPayload)
        throw UsageError("--payload: " + std::to_string(p) + " bytes do not fit a UDP datagram (max " +
                         std::to_string(kMaxUdpPayload) + ")");
  return o;
}

std::string options_help(const char* prog) {
  Options unused;
  return std::string("usage: ") + prog +
         " [OPTIONS] [GOOGLE BENCHMARK FLAGS]\n"
         "\n"
         "Echo exchanges against sockchurn-echo, one benchmark per strategy x payload x\n"
         "placement x client threads. Results in Google Benchmark's JSON with\n"
         "--benchmark_out=FILE --benchmark_out_format=json.\n"
         "\n"
         "Options (general to specific; --flag=VALUE or --flag VALUE):\n" +
         option_table(unused).help() +
         "  --help                   this text\n"
         "\n"
         "Exit status: 0 all benchmarks ran; 1 a benchmark ended in an error, or the echo\n"
         "server could not be started or reached; 2 a bad flag, a --benchmark_filter that\n"
         "selects nothing, a --benchmark_min_time with a unit; 3 a run stalled or its echo\n"
         "server died (the output file keeps every run that finished before).\n"
         "\n"
         "Google Benchmark's own flags follow, e.g. --benchmark_filter=REGEX,\n"
         "--benchmark_min_time=SECONDS (a bare number: this Google Benchmark, 1.7.1, takes\n"
         "no unit such as 0.2s or 10x), --benchmark_repetitions=N,\n"
         "--benchmark_out=FILE, --benchmark_out_format=json, --benchmark_list_tests.\n";
}

}  // namespace sockchurn::bench
