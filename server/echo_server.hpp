// The bundled echo server (Boost.Asio, C++20 coroutines): TCP echo, TCP
// echo-once and UDP echo on three ports, and a TCP close-after-N port per
// requested N, with limits on connections, message size and idle time.
// sockchurn-echo (main.cpp) is a thin command line over it; tests run it
// in-process with BackgroundServer.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "process/ready_line.hpp"

namespace boost::asio {
class io_context;
}

namespace sockchurn::echo {

struct Config {
  std::string listen = "127.0.0.1";  // numeric IPv4 or IPv6 address ("::1", "[::1]") or localhost
  std::uint16_t tcp_port = 0;        // 0: the kernel picks a free port
  std::uint16_t tcp_once_port = 0;
  std::uint16_t udp_port = 0;
  // One close-after-N port per N (kernel-picked, on the same address): echoes
  // N reads, then closes. Each N from kCloseAfterMin to kCloseAfterMax, no
  // duplicates; any order (the ports are reported in ascending N).
  std::vector<unsigned> close_after = {};
  unsigned threads = 1;                // threads running the io_context, the caller of run() included
  std::size_t max_connections = 10000;  // open TCP connections, all TCP ports together
  std::size_t max_message = 65536;      // echo-once and close-after-N read size; larger UDP datagrams are dropped
  std::chrono::milliseconds idle_timeout{30000};  // 0: never close idle connections
  // Slow peers (slowloris): a TCP connection that moves fewer bytes than this
  // in a window of about one idle timeout is closed. 0: no minimum rate.
  std::size_t min_bytes = 64;
};

// The ports, as the ready line (src/process/ready_line.hpp) reports them.
using Ports = EchoPorts;

// Counters since construction.
struct Stats {
  std::uint64_t accepted = 0;       // TCP connections served (refused ones not counted)
  std::uint64_t active = 0;         // TCP connections open now
  std::uint64_t refused = 0;        // accepted over max_connections and reset at once
  std::uint64_t closed_idle = 0;    // closed by the idle timeout
  std::uint64_t closed_slow = 0;    // closed for moving fewer than min_bytes per window
  std::uint64_t udp_datagrams = 0;  // datagrams received and sent back
  std::uint64_t udp_oversized = 0;  // datagrams over max_message, dropped
  std::uint64_t accept_errors = 0;  // failed accept() calls (EMFILE, ...)
};

class Server {
 public:
  // Binds and listens on all ports. Throws std::invalid_argument for a
  // bad Config (unparsable address, zero threads or limits, a close_after
  // value out of range or repeated) and
  // std::system_error naming the address, protocol and errno when a socket
  // cannot be bound.
  explicit Server(Config cfg);
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  ~Server();

  Ports ports() const;
  // Serves until stop(): runs the io_context on cfg.threads threads, the
  // caller's included. Rethrows an unexpected exception from any of them.
  void run();
  // Thread-safe and idempotent: closes the listeners and every connection;
  // run() returns once they are gone.
  void stop();
  Stats stats() const;
  // For signal_set in main.
  boost::asio::io_context& context();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A Server running on its own thread for tests: run() starts in the
// constructor, stop() and join in the destructor.
class BackgroundServer {
 public:
  explicit BackgroundServer(Config cfg = {});
  BackgroundServer(const BackgroundServer&) = delete;
  BackgroundServer& operator=(const BackgroundServer&) = delete;
  ~BackgroundServer();

  Ports ports() const { return server_.ports(); }
  Stats stats() const { return server_.stats(); }

 private:
  Server server_;
  std::thread thread_;
};

}  // namespace sockchurn::echo
