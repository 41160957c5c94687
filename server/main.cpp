// sockchurn-echo: the bundled echo server as a program. Prints one ready line
// on stdout once it listens (a parent process reads its ports from it), then
// nothing else on stdout; SIGINT or SIGTERM end it with status 0.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "echo_server.hpp"
#include "process/flags.hpp"
#include "process/server_main.hpp"

namespace {

using sockchurn::echo::Config;

constexpr const char* kAbout = R"(usage: sockchurn-echo [FLAGS]

An echo server for sockchurn: TCP echo, TCP echo-once and UDP echo on three
ports, and a TCP close-after-N port for each N of --close-after. Once
listening it prints one line on stdout and nothing else there:
  sockchurn-echo ready tcp=PORT tcp_once=PORT udp=PORT [tcp_after_N=PORT ...]
SIGINT or SIGTERM stop it (exit status 0).

)";

struct Options {
  Config cfg;
  sockchurn::ServerToggles toggles;
};

sockchurn::Flags flag_table(Options& o) {
  using sockchurn::parse_number;
  using sockchurn::parse_number_list;
  sockchurn::Flags f;
  const auto port = [](const char* flag, std::uint16_t& out) {
    return [flag, &out](std::string_view v) { out = parse_number<std::uint16_t>(flag, v, 0, 65535); };
  };
  f.value("--listen", "ADDR",
          "numeric IPv4 or IPv6 address to bind, or localhost\n"
          "(default 127.0.0.1). Loopback only unless you say\n"
          "otherwise: to serve another machine, pass one of its\n"
          "addresses or 0.0.0.0 / :: explicitly. The echo is\n"
          "unauthenticated.",
          [&o](std::string_view v) { o.cfg.listen = std::string(v); })
      .value("--tcp-port", "N",
             "TCP echo port: echoes everything until the peer\n"
             "closes (default 0: the kernel picks)",
             port("--tcp-port", o.cfg.tcp_port))
      .value("--tcp-once-port", "N",
             "TCP echo-once port: echoes the bytes of one read,\n"
             "then closes (default 0)",
             port("--tcp-once-port", o.cfg.tcp_once_port))
      .value("--udp-port", "N",
             "UDP echo port: each datagram back to its source\n"
             "(default 0; may equal --tcp-port)",
             port("--udp-port", o.cfg.udp_port))
      .value("--close-after", "N[,N...]",
             "a TCP close-after-N port for each N (2 to 1000000;\n"
             "the kernel picks the ports): echoes N reads, then\n"
             "closes. Repeatable; each N once (default none)",
             [&o](std::string_view v) {
               for (const unsigned n : parse_number_list<unsigned>("--close-after", v, sockchurn::kCloseAfterMin,
                                                                   sockchurn::kCloseAfterMax)) {
                 if (std::find(o.cfg.close_after.begin(), o.cfg.close_after.end(), n) != o.cfg.close_after.end())
                   throw sockchurn::UsageError("--close-after: " + std::to_string(n) + " is given twice");
                 o.cfg.close_after.push_back(n);
               }
             })
      .value("--threads", "N", "threads serving all ports (default 1)",
             [&o](std::string_view v) { o.cfg.threads = parse_number<unsigned>("--threads", v, 1, 1024); })
      .value("--max-connections", "N",
             "open TCP connections, all TCP ports together; more\n"
             "are reset at once (default 10000)",
             [&o](std::string_view v) {
               o.cfg.max_connections = parse_number<std::size_t>("--max-connections", v, 1, 100'000'000);
             })
      .value("--max-message", "BYTES",
             "echo-once and close-after-N read size; larger UDP\n"
             "datagrams are dropped (default 65536; TCP echo\n"
             "reads 64 KiB)",
             [&o](std::string_view v) { o.cfg.max_message = parse_number<std::size_t>("--max-message", v, 1, 64 << 20); })
      .value("--idle-timeout", "SECONDS",
             "close TCP connections idle this long, decimals\n"
             "allowed, 0 = never (default 30)",
             [&o](std::string_view v) {
               const double seconds = parse_number<double>("--idle-timeout", v, 0.0, 1e7);
               o.cfg.idle_timeout = std::chrono::milliseconds(std::llround(seconds * 1000.0));
               if (seconds > 0 && o.cfg.idle_timeout.count() == 0) o.cfg.idle_timeout = std::chrono::milliseconds(1);
             })
      .value("--min-bytes", "N",
             "close TCP connections that send fewer bytes than this\n"
             "per idle timeout (slow peers), 0 = no minimum\n"
             "(default 64)",
             [&o](std::string_view v) { o.cfg.min_bytes = parse_number<std::size_t>("--min-bytes", v, 0, 1ULL << 40); });
  sockchurn::add_server_toggles(f, o.toggles);
  return f;
}

void print_stats(const sockchurn::echo::Stats& s) {
  sockchurn::print_counters("sockchurn-echo", {{"accepted", s.accepted},
                                               {"active", s.active},
                                               {"refused", s.refused},
                                               {"closed_idle", s.closed_idle},
                                               {"closed_slow", s.closed_slow},
                                               {"udp_datagrams", s.udp_datagrams},
                                               {"udp_oversized", s.udp_oversized},
                                               {"accept_errors", s.accept_errors}});
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  const sockchurn::Flags flags = flag_table(opt);
  const sockchurn::ServerMain m{"sockchurn-echo", flags, std::string(kAbout) + flags.help() + sockchurn::kServerHelpEnd,
                                nullptr};
  if (const auto status = sockchurn::parse_server_flags(m, argc, argv, opt.toggles.help)) return *status;
  return sockchurn::run_server<sockchurn::echo::Server>(
      m.program, opt.cfg, [](auto& server) { return sockchurn::ready_line(server.ports()); }, opt.toggles.stats,
      [](auto& server) { print_stats(server.stats()); });
}
