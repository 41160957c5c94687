#include "engines/asio/asio_engine.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <cerrno>
#include <cstring>
#include <deque>
#include <exception>
#include <vector>

#include "model/message.hpp"
#include "net/sockops.hpp"
#include "observe/sysinfo.hpp"

namespace sockchurn {

namespace {

namespace asio = boost::asio;
using boost::system::error_code;
using tcp = asio::ip::tcp;
using Executor = asio::io_context::executor_type;
using Socket = asio::basic_stream_socket<tcp, Executor>;
template <typename T>
using Awaitable = asio::awaitable<T, Executor>;
using End = AsioCycle::End;

// Errors come back as values, as in the blocking engine.
auto as_value(error_code& ec) { return asio::redirect_error(asio::use_awaitable_t<Executor>{}, ec); }

// The blocking engine's error values: an errno, or kEof.
int error_value(const error_code& ec) {
  if (ec == asio::error::eof) return kEof;
  if (ec.category() == boost::system::system_category()) return ec.value();
  return EIO;
}

tcp::endpoint to_asio(const Endpoint& e) {
  tcp::endpoint out;
  std::memcpy(out.data(), e.sa(), e.len);
  out.resize(e.len);
  return out;
}

class AsioExchanger final : public Exchanger {
 public:
  AsioExchanger(const ExchangeConfig& cfg, AsioCycle cycle)
      : cfg_(cfg), cycle_(cycle), peer_(to_asio(cfg.server)) {
    for (unsigned i = 0; i < cfg.variant.flows; ++i)
      asio::co_spawn(io_, flow(), [this](const std::exception_ptr& e) {
        if (!e) return;
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& x) {
          crashed_ = x.what();
        }
      });
  }

  // The flows' connections end the strategy's way; their coroutines are
  // destroyed with the io_context.
  // A connection still open here has not read the peer's FIN.
  void finish() override {
    for (Socket* sock : sockets_)
      if (sock->is_open()) (void)end(*sock, false);
  }

  Outcome exchange() override {
    while (done_.empty()) {
      if (!crashed_.empty() || io_.run_one() == 0) return {ENOTRECOVERABLE, "asio flow"};
    }
    const Outcome o = done_.front();
    done_.pop_front();
    return o;
  }

 private:
  // One connection after another, `rpc` exchanges each, for as long as the
  // io_context runs it; each exchange's outcome goes to done_.
  Awaitable<void> flow() {
    Socket sock(io_.get_executor());
    sockets_.push_back(&sock);
    struct Unlist {  // when the frame goes, with the io_context or an exception
      std::vector<Socket*>& all;
      Socket* mine;
      Unlist(std::vector<Socket*>& a, Socket* m) : all(a), mine(m) {}
      Unlist(const Unlist&) = delete;
      Unlist& operator=(const Unlist&) = delete;
      Unlist(Unlist&&) = delete;
      Unlist& operator=(Unlist&&) = delete;
      ~Unlist() { std::erase(all, mine); }
    } unlist{sockets_, &sock};
    Message msg(cfg_.payload);
    const unsigned rpc = cfg_.variant.rpc;
    for (;;) {
      std::int64_t t0 = monotonic_ns();
      if (Outcome o = co_await open(sock); !o.ok()) {
        abandon(sock);
        report(o, t0);
        co_await asio::post(io_.get_executor(), asio::use_awaitable_t<Executor>{});  // as below
        continue;
      }
      for (unsigned i = 1;; ++i) {
        const bool last = cycle_.end != End::keep && i >= rpc;
        Outcome o = co_await request(sock, msg, last && cfg_.variant.server_closes());
        if (!o.ok()) abandon(sock);
        else if (last) o = end(sock, cfg_.variant.server_closes());
        report(o, t0);
        // The flow's next step waits for the next exchange() call: a run
        // ends with no exchange begun that it did not count.
        co_await asio::post(io_.get_executor(), asio::use_awaitable_t<Executor>{});
        if (!o.ok() || last) break;
        t0 = monotonic_ns();
      }
    }
  }

