#include "backend.hpp"

#include <cerrno>
#include <stdexcept>
#include <string>
#include <utility>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "net/fd.hpp"
#include "net/sockops.hpp"

namespace sockchurn::proxy {

namespace {

using boost::system::error_code;

using Open = TcpPolicy::Open;
using End = TcpPolicy::End;

auto as_value(error_code& ec) { return asio::redirect_error(asio::use_awaitable_t<Executor>{}, ec); }

// A connection from the idle pool that the backend has not closed meanwhile:
// nothing to read yet (a FIN or stray bytes make it unusable).
bool still_open(int fd) {
  char byte = 0;
  const ssize_t n = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

}  // namespace

std::string backend_refusal(const TcpPolicy& p) {
  switch (p.open) {
    case Open::plain: break;
    case Open::bind_no_port:
      return "its open (bind_no_port: IP_BIND_ADDRESS_NO_PORT, bind(the route's source address, port 0)) is not "
             "one the backend side performs: it opens plain sockets (socket(), connect())";
    case Open::port_range:
      return "its open (port_range: a client thread's slice of the port range, IP_LOCAL_PORT_RANGE) is not one the "
             "backend side performs: it opens plain sockets (socket(), connect())";
  }
  switch (p.end) {
    case End::close:
    case End::linger_unless_fin:
    case End::unspec:
    case End::keep: break;
    case End::shutdown_drain:
      return "its end (shutdown_drain: shutdown(SHUT_WR), a read to the peer's EOF, close()) is not one the backend "
             "side performs: it ends a connection with close() (SO_LINGER {1,0} or not), HAProxy's rule "
             "(linger_unless_fin) or connect(AF_UNSPEC), or keeps it in an idle pool";
  }
  return "";
}

TcpPolicy ending(const TcpPolicy& p) noexcept { return pools(p) ? TcpPolicy{p.open, p.linger0, End::close} : p; }

std::string backend_what(const TcpPolicy& p) {
  const std::string fresh = std::string("a new socket per request") + (p.linger0 ? " with SO_LINGER {1,0}" : "");
  switch (p.end) {
    case End::close: return fresh + (p.linger0 ? "; close() sends RST" : "; close() (FIN) after the response");
    case End::linger_unless_fin: return fresh + "; RST unless the backend's FIN was read, then close()";
    case End::unspec: return "one kept socket: connect, request, connect(AF_UNSPEC) (RST), connect again";
    case End::keep:
      return std::string("a pool of idle connections reused until the backend closes them") +
             (p.linger0 ? "; SO_LINGER {1,0}: their close() sends RST" : "");
    case End::shutdown_drain: break;
  }
  return "refused: " + backend_refusal(p);
}

std::vector<const StrategyInfo*> backend_strategies() {
  std::vector<const StrategyInfo*> out;
  for (const StrategyInfo& s : strategies())
    if (s.protocol == Protocol::tcp && backend_refusal(s.tcp).empty()) out.push_back(&s);
  return out;
}

std::string backend_strategy_names() {
  std::string out;
  for (const StrategyInfo* s : backend_strategies()) out += (out.empty() ? "" : ", ") + std::string(s->name);
  return out;
}

const StrategyInfo* find_backend_strategy(std::string_view name, std::string& why) {
  const StrategyInfo* s = find_strategy(Protocol::tcp, name);
  if (s == nullptr) {
    why = "--backend-strategy: '" + std::string(name) + "' is not one of " + backend_strategy_names();
    return nullptr;
  }
  if (std::string refusal = backend_refusal(s->tcp); !refusal.empty()) {
    why = "--backend-strategy " + std::string(name) + ": " + refusal;
    return nullptr;
  }
  why.clear();
  return s;
}

Backend::Backend(Executor ex, tcp::endpoint peer, const StrategyInfo& strategy, std::chrono::milliseconds timeout,
                 std::size_t max_idle)
    : ex_(std::move(ex)),
      peer_(std::move(peer)),
      strategy_(strategy),
      policy_(strategy.tcp),
      end_(ending(strategy.tcp).end),
      timeout_(timeout),
      max_idle_(max_idle) {
  if (std::string why = backend_refusal(policy_); !why.empty())
    throw std::invalid_argument(std::string(strategy.name) + ": " + why);
}

Backend::~Backend() { drop_idle(); }

Awaitable<Backend::Lease> Backend::acquire(error_code& ec) {
  ec = {};
  while (!idle_.empty()) {
    std::unique_ptr<Stream> stream = std::move(idle_.back());
    idle_.pop_back();
    if (policy_.keeps_socket()) {
      ++stats_.sockets_reused;
      co_return co_await connect(std::move(stream), ec);
    }
    if (still_open(stream->socket().native_handle())) {
      ++stats_.pooled_reuses;
      co_return Lease{std::move(stream), {}, true};
    }
    end(std::move(stream), true);  // the backend closed it while idle
  }
  Fd fd;
  if (const int err = open_socket(fd, peer_.protocol().family(), SOCK_STREAM); err != 0) {
    ec = error_code(err, boost::system::system_category());
    ++stats_.connect_errors;
    co_return Lease{};
  }
  ++stats_.sockets_opened;
  const int one = 1;
  ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // as nginx and HAProxy do
  if (policy_.linger0) set_linger0(fd.get());
  auto stream = std::make_unique<Stream>(ex_);
  stream->socket().assign(peer_.protocol(), fd.release());
  co_return co_await connect(std::move(stream), ec);
}

Awaitable<Backend::Lease> Backend::connect(std::unique_ptr<Stream> stream, error_code& ec) {
  stream->expires_after(timeout_);
  co_await stream->async_connect(peer_, as_value(ec));
  if (ec) {
    ++stats_.connect_errors;
    // A failed connect leaves the socket unusable for a reuse: drop it.
    if (stream->socket().is_open()) try_set_linger0(stream->socket().native_handle());
    stream->close();
    co_return Lease{};
  }
  ++stats_.connects;
  co_return Lease{std::move(stream), {}, false};
}

Awaitable<void> Backend::release(Lease lease, bool backend_closes) {
  if (!lease.stream) co_return;
  bool fin_read = false;
  if (backend_closes) {
    // The response said the backend closes: wait for its FIN, as a proxy
    // that reuses the socket must (the seed's case).
    char byte = 0;
    error_code ec;
    lease.stream->expires_after(timeout_);
    const std::size_t n = co_await lease.stream->async_read_some(asio::buffer(&byte, 1), as_value(ec));
    fin_read = n == 0 && ec == asio::error::eof;
    if (!fin_read) {  // bytes after the response, a reset or the timeout
      abandon(std::move(lease));
      co_return;
    }
  } else if (pools(policy_) && lease.buffer.size() == 0 && idle_.size() < max_idle_) {
    lease.stream->expires_never();
    idle_.push_back(std::move(lease.stream));
    co_return;
  }
  end(std::move(lease.stream), fin_read);
}

void Backend::end(std::unique_ptr<Stream> stream, bool fin_read) {
  ++(fin_read ? stats_.ended_after_fin : stats_.ended_first);
  auto& socket = stream->socket();
  if (!socket.is_open()) return;
  stream->expires_never();
  const int fd = socket.native_handle();
  switch (end_) {
    case End::unspec:
      if (disconnect(fd) == 0 && idle_.size() < max_idle_) {
        idle_.push_back(std::move(stream));
        return;
      }
      try_set_linger0(fd);  // not dissolved, or enough kept: close with RST as the disconnect would
      break;
    case End::linger_unless_fin:
      if (!fin_read) try_set_linger0(fd);
      break;
    case End::close:           // SO_LINGER {1,0} (linger0) was set when the socket was made
    case End::keep:            // not an end: ending() made it End::close
    case End::shutdown_drain:  // refused (backend_refusal)
      break;
  }
  error_code ignored;
  socket.close(ignored);
}

void Backend::abandon(Lease lease) {
  if (!lease.stream) return;
  ++stats_.abandoned;
  auto& socket = lease.stream->socket();
  if (!socket.is_open()) return;
  try_set_linger0(socket.native_handle());
  error_code ignored;
  socket.close(ignored);
}

void Backend::drop_idle() {
  for (auto& stream : idle_) {
    error_code ignored;
    if (policy_.keeps_socket() || !stream->socket().is_open()) {
      stream->socket().close(ignored);  // disconnected already: nothing to send
      continue;
    }
    try_set_linger0(stream->socket().native_handle());
    stream->socket().close(ignored);
  }
  idle_.clear();
}

std::vector<int> Backend::idle_descriptors() const {
  std::vector<int> out;
  for (const auto& stream : idle_) out.push_back(stream->socket().native_handle());
  return out;
}

}  // namespace sockchurn::proxy
