// sockchurn-proxy's backend side: how it opens, reuses and ends its
// connections to the one backend, one strategy of the registry's for the
// whole run (--backend-strategy). The strategies are a small table in
// backend.cpp, named as the registry's TCP strategies
// (src/model/registry.cpp) and built on the same socket helpers
// (src/net/sockops.hpp); a strategy is data (how a connection ends, whether
// it is kept for the next request) that Backend interprets.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/basic_stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>

namespace sockchurn::proxy {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Executor = asio::io_context::executor_type;
// A TCP stream whose operations time out (expires_after): the socket closes.
using Stream = boost::beast::basic_stream<tcp, Executor>;
template <typename T>
using Awaitable = asio::awaitable<T, Executor>;

// How a backend connection ends once its response is read.
enum class BackendEnd {
  close,              // close(): FIN (after the backend's FIN: the passive close)
  linger0,            // SO_LINGER {1,0} set on each new socket, close(): RST
  linger_unless_fin,  // RST unless the backend's FIN was read, then close() (HAProxy)
  unspec,             // connect(AF_UNSPEC) (RST); the socket is kept and connected again
};

struct BackendStrategy {
  const char* name;  // as in the registry: fresh_close, reuse_unspec, ...
  BackendEnd end;
  bool keep_alive;   // kept in an idle pool for the next request until the backend closes it
  const char* what;  // one line for --help and the docs
};

// The table, in the registry's order.
std::span<const BackendStrategy> backend_strategies();
// nullptr for an unknown name.
const BackendStrategy* find_backend_strategy(std::string_view name);
// "fresh_close, fresh_linger0, ..." for messages.
std::string backend_strategy_names();

struct BackendStats {
  std::uint64_t sockets_opened = 0;     // socket() calls
  std::uint64_t connects = 0;           // connections made (connect() calls that succeeded)
  std::uint64_t connect_errors = 0;     // connect() calls that failed (backend down, refused, timed out)
  std::uint64_t sockets_reused = 0;     // connects on a socket kept after connect(AF_UNSPEC)
  std::uint64_t pooled_reuses = 0;      // requests sent on an idle connection of the pool
  std::uint64_t ended_after_fin = 0;    // connections ended after reading the backend's FIN
  std::uint64_t ended_first = 0;        // connections the proxy ended before the backend closed
  std::uint64_t abandoned = 0;          // connections dropped with RST after a failed exchange
};

class Backend {
 public:
  struct Lease {
    std::unique_ptr<Stream> stream;
    boost::beast::flat_buffer buffer;  // bytes read from the backend past what a parser used
    bool pooled = false;               // an idle pool connection (it may have been closed meanwhile)
  };

  // `max_idle` bounds the idle pool (keep_alive) or the kept sockets
  // (reuse_unspec); `timeout` bounds a connect and the wait for the FIN.
  Backend(Executor ex, tcp::endpoint peer, const BackendStrategy& strategy, std::chrono::milliseconds timeout,
          std::size_t max_idle);
  Backend(const Backend&) = delete;
  Backend& operator=(const Backend&) = delete;
  ~Backend();

  const BackendStrategy& strategy() const noexcept { return strategy_; }

  // A connection for one request: from the idle pool, a kept socket connected
  // again, or a new socket. On failure `ec` is set and the lease is empty.
  Awaitable<Lease> acquire(boost::system::error_code& ec);
  // After a whole response: when the backend said it closes
  // (`backend_closes`), reads its FIN first (bounded by the timeout); then
  // ends the connection the strategy's way, or keeps it idle (keep_alive).
  Awaitable<void> release(Lease lease, bool backend_closes);
  // After a failed exchange: RST (SO_LINGER {1,0}), nothing kept.
  void abandon(Lease lease);
  // Closes the idle connections and kept sockets.
  void drop_idle();

  const BackendStats& stats() const noexcept { return stats_; }
  // Descriptors of the idle pool and the kept sockets (tests).
  std::vector<int> idle_descriptors() const;

 private:
  Awaitable<Lease> connect(std::unique_ptr<Stream> stream, boost::system::error_code& ec);
  void end(std::unique_ptr<Stream> stream, bool fin_read);

  Executor ex_;
  tcp::endpoint peer_;
  const BackendStrategy& strategy_;
  std::chrono::milliseconds timeout_;
  std::size_t max_idle_;
  std::vector<std::unique_ptr<Stream>> idle_;  // connected (keep_alive) or disconnected (unspec)
  BackendStats stats_;
};

}  // namespace sockchurn::proxy
