// The TCP strategies' cycles (rows of the registry, registry.cpp).
#include <sys/socket.h>

#include "exchange.hpp"
#include "message.hpp"
#include "sockops.hpp"

namespace sockchurn {

namespace {

// What every TCP cycle shares: the message and the transfer on a connected
// socket.
class TcpCycle : public Exchanger {
 public:
  explicit TcpCycle(const ExchangeConfig& cfg) : cfg_(cfg), msg_(cfg.payload) {}

 protected:

  // write, read the echo, and when the server closes first read its EOF.
  Outcome transfer(int fd) {
    msg_.next();
    if (int e = write_all(fd, msg_.data(), msg_.size())) return {e, "write"};
    if (int e = read_exact(fd, msg_.in(), msg_.size())) return {e, "read"};
    if (!msg_.echoed(msg_.size())) return {kEchoMismatch, "read"};
    if (cfg_.variant.server_closes()) {
      if (int e = read_eof(fd)) return {e, "read(EOF)"};
    }
    return {};
  }

  ExchangeConfig cfg_;
  Message msg_;
};

// fresh_close, fresh_linger0: a new socket per cycle, closed at its end.
class Fresh final : public TcpCycle {
 public:
  Fresh(const ExchangeConfig& cfg, bool linger0) : TcpCycle(cfg), linger0_(linger0) {}

  Outcome exchange() override {
    Fd s;
    if (int e = open_socket(s, cfg_.server.family(), SOCK_STREAM)) return {e, "socket"};
    if (linger0_ && try_set_linger0(s.get()) != 0) return {errno, "setsockopt(SO_LINGER)"};
    if (int e = connect_to(s.get(), cfg_.server)) return {e, "connect"};
    return transfer(s.get());  // close() as `s` goes out of scope
  }

 private:
  bool linger0_;
};

// reuse_unspec: one socket for the run, dissolved with connect(AF_UNSPEC)
// after each cycle.
class ReuseUnspec final : public TcpCycle {
 public:
  using TcpCycle::TcpCycle;

  Outcome exchange() override {
    if (!sock_) {
      if (int e = open_socket(sock_, cfg_.server.family(), SOCK_STREAM)) return {e, "socket"};
      if (cfg_.variant.port == LocalPort::bound) bind_explicit_port(sock_.get(), SOCK_STREAM, cfg_.server);
    }
    if (int e = connect_to(sock_.get(), cfg_.server)) {
      disconnect(sock_.get());
      return {e, "connect"};
    }
    Outcome o = transfer(sock_.get());
    if (disconnect(sock_.get()) != 0) {
      const int e = errno;
      sock_.reset();
      if (o.ok()) o = {e, "connect(AF_UNSPEC)"};
    }
    return o;
  }

 private:
  Fd sock_;
};

// keepalive: the reference without churn, one connection for the run.
class Keepalive final : public TcpCycle {
 public:
  using TcpCycle::TcpCycle;
  // The connection ends with a reset, so that the end of a run leaves no
  // TIME_WAIT behind to be counted against the next.
  ~Keepalive() override {
    if (sock_) disconnect(sock_.get());
  }
  Keepalive(const Keepalive&) = delete;
  Keepalive& operator=(const Keepalive&) = delete;

  Outcome exchange() override {
    if (!sock_) {
      if (int e = open_socket(sock_, cfg_.server.family(), SOCK_STREAM)) return {e, "socket"};
      if (int e = connect_to(sock_.get(), cfg_.server)) {
        sock_.reset();
        return {e, "connect"};
      }
    }
    Outcome o = transfer(sock_.get());
    if (!o.ok()) sock_.reset();
    return o;
  }

 private:
  Fd sock_;
};

}  // namespace

std::unique_ptr<Exchanger> make_tcp_fresh_close(const ExchangeConfig& cfg) { return std::make_unique<Fresh>(cfg, false); }
std::unique_ptr<Exchanger> make_tcp_fresh_linger0(const ExchangeConfig& cfg) { return std::make_unique<Fresh>(cfg, true); }
std::unique_ptr<Exchanger> make_tcp_reuse_unspec(const ExchangeConfig& cfg) { return std::make_unique<ReuseUnspec>(cfg); }
std::unique_ptr<Exchanger> make_tcp_keepalive(const ExchangeConfig& cfg) { return std::make_unique<Keepalive>(cfg); }

}  // namespace sockchurn
