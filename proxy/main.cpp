// sockchurn-proxy: an HTTP/1.1 reverse proxy to one backend whose backend
// side uses one of the registry's connection strategies. Prints one ready line
// on stdout once it listens, then nothing else there; SIGINT or SIGTERM end
// it with status 0.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <string_view>

#include "backend.hpp"
#include "process/flags.hpp"
#include "process/server_main.hpp"
#include "proxy_server.hpp"
#include "strategy_list.hpp"

namespace {

using sockchurn::proxy::Config;

constexpr const char* kAbout = R"(usage: sockchurn-proxy --backend HOST:PORT [FLAGS]

An HTTP/1.1 reverse proxy for sockchurn's proxy section: keeps client
connections alive and forwards each request to one backend, whose connections
open and end the way --backend-strategy says. Bodies must have a
Content-Length: chunked requests get 501, chunked backend responses 502.
Once listening it prints one line on stdout and nothing else there:
  sockchurn-proxy ready port=PORT backend=HOST:PORT strategy=NAME
SIGINT or SIGTERM stop it (exit status 0).

)";

struct Options {
  Config cfg;
  sockchurn::ServerToggles toggles;
  bool list_strategies = false;
};

std::chrono::milliseconds seconds_flag(const char* flag, std::string_view v) {
  const double seconds = sockchurn::parse_number<double>(flag, v, 0.001, 1e6);
  return std::chrono::milliseconds(std::max<long long>(1, std::llround(seconds * 1000.0)));
}

std::string strategy_help() {
  std::string out = "how backend connections open and end (default\nfresh_close):";
  for (const auto* s : sockchurn::proxy::backend_strategies()) out += std::string("\n  ") + std::string(s->name);
  return out;
}

sockchurn::Flags flag_table(Options& o) {
  using sockchurn::parse_number;
  sockchurn::Flags f;
  f.value("--listen", "ADDR",
          "numeric IPv4 or IPv6 address to listen on, or\n"
          "localhost (default 127.0.0.1: loopback only unless\n"
          "you pass another address)",
          [&o](std::string_view v) { o.cfg.listen = std::string(v); })
      .value("--port", "N", "port to listen on (default 0: the kernel picks)",
             [&o](std::string_view v) { o.cfg.port = parse_number<std::uint16_t>("--port", v, 0, 65535); })
      .value("--backend", "HOST:PORT", "the backend, numeric address (required)",
             [&o](std::string_view v) { o.cfg.backend = std::string(v); })
      .value("--backend-strategy", "NAME", strategy_help(),
             [&o](std::string_view v) {
               std::string why;
               if (sockchurn::proxy::find_backend_strategy(v, why) == nullptr) throw sockchurn::UsageError(why);
               o.cfg.backend_strategy = std::string(v);
             })
      .value("--max-connections", "N", "open client connections; more are reset at\nonce (default 10000)",
             [&o](std::string_view v) {
               o.cfg.max_connections = parse_number<std::size_t>("--max-connections", v, 1, 100'000'000);
             })
      .value("--max-idle-backend", "N",
             "idle backend connections (keepalive) or kept\nsockets (reuse_unspec) at most (default 1024)",
             [&o](std::string_view v) {
               o.cfg.max_idle_backend = parse_number<std::size_t>("--max-idle-backend", v, 0, 1'000'000);
             })
      .value("--max-header", "BYTES",
             "request and backend response header size; a larger\nrequest header gets 431 (default 8192)",
             [&o](std::string_view v) {
               o.cfg.limits.max_header = parse_number<std::size_t>("--max-header", v, 64, 1 << 20);
             })
      .value("--max-body", "BYTES",
             "request and backend response body size; a larger\nrequest gets 413, response 502 (default 1048576)",
             [&o](std::string_view v) {
               o.cfg.limits.max_body = parse_number<std::size_t>("--max-body", v, 0, 1ULL << 30);
             })
      .value("--idle-timeout", "SECONDS",
             "close a client connection idle this long between\nor within requests (default 30)",
             [&o](std::string_view v) { o.cfg.idle_timeout = seconds_flag("--idle-timeout", v); })
      .value("--backend-timeout", "SECONDS",
             "bound on a backend connect, exchange and FIN wait;\nover it the client gets 504 (default 10)",
             [&o](std::string_view v) { o.cfg.backend_timeout = seconds_flag("--backend-timeout", v); })
      .toggle("--list-strategies",
              "print the backend strategies as JSON (name, role,\nhow a connection ends) and exit",
              [&o] { o.list_strategies = true; });
  sockchurn::add_server_toggles(f, o.toggles);
  return f;
}

void print_stats(const sockchurn::proxy::Stats& s) {
  sockchurn::print_counters("sockchurn-proxy",
                            {{"accepted", s.accepted},
                             {"refused", s.refused},
                             {"requests", s.requests},
                             {"forwarded", s.forwarded},
                             {"refused_requests", s.refused_requests},
                             {"backend_errors", s.backend_errors},
                             {"sockets_opened", s.sockets_opened},
                             {"connects", s.connects},
                             {"sockets_reused", s.sockets_reused},
                             {"pooled_reuses", s.pooled_reuses},
                             {"ended_after_fin", s.ended_after_fin},
                             {"ended_first", s.ended_first},
                             {"abandoned", s.abandoned}});
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  const sockchurn::Flags flags = flag_table(opt);
  const sockchurn::ServerMain m{"sockchurn-proxy", flags, std::string(kAbout) + flags.help() + sockchurn::kServerHelpEnd, [&opt] {
                                  if (!opt.list_strategies && opt.cfg.backend.empty())
                                    throw sockchurn::UsageError("--backend HOST:PORT is required");
                                }};
  if (const auto status = sockchurn::parse_server_flags(m, argc, argv, opt.toggles.help)) return *status;
  if (opt.list_strategies) {
    std::fputs(sockchurn::proxy::strategy_list_json().c_str(), stdout);
    return 0;
  }
  return sockchurn::run_server<sockchurn::proxy::Server>(
      m.program, opt.cfg, [&opt](auto& server) { return sockchurn::proxy::ready_line(server.port(), opt.cfg); },
      opt.toggles.stats, [](auto& server) { print_stats(server.stats()); });
}
