#include "proxy_server.hpp"

#include <cstring>
#include <future>
#include <stdexcept>
#include <system_error>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "backend.hpp"
#include "net/endpoint.hpp"
#include "net/sockops.hpp"

namespace sockchurn::proxy {

namespace {

namespace beast = boost::beast;
using boost::system::error_code;
using Acceptor = asio::basic_socket_acceptor<tcp, Executor>;
using Socket = asio::basic_stream_socket<tcp, Executor>;

auto as_value(error_code& ec) { return asio::redirect_error(asio::use_awaitable_t<Executor>{}, ec); }

tcp::endpoint to_asio(const Endpoint& e) {
  tcp::endpoint out;
  std::memcpy(out.data(), e.sa(), e.len);
  out.resize(e.len);
  return out;
}

const StrategyInfo& strategy_of(const Config& cfg) {
  std::string why;
  const StrategyInfo* s = find_backend_strategy(cfg.backend_strategy, why);
  if (s == nullptr) throw std::invalid_argument(why);
  return *s;
}

tcp::endpoint backend_of(const Config& cfg) {
  if (cfg.backend.empty()) throw std::invalid_argument("no backend given (HOST:PORT)");
  return to_asio(parse_endpoint(cfg.backend));
}

void validate(const Config& cfg) {
  if (cfg.max_connections == 0) throw std::invalid_argument("max_connections must be at least 1");
  if (cfg.limits.max_header == 0) throw std::invalid_argument("max_header must be at least 1");
  if (cfg.idle_timeout.count() <= 0 || cfg.backend_timeout.count() <= 0)
    throw std::invalid_argument("timeouts must be positive");
}

}  // namespace

std::string ready_line(std::uint16_t port, const Config& cfg) {
  return "sockchurn-proxy ready port=" + std::to_string(port) + " backend=" + cfg.backend +
         " strategy=" + cfg.backend_strategy;
}

struct Server::Impl {
  // The io_context first: destroyed last, after everything that uses it.
  asio::io_context io{1};
  Config cfg;
  Acceptor acceptor;
  Backend backend;
  Stats stats;
  std::size_t active = 0;

  explicit Impl(Config c)
      : cfg((validate(c), std::move(c))),
        acceptor(io.get_executor()),
        backend(io.get_executor(), backend_of(cfg), strategy_of(cfg), cfg.backend_timeout, cfg.max_idle_backend) {
    const tcp::endpoint at = to_asio(with_port(parse_host(cfg.listen), cfg.port));
    try {
      acceptor.open(at.protocol());
      acceptor.set_option(asio::socket_base::reuse_address(true));
      acceptor.set_option(tcp::no_delay(true));  // inherited by accepted sockets
      acceptor.bind(at);
      acceptor.listen(asio::socket_base::max_listen_connections);
    } catch (const boost::system::system_error& e) {
      throw std::system_error(e.code().value(), std::generic_category(),
                              "cannot listen on tcp " + cfg.listen + ":" + std::to_string(cfg.port));
    }
  }

  Awaitable<void> accept_loop() {
    for (;;) {
      error_code ec;
      Socket socket = co_await acceptor.async_accept(as_value(ec));
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      if (ec) continue;  // EMFILE and the like: the next accept may succeed
      if (active >= cfg.max_connections) {
        ++stats.refused;
        try_set_linger0(socket.native_handle());
        socket.close(ec);
        continue;
      }
      ++stats.accepted;
      ++active;
      asio::co_spawn(io.get_executor(), serve(Stream(std::move(socket))), asio::detached);
    }
  }

  // One response for the client, and what to do with the backend connection
  // once it is sent.
  struct Answer {
    Response response;
    Backend::Lease lease;
    bool backend_closes = false;
  };

  static Answer refuse(const Refusal& r, unsigned version, bool keep_alive) {
    return {error_response(r, version, keep_alive), {}, false};
  }