  // A socket connected to the server: a new one unless the strategy kept
  // the last (reuse_unspec), then async_connect.
  Awaitable<Outcome> open(Socket& sock) {
    error_code ec;
    if (!sock.is_open()) {
      sock.open(peer_.protocol(), ec);
      if (ec) co_return Outcome{error_value(ec), "socket"};
      if (cycle_.linger0) {
        sock.set_option(asio::socket_base::linger(true, 0), ec);
        if (ec) co_return Outcome{error_value(ec), "setsockopt(SO_LINGER)"};
      }
    }
    co_await sock.async_connect(peer_, as_value(ec));
    if (ec) co_return Outcome{error_value(ec), "connect"};
    co_return Outcome{};
  }

  // write, read the echo, and after the last exchange of a connection the
  // server ends, read its EOF.
  static Awaitable<Outcome> request(Socket& sock, Message& msg, bool read_fin) {
    error_code ec;
    msg.next();
    co_await asio::async_write(sock, asio::buffer(msg.data(), msg.size()), as_value(ec));
    if (ec) co_return Outcome{error_value(ec), "write"};
    co_await asio::async_read(sock, asio::buffer(msg.in(), msg.size()), as_value(ec));
    if (ec) co_return Outcome{error_value(ec), "read"};
    if (!msg.echoed(msg.size())) co_return Outcome{kEchoMismatch, "read"};
    if (read_fin) {
      const std::size_t n = co_await sock.async_read_some(asio::buffer(msg.in(), 1), as_value(ec));
      if (ec && ec != asio::error::eof) co_return Outcome{error_value(ec), "read(EOF)"};
      if (n > 0) co_return Outcome{kUnexpectedData, "read(EOF)"};
    }
    co_return Outcome{};
  }

  // The strategy's end of a connection: after its last exchange, where
  // `fin_read` says whether the server closed first, or at finish().
  Outcome end(Socket& sock, bool fin_read) const {
    error_code ec;
    switch (cycle_.end) {
      case End::unspec:
        if (disconnect(sock.native_handle()) == 0) return {};
        {
          const int e = errno;
          sock.close(ec);
          return {e, "connect(AF_UNSPEC)"};
        }
      case End::linger_unless_fin:
        if (!fin_read) {
          sock.set_option(asio::socket_base::linger(true, 0), ec);
          if (ec) {
            const int e = error_value(ec);
            sock.close(ec);
            return {e, "setsockopt(SO_LINGER)"};
          }
        }
        break;
      case End::close:
      case End::keep:
        break;
    }
    sock.close(ec);
    return {};
  }

  // After a failure: drop the connection so that the flow's next exchange
  // starts clean (reuse_unspec keeps its socket if it can dissolve it).
  void abandon(Socket& sock) const {
    error_code ec;
    if (cycle_.end == End::unspec && sock.is_open() && disconnect(sock.native_handle()) == 0) return;
    sock.close(ec);
  }

  // An exchange done: its outcome and latency, for exchange() to return.
  void report(Outcome o, std::int64_t t0) {
    o.latency_ns = monotonic_ns() - t0;
    done_.push_back(o);
  }

  ExchangeConfig cfg_;
  AsioCycle cycle_;
  tcp::endpoint peer_;
  std::deque<Outcome> done_;  // finished exchanges not yet returned by exchange()
  std::string crashed_;       // a flow ended with an exception (its what())
  std::vector<Socket*> sockets_;  // each flow's, in its coroutine frame
  // Last: destroyed first, with the flows' coroutine frames and sockets,
  // while the members above still exist.
  asio::io_context io_{1};
};

}  // namespace

std::unique_ptr<Exchanger> make_asio_exchanger(const ExchangeConfig& cfg, AsioCycle cycle) {
  return std::make_unique<AsioExchanger>(cfg, cycle);
}

}  // namespace sockchurn
