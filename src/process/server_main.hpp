// The life of a server binary (sockchurn-echo, sockchurn-proxy) around its
// own flags and server: parse the flags (a usage error is one line and exit
// 2), print --help, build the server (bad settings exit 2, any other failure
// 1), stop cleanly on SIGINT/SIGTERM, print the ready line, run, print the
// counters with --stats. Each binary keeps only what is its own: its flags,
// its server, its ready line and its counters. The flags every one has
// (--stats, --help), the end of its help and its counters' line are here.
#pragma once

#include <csignal>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <functional>
#include <initializer_list>
#include <iostream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include <boost/asio/signal_set.hpp>

#include "process/flags.hpp"

namespace sockchurn {

// The end of every server binary's --help: how flags take values, and the
// exit statuses parse_server_flags and run_server give.
inline constexpr const char* kServerHelpEnd = R"(
Flags take their value as --flag=VALUE or --flag VALUE.
Exit status: 0 after a signal, 1 when it cannot listen, 2 for a bad flag.
)";

// What the flags every server binary has set.
struct ServerToggles {
  bool stats = false;  // --stats: its counters on stderr at exit
  bool help = false;   // --help, -h
};

// Adds --stats and --help (-h) to a server binary's table, as its last rows.
inline Flags& add_server_toggles(Flags& f, ServerToggles& t) {
  return f.toggle("--stats", "print counters on stderr at exit", [&t] { t.stats = true; })
      .toggle("--help", "this text", [&t] { t.help = true; })
      .alias("-h", "--help");
}

// Prints "PROGRAM: stats NAME=VALUE ..." as one line on stderr (--stats).
inline void print_counters(const char* program,
                           std::initializer_list<std::pair<const char*, std::uint64_t>> counters) {
  std::string line = std::string(program) + ": stats";
  for (const auto& [name, value] : counters) line += std::string(" ") + name + "=" + std::to_string(value);
  line += '\n';
  std::fputs(line.c_str(), stderr);
}

struct ServerMain {
  const char* program;            // "sockchurn-echo": prefixes every message
  const Flags& flags;
  std::string help_text;          // printed for --help (the flags' help inside)
  std::function<void()> check;    // after parsing: throws UsageError for a missing flag
};

// Nothing to go on, else the exit status (2 after a usage error, 0 after
// --help). `help` is the flag --help sets.
inline std::optional<int> parse_server_flags(const ServerMain& m, int argc, char** argv, const bool& help) {
  try {
    m.flags.parse(argc, argv);
    if (!help && m.check) m.check();
  } catch (const UsageError& e) {
    std::fprintf(stderr, "%s: %s (see --help)\n", m.program, e.what());
    return 2;
  }
  if (help) {
    std::fputs(m.help_text.c_str(), stdout);
    return 0;
  }
  return std::nullopt;
}

// Builds Server(cfg), runs it until SIGINT/SIGTERM or its own stop, and
// returns the exit status; ready(server) is the ready line, stats(server)
// prints the counters (called when print_stats).
template <class Server, class Config, class Ready, class Stats>
int run_server(const char* program, const Config& cfg, Ready ready, bool print_stats, Stats stats) {
  std::signal(SIGPIPE, SIG_IGN);
  std::unique_ptr<Server> server;
  try {
    server = std::make_unique<Server>(cfg);
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "%s: %s (see --help)\n", program, e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", program, e.what());
    return 1;
  }
  // Before the ready line, so that a parent's SIGTERM always stops us cleanly.
  boost::asio::signal_set signals(server->context(), SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (!ec) server->stop();
  });
  std::cout << ready(*server) << std::endl;
  int status = 0;
  try {
    server->run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", program, e.what());
    status = 1;
  }
  if (print_stats) stats(*server);
  return status;
}

}  // namespace sockchurn
