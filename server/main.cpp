// sockchurn-echo: the bundled echo server as a program. Prints one ready line
// on stdout once it listens (a parent process reads its ports from it), then
// nothing else on stdout; SIGINT or SIGTERM end it with status 0.
#include <charconv>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <exception>
#include <iostream>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "echo_server.hpp"

namespace {

using sockchurn::echo::Config;

constexpr const char* kUsage = R"(usage: sockchurn-echo [FLAGS]

An echo server for sockchurn: TCP echo, TCP echo-once and UDP echo on three
ports. Once listening it prints one line on stdout and nothing else there:
  sockchurn-echo ready tcp=PORT tcp_once=PORT udp=PORT
SIGINT or SIGTERM stop it (exit status 0).

  --listen ADDR           numeric IPv4 or IPv6 address to bind, or localhost
                          (default 127.0.0.1). Loopback only unless you say
                          otherwise: to serve another machine, pass one of its
                          addresses or 0.0.0.0 / :: explicitly. The echo is
                          unauthenticated.
  --tcp-port N            TCP echo port: echoes everything until the peer
                          closes (default 0: the kernel picks)
  --tcp-once-port N       TCP echo-once port: echoes the bytes of one read,
                          then closes (default 0)
  --udp-port N            UDP echo port: each datagram back to its source
                          (default 0; may equal --tcp-port)
  --threads N             threads serving all ports (default 1)
  --max-connections N     open TCP connections; more are reset at once
                          (default 10000)
  --max-message BYTES     echo-once read size; larger UDP datagrams are
                          dropped (default 65536; TCP echo reads 64 KiB)
  --idle-timeout SECONDS  close TCP connections idle this long, decimals
                          allowed, 0 = never (default 30)
  --min-bytes N           close TCP connections that send fewer bytes than this
                          per idle timeout (slow peers), 0 = no minimum
                          (default 64)
  --stats                 print counters on stderr at exit
  --help                  this text

Flags take their value as --flag=VALUE or --flag VALUE.
Exit status: 0 after a signal, 1 when it cannot listen, 2 for a bad flag.
)";

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

template <typename T>
T parse_number(std::string_view flag, std::string_view text, T min, T max) {
  T value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !(value >= min && value <= max))
    throw UsageError("invalid value '" + std::string(text) + "' for " + std::string(flag));
  return value;
}

struct Options {
  Config cfg;
  bool stats = false;
  bool help = false;
};

Options parse_args(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    std::string_view flag = arg;
    std::optional<std::string_view> inline_value;
    if (const auto eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
      flag = arg.substr(0, eq);
      inline_value = arg.substr(eq + 1);
    }
    const auto no_value = [&] {
      if (inline_value) throw UsageError(std::string(flag) + " takes no value");
    };
    const auto value = [&]() -> std::string_view {
      if (inline_value) return *inline_value;
      if (i + 1 >= argc) throw UsageError("missing value for " + std::string(flag));
      return argv[++i];
    };
    const auto port = [&] { return parse_number<std::uint16_t>(flag, value(), 0, 65535); };

    if (flag == "--help" || flag == "-h") {
      no_value();
      o.help = true;
    } else if (flag == "--stats") {
      no_value();
      o.stats = true;
    } else if (flag == "--listen") {
      o.cfg.listen = std::string(value());
      if (o.cfg.listen.empty()) throw UsageError("invalid value '' for --listen");
    } else if (flag == "--tcp-port") {
      o.cfg.tcp_port = port();
    } else if (flag == "--tcp-once-port") {
      o.cfg.tcp_once_port = port();
    } else if (flag == "--udp-port") {
      o.cfg.udp_port = port();
    } else if (flag == "--threads") {
      o.cfg.threads = parse_number<unsigned>(flag, value(), 1, 1024);
    } else if (flag == "--max-connections") {
      o.cfg.max_connections = parse_number<std::size_t>(flag, value(), 1, 100'000'000);
    } else if (flag == "--max-message") {
      o.cfg.max_message = parse_number<std::size_t>(flag, value(), 1, 64 << 20);
    } else if (flag == "--min-bytes") {
      o.cfg.min_bytes = parse_number<std::size_t>(flag, value(), 0, 1ULL << 40);
    } else if (flag == "--idle-timeout") {
      const double seconds = parse_number<double>(flag, value(), 0.0, 1e7);
      o.cfg.idle_timeout = std::chrono::milliseconds(std::llround(seconds * 1000.0));
      if (seconds > 0 && o.cfg.idle_timeout.count() == 0) o.cfg.idle_timeout = std::chrono::milliseconds(1);
    } else {
      throw UsageError("unknown flag '" + std::string(arg) + "'");
    }
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  try {
    opt = parse_args(argc, argv);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "sockchurn-echo: %s (see --help)\n", e.what());
    return 2;
  }
  if (opt.help) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  std::signal(SIGPIPE, SIG_IGN);

  std::unique_ptr<sockchurn::echo::Server> server;
  try {
    server = std::make_unique<sockchurn::echo::Server>(opt.cfg);
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "sockchurn-echo: %s (see --help)\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sockchurn-echo: %s\n", e.what());
    return 1;
  }

  // Before the ready line, so that a parent's SIGTERM always stops us cleanly.
  boost::asio::signal_set signals(server->context(), SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (!ec) server->stop();
  });

  std::cout << sockchurn::ready_line(server->ports()) << std::endl;

  int status = 0;
  try {
    server->run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sockchurn-echo: %s\n", e.what());
    status = 1;
  }
  if (opt.stats) {
    const auto s = server->stats();
    std::fprintf(stderr,
                 "sockchurn-echo: stats accepted=%llu active=%llu refused=%llu closed_idle=%llu closed_slow=%llu udp_datagrams=%llu "
                 "udp_oversized=%llu accept_errors=%llu\n",
                 static_cast<unsigned long long>(s.accepted), static_cast<unsigned long long>(s.active),
                 static_cast<unsigned long long>(s.refused), static_cast<unsigned long long>(s.closed_idle),
                 static_cast<unsigned long long>(s.closed_slow),
                 static_cast<unsigned long long>(s.udp_datagrams), static_cast<unsigned long long>(s.udp_oversized),
                 static_cast<unsigned long long>(s.accept_errors));
  }
  return status;
}
