// sockchurn-proxy's backend side: how it opens, reuses and ends its
// connections to the one backend, one of the registry's TCP strategies for
// the whole run (--backend-strategy). A backend strategy is a registry row
// (src/model/registry.cpp) whose policy (src/model/policy.hpp: how a
// connection opens and ends) Backend interprets, over the same socket
// helpers as the client engines (src/net/sockops.hpp); a row whose policy
// the backend side cannot serve is refused with the reason. No strategy is
// named here.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/basic_stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include "model/policy.hpp"
#include "model/registry.hpp"

namespace sockchurn::proxy {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Executor = asio::io_context::executor_type;
// A TCP stream whose operations time out (expires_after): the socket closes.
using Stream = boost::beast::basic_stream<tcp, Executor>;
template <typename T>
using Awaitable = asio::awaitable<T, Executor>;

// One line saying why the backend side cannot serve `p`, or "" when it can.
// It opens plain sockets (socket(), TCP_NODELAY, connect()), with SO_LINGER
// {1,0} on each when `linger0`, and ends a connection with close(),
// linger_unless_fin's rule or connect(AF_UNSPEC) (the socket kept for the
// next request); End::keep keeps connections in an idle pool.
std::string backend_refusal(const TcpPolicy& p);
// A pool (End::keep): connections are kept idle for the next request until
// the backend closes them.
inline bool pools(const TcpPolicy& p) noexcept { return p.end == TcpPolicy::End::keep; }
// How a backend connection under `p` ends when it does: a pool's connection
// as End::close would (with its linger0), any other as its policy says.
TcpPolicy ending(const TcpPolicy& p) noexcept;
// One line for --help and --list-strategies: what a backend connection does.
std::string backend_what(const TcpPolicy& p);

// The registry's TCP strategies the backend side serves, in registry order.
std::vector<const StrategyInfo*> backend_strategies();
// "fresh_close, fresh_linger0, ..." for messages.
std::string backend_strategy_names();
// The served strategy of that name, or nullptr with `why` set to one line
// naming the flag: "--backend-strategy: 'NAME' is not one of ..." when the
// registry has no TCP strategy of that name, "--backend-strategy NAME: ..."
// with the backend_refusal of its policy.
const StrategyInfo* find_backend_strategy(std::string_view name, std::string& why);

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

  // `max_idle` bounds the idle pool (End::keep) or the kept sockets
  // (End::unspec); `timeout` bounds a connect and the wait for the FIN.
  // `strategy`: a served one (find_backend_strategy).
  Backend(Executor ex, tcp::endpoint peer, const StrategyInfo& strategy, std::chrono::milliseconds timeout,
          std::size_t max_idle);
  Backend(const Backend&) = delete;
  Backend& operator=(const Backend&) = delete;
  ~Backend();

  const StrategyInfo& strategy() const noexcept { return strategy_; }

  // A connection for one request: from the idle pool, a kept socket connected
  // again, or a new socket. On failure `ec` is set and the lease is empty.
  Awaitable<Lease> acquire(boost::system::error_code& ec);
  // After a whole response: when the backend said it closes
  // (`backend_closes`), reads its FIN first (bounded by the timeout); then
  // ends the connection the strategy's way, or keeps it idle (a pool).
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
  const StrategyInfo& strategy_;
  TcpPolicy policy_;  // the strategy's
  TcpPolicy::End end_;  // ending(policy_).end
  std::chrono::milliseconds timeout_;
  std::size_t max_idle_;
  std::vector<std::unique_ptr<Stream>> idle_;  // connected (a pool) or disconnected (unspec)
  BackendStats stats_;
};

}  // namespace sockchurn::proxy
