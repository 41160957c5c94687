// The UDP strategies' cycles (rows of the registry, registry.cpp).
#include <sys/socket.h>

#include <cerrno>

#include "model/exchange.hpp"
#include "model/message.hpp"
#include "net/sockops.hpp"

namespace sockchurn {

namespace {

// What every UDP cycle shares: the message, and sending it and receiving
// its echo with strangers discarded.
class UdpCycle : public Exchanger {
 public:
  explicit UdpCycle(const ExchangeConfig& cfg) : cfg_(cfg), msg_(cfg.payload) {}

 protected:

  // Send this cycle's datagram and receive until its echo comes back from
  // the server; anything else queued on the socket is discarded and counted.
  Outcome transfer(int fd, bool unconnected) {
    msg_.next();
    const ssize_t sent = unconnected ? ::sendto(fd, msg_.data(), msg_.size(), 0, cfg_.server.sa(), cfg_.server.len)
                                     : ::send(fd, msg_.data(), msg_.size(), 0);
    if (sent < 0) return {errno, unconnected ? "sendto" : "send"};
    for (;;) {
      Endpoint from;
      from.len = sizeof from.storage;
      const ssize_t n = ::recvfrom(fd, msg_.in(), msg_.in_capacity(), 0, from.sa(), &from.len);
      if (n < 0) {
        if (errno == EINTR) continue;
        return {errno, "recv"};
      }
      const auto size = static_cast<std::size_t>(n);
      if (from == cfg_.server && msg_.echoed(size)) return {};
      if (!(from == cfg_.server) || msg_.earlier(size)) {
        ++stale_;
        continue;
      }
      return {kEchoMismatch, "recv"};
    }
  }

  // One socket for the whole run (bound once to an explicit port for
  // port:bound).
  Fd run_socket() const {
    Fd s = make_socket(cfg_.server.family(), SOCK_DGRAM);
    if (cfg_.variant.port == LocalPort::bound) bind_explicit_port(s.get(), SOCK_DGRAM, cfg_.server);
    return s;
  }

  ExchangeConfig cfg_;
  Message msg_;
};

// fresh_close: a new socket per cycle.
class Fresh final : public UdpCycle {
 public:
  using UdpCycle::UdpCycle;
  Outcome exchange() override {
    Fd s;
    if (int e = open_socket(s, cfg_.server.family(), SOCK_DGRAM)) return {e, "socket"};
    if (int e = connect_to(s.get(), cfg_.server)) return {e, "connect"};
    return transfer(s.get(), false);
  }
};

// reuse_unspec: connect, exchange, connect(AF_UNSPEC) on one socket.
class ReuseUnspec final : public UdpCycle {
 public:
  explicit ReuseUnspec(const ExchangeConfig& cfg) : UdpCycle(cfg), sock_(run_socket()) {}
  Outcome exchange() override {
    if (int e = connect_to(sock_.get(), cfg_.server)) return {e, "connect"};
    Outcome o = transfer(sock_.get(), false);
    if (disconnect(sock_.get()) != 0 && o.ok()) o = {errno, "connect(AF_UNSPEC)"};
    return o;
  }

 private:
  Fd sock_;
};

// reconnect: connect() to the peer again each cycle, no AF_UNSPEC.
class Reconnect final : public UdpCycle {
 public:
  explicit Reconnect(const ExchangeConfig& cfg) : UdpCycle(cfg), sock_(run_socket()) {}
  Outcome exchange() override {
    if (int e = connect_to(sock_.get(), cfg_.server)) return {e, "connect"};
    return transfer(sock_.get(), false);
  }

 private:
  Fd sock_;
};

// sendto: the reference, one unconnected socket.
class Sendto final : public UdpCycle {
 public:
  explicit Sendto(const ExchangeConfig& cfg) : UdpCycle(cfg), sock_(run_socket()) {}
  Outcome exchange() override { return transfer(sock_.get(), true); }

 private:
  Fd sock_;
};

}  // namespace

std::unique_ptr<Exchanger> make_udp_fresh_close(const ExchangeConfig& cfg) { return std::make_unique<Fresh>(cfg); }
std::unique_ptr<Exchanger> make_udp_reuse_unspec(const ExchangeConfig& cfg) { return std::make_unique<ReuseUnspec>(cfg); }
std::unique_ptr<Exchanger> make_udp_reconnect(const ExchangeConfig& cfg) { return std::make_unique<Reconnect>(cfg); }
std::unique_ptr<Exchanger> make_udp_sendto(const ExchangeConfig& cfg) { return std::make_unique<Sendto>(cfg); }

}  // namespace sockchurn