  Awaitable<Answer> exchange(Request request) {
    const unsigned version = request.version();
    const bool keep_alive = request.keep_alive();
    const bool head = request.method() == http::verb::head;
    const Request out = forward_request(std::move(request));
    for (int attempt = 0;; ++attempt) {
      error_code ec;
      Backend::Lease lease = co_await backend.acquire(ec);
      if (ec) {
        ++stats.backend_errors;
        co_return refuse({http::status::bad_gateway, "backend unreachable: " + describe(ec)}, version, keep_alive);
      }
      lease.stream->expires_after(cfg.backend_timeout);
      co_await http::async_write(*lease.stream, out, as_value(ec));
      ResponseParser parser;
      configure(parser, cfg.limits);
      parser.skip(head);
      if (!ec) co_await http::async_read_header(*lease.stream, lease.buffer, parser, as_value(ec));
      // An idle connection the backend closed just as it was taken: once more
      // on another connection (nothing of the response came).
      if (ec && lease.pooled && attempt == 0 && lease.buffer.size() == 0 && !parser.got_some()) {
        backend.abandon(std::move(lease));
        continue;
      }
      std::optional<Refusal> refusal;
      if (ec)
        refusal = refusal_for_response_error(ec);
      else
        refusal = check_response_header(parser);
      if (!refusal) {
        co_await http::async_read(*lease.stream, lease.buffer, parser, as_value(ec));
        if (ec) refusal = refusal_for_response_error(ec);
      }
      if (refusal) {
        ++stats.backend_errors;
        backend.abandon(std::move(lease));
        co_return refuse(*refusal, version, keep_alive);
      }
      ++stats.forwarded;
      const bool closes = !parser.keep_alive();
      co_return Answer{forward_response(parser.release(), version, keep_alive, head), std::move(lease), closes};
    }
  }

  Awaitable<void> serve(Stream client) {
    beast::flat_buffer buffer;
    for (;;) {
      error_code ec;
      RequestParser parser;
      configure(parser, cfg.limits);
      client.expires_after(cfg.idle_timeout);
      co_await http::async_read_header(client, buffer, parser, as_value(ec));
      std::optional<Refusal> refusal;
      if (ec) {
        refusal = refusal_for_request_error(ec);
        if (!refusal) break;  // the client's end, a reset, the idle timeout
      } else {
        refusal = check_request_header(parser);
      }
      if (!refusal) {
        co_await http::async_read(client, buffer, parser, as_value(ec));
        if (ec) {
          refusal = refusal_for_request_error(ec);
          if (!refusal) break;
        }
      }
      Answer answer;
      if (refusal) {
        // The stream cannot be read on after a refused request: close after the answer.
        ++stats.refused_requests;
        answer = refuse(*refusal, parser.is_header_done() ? parser.get().version() : 11, false);
      } else {
        ++stats.requests;
        answer = co_await exchange(parser.release());
      }
      const bool keep = answer.response.keep_alive();
      client.expires_after(cfg.idle_timeout);
      co_await http::async_write(client, answer.response, as_value(ec));
      co_await backend.release(std::move(answer.lease), answer.backend_closes);
      if (ec || !keep) break;
    }
    error_code ignored;
    client.socket().shutdown(tcp::socket::shutdown_send, ignored);
    client.close();
    --active;
  }
};

Server::Server(Config cfg) : impl_(std::make_unique<Impl>(std::move(cfg))) {
  asio::co_spawn(impl_->io.get_executor(), impl_->accept_loop(), asio::detached);
}

Server::~Server() = default;

std::uint16_t Server::port() const { return impl_->acceptor.local_endpoint().port(); }

void Server::run() { impl_->io.run(); }

void Server::stop() { impl_->io.stop(); }

Stats Server::stats() const {
  Stats s = impl_->stats;
  const BackendStats& b = impl_->backend.stats();
  s.sockets_opened = b.sockets_opened;
  s.connects = b.connects;
  s.sockets_reused = b.sockets_reused;
  s.pooled_reuses = b.pooled_reuses;
  s.ended_after_fin = b.ended_after_fin;
  s.ended_first = b.ended_first;
  s.abandoned = b.abandoned;
  return s;
}

std::vector<int> Server::idle_backend_descriptors() const { return impl_->backend.idle_descriptors(); }

asio::io_context& Server::context() { return impl_->io; }

BackgroundProxy::BackgroundProxy(Config cfg)
    : server_(std::make_unique<Server>(std::move(cfg))), thread_([this] { server_->run(); }) {}

BackgroundProxy::~BackgroundProxy() { stop(); }

Stats BackgroundProxy::stop() {
  server_->stop();
  if (thread_.joinable()) thread_.join();
  return server_->stats();
}

Stats BackgroundProxy::stats() const {
  std::promise<Stats> p;
  auto f = p.get_future();
  asio::post(server_->context(), [&] { p.set_value(server_->stats()); });
  return f.get();
}

std::vector<int> BackgroundProxy::idle_backend_descriptors() const {
  std::promise<std::vector<int>> p;
  auto f = p.get_future();
  asio::post(server_->context(), [&] { p.set_value(server_->idle_backend_descriptors()); });
  return f.get();
}

}  // namespace sockchurn::proxy
