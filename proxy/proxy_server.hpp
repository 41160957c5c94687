// sockchurn-proxy's server: an HTTP/1.1 reverse proxy to one backend on
// Boost.Beast (C++20 coroutines, one io_context on one thread). Client
// connections are kept alive; each request is forwarded with a connection of
// the backend side (backend.hpp) and its response sent back. Bounded like the
// echo server: connections, header and body sizes, idle and backend
// timeouts. main.cpp is a thin command line over it; tests run it in-process
// with BackgroundProxy.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "http_forward.hpp"

namespace boost::asio {
class io_context;
}

namespace sockchurn::proxy {

struct Config {
  std::string listen = "127.0.0.1";  // numeric IPv4 or IPv6 address, or localhost
  std::uint16_t port = 0;            // 0: the kernel picks
  std::string backend;               // HOST:PORT, numeric (required)
  std::string backend_strategy = "fresh_close";
  std::size_t max_connections = 10000;  // client connections; more are reset at once
  std::size_t max_idle_backend = 1024;  // idle pool connections or kept sockets
  Limits limits;                        // request and backend response sizes
  std::chrono::milliseconds idle_timeout{30000};    // a client's wait between requests, and a request's read
  std::chrono::milliseconds backend_timeout{10000};  // connect, request and response, FIN wait
};

struct Stats {
  std::uint64_t accepted = 0;           // client connections served
  std::uint64_t refused = 0;            // client connections reset over max_connections
  std::uint64_t requests = 0;           // requests read whole (forwarded or answered by the proxy)
  std::uint64_t forwarded = 0;          // backend responses sent to clients
  std::uint64_t refused_requests = 0;   // answered 4xx/501 by the proxy (not forwarded)
  std::uint64_t backend_errors = 0;     // answered 502 or 504: backend down, malformed response, timeout
  std::uint64_t sockets_opened = 0;     // backend side, from BackendStats
  std::uint64_t connects = 0;
  std::uint64_t sockets_reused = 0;
  std::uint64_t pooled_reuses = 0;
  std::uint64_t ended_after_fin = 0;
  std::uint64_t ended_first = 0;
  std::uint64_t abandoned = 0;
};

// "sockchurn-proxy ready port=41234 backend=127.0.0.1:8080 strategy=reuse_unspec"
std::string ready_line(std::uint16_t port, const Config& cfg);

class Server {
 public:
  // Binds and listens. Throws std::invalid_argument for a bad Config (an
  // address that does not parse, an unknown or refused strategy, zero
  // limits) and std::system_error naming the address when it cannot listen.
  explicit Server(Config cfg);
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  ~Server();

  std::uint16_t port() const;
  // Serves until stop() (on the caller's thread).
  void run();
  // Thread-safe, idempotent: run() returns soon; connections are closed when
  // the Server is destroyed.
  void stop();
  // Safe to call from another thread only after run() returned, or on the
  // io_context's thread.
  Stats stats() const;
  // Descriptors the backend side keeps between requests (tests; same rule).
  std::vector<int> idle_backend_descriptors() const;
  boost::asio::io_context& context();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A Server running on its own thread for tests: stop() and join in the
// destructor, stats() after that via final_stats() of the destructor's copy.
class BackgroundProxy {
 public:
  explicit BackgroundProxy(Config cfg);
  BackgroundProxy(const BackgroundProxy&) = delete;
  BackgroundProxy& operator=(const BackgroundProxy&) = delete;
  ~BackgroundProxy();

  std::uint16_t port() const { return server_->port(); }
  // Stops the server and returns its counters (then the descriptors it kept).
  Stats stop();
  // The server's counters and kept backend descriptors, read on its own thread.
  Stats stats() const;
  std::vector<int> idle_backend_descriptors() const;

 private:
  std::unique_ptr<Server> server_;
  std::thread thread_;
};

}  // namespace sockchurn::proxy
