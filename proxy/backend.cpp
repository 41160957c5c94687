#include "backend.hpp"

#include <array>
#include <cerrno>
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

// The registry's TCP strategies that a proxy's backend side can use. The
// registry's rows are client cycles (src/model/registry.cpp); these are the
// same ends of a connection, one request per connection except keepalive.
constexpr std::array kStrategies = {
    BackendStrategy{"fresh_close", BackendEnd::close, false,
                    "a new socket per request; close() (FIN) after the response"},
    BackendStrategy{"fresh_linger0", BackendEnd::linger0, false,
                    "a new socket per request with SO_LINGER {1,0}; close() sends RST"},
    BackendStrategy{"reuse_unspec", BackendEnd::unspec, false,
                    "one kept socket: connect, request, connect(AF_UNSPEC) (RST), connect again"},
    BackendStrategy{"conditional_linger", BackendEnd::linger_unless_fin, false,
                    "a new socket per request; RST unless the backend's FIN was read, then close()"},
    BackendStrategy{"keepalive", BackendEnd::close, true,
                    "a pool of idle connections reused until the backend closes them"},
};

auto as_value(error_code& ec) { return asio::redirect_error(asio::use_awaitable_t<Executor>{}, ec); }

// A connection from the idle pool that the backend has not closed meanwhile:
// nothing to read yet (a FIN or stray bytes make it unusable).
bool still_open(int fd) {
  char byte = 0;
  const ssize_t n = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

}  // namespace

std::span<const BackendStrategy> backend_strategies() { return kStrategies; }

const BackendStrategy* find_backend_strategy(std::string_view name) {
  for (const BackendStrategy& s : kStrategies)
    if (name == s.name) return &s;
  return nullptr;
}

std::string backend_strategy_names() {
  std::string out;
  for (const BackendStrategy& s : kStrategies) out += (out.empty() ? "" : ", ") + std::string(s.name);
  return out;
}

Backend::Backend(Executor ex, tcp::endpoint peer, const BackendStrategy& strategy, std::chrono::milliseconds timeout,
                 std::size_t max_idle)
    : ex_(std::move(ex)), peer_(std::move(peer)), strategy_(strategy), timeout_(timeout), max_idle_(max_idle) {}

Backend::~Backend() { drop_idle(); }

Awaitable<Backend::Lease> Backend::acquire(error_code& ec) {
  ec = {};
  while (!idle_.empty()) {
    std::unique_ptr<Stream> stream = std::move(idle_.back());
    idle_.pop_back();
    if (strategy_.end == BackendEnd::unspec) {
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
  if (strategy_.end == BackendEnd::linger0) set_linger0(fd.get());
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
  } else if (strategy_.keep_alive && lease.buffer.size() == 0 && idle_.size() < max_idle_) {
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
  switch (strategy_.end) {
    case BackendEnd::unspec:
      if (disconnect(fd) == 0 && idle_.size() < max_idle_) {
        idle_.push_back(std::move(stream));
        return;
      }
      try_set_linger0(fd);  // not dissolved, or enough kept: close with RST as the disconnect would
      break;
    case BackendEnd::linger_unless_fin:
      if (!fin_read) try_set_linger0(fd);
      break;
    case BackendEnd::close:
    case BackendEnd::linger0:  // set when the socket was made
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
    if (strategy_.end == BackendEnd::unspec || !stream->socket().is_open()) {
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
