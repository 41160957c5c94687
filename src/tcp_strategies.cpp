// The TCP strategies' cycles (rows of the registry, registry.cpp).
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <sstream>

#include "exchange.hpp"
#include "message.hpp"
#include "sockops.hpp"
#include "sysinfo.hpp"

namespace {
// IP_LOCAL_PORT_RANGE (Linux 6.3, include/uapi/linux/in.h); glibc 2.36 lacks it.
constexpr int kIpLocalPortRange = 51;
}  // namespace

namespace sockchurn {

namespace {

// What every TCP cycle shares: the message and the transfer on a connected
// socket.
class TcpCycle : public Exchanger {
 public:
  explicit TcpCycle(const ExchangeConfig& cfg) : cfg_(cfg), msg_(cfg.payload) {}

 protected:

  // A fresh connection: socket(), what `prepare` sets on it (an Outcome),
  // connect(); ok, or the step that failed.
  template <typename Prepare>
  Outcome connect_fresh(Fd& s, Prepare&& prepare) {
    if (int e = open_socket(s, cfg_.server.family(), SOCK_STREAM)) return {e, "socket"};
    if (Outcome o = prepare(s.get()); !o.ok()) return o;
    if (int e = connect_to(s.get(), cfg_.server)) return {e, "connect"};
    return {};
  }
  Outcome connect_fresh(Fd& s) {
    return connect_fresh(s, [](int) { return Outcome{}; });
  }

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
    const Outcome c = connect_fresh(s, [this](int fd) -> Outcome {
      if (linger0_ && try_set_linger0(fd) != 0) return {errno, "setsockopt(SO_LINGER)"};
      return {};
    });
    return c.ok() ? transfer(s.get()) : c;  // close() as `s` goes out of scope
  }

 private:
  bool linger0_;
};

// conditional_linger (HAProxy's rule): reset with SO_LINGER {1,0} only when
// the peer's FIN has not been read; once it has (the server closed first),
// a plain close(), which leaves the TIME_WAIT with the server that closed.
class ConditionalLinger final : public TcpCycle {
 public:
  using TcpCycle::TcpCycle;

  Outcome exchange() override {
    Fd s;
    if (Outcome c = connect_fresh(s); !c.ok()) return c;
    const Outcome o = transfer(s.get());  // reads the FIN when the server closes
    if (!cfg_.variant.server_closes() && try_set_linger0(s.get()) != 0 && o.ok()) return {errno, "setsockopt(SO_LINGER)"};
    return o;
  }
};

// shutdown_drain: the graceful end. shutdown(SHUT_WR) sends our FIN, the
// read to EOF waits for the peer's, then close(): TIME_WAIT stays with
// whoever sent the first FIN.
class ShutdownDrain final : public TcpCycle {
 public:
  using TcpCycle::TcpCycle;

  Outcome exchange() override {
    Fd s;
    if (Outcome c = connect_fresh(s); !c.ok()) return c;
    const Outcome o = transfer(s.get());
    if (!o.ok()) return o;
    if (::shutdown(s.get(), SHUT_WR) != 0) return {errno, "shutdown(SHUT_WR)"};
    if (!cfg_.variant.server_closes()) {
      if (int e = read_eof(s.get())) return {e, "read(EOF)"};
    }
    return {};
  }
};

// bind_no_port: IP_BIND_ADDRESS_NO_PORT, then bind() to the source address
// with port 0: the port is chosen at connect() with the whole 4-tuple known
// (Envoy's and HAProxy's cure for ephemeral-port exhaustion behind a bound
// source address). Ends with close() (FIN), as fresh_close.
class BindNoPort final : public TcpCycle {
 public:
  explicit BindNoPort(const ExchangeConfig& cfg) : TcpCycle(cfg), source_(source_address(cfg.server)) {}

  Outcome exchange() override {
    Fd s;
    const Outcome c = connect_fresh(s, [this](int fd) -> Outcome {
      const int one = 1;
      if (::setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one) != 0)
        return {errno, "setsockopt(IP_BIND_ADDRESS_NO_PORT)"};
      if (::bind(fd, source_.sa(), source_.len) != 0) return {errno, "bind"};
      return {};
    });
    return c.ok() ? transfer(s.get()) : c;
  }

 private:
  // The address the route to the server takes from (a connected UDP socket
  // tells it without sending anything), port 0.
  static Endpoint source_address(const Endpoint& server) {
    Fd probe = make_socket(server.family(), SOCK_DGRAM);
    if (connect_to(probe.get(), server) != 0) throw_errno("connect (route to the server)");
    return with_port(local_endpoint(probe.get()), 0);
  }
  Endpoint source_;
};

// port_range: a fresh socket per cycle with IP_LOCAL_PORT_RANGE (Linux 6.3+):
// each client thread searches its own slice of ip_local_port_range (one
// sixteenth, by the order the threads were set up), so threads do not
// compete for ports. Ends with a RST (SO_LINGER {1,0}), as fresh_linger0, its
// baseline: with a FIN the slice's ~1,760 ports fill with TIME_WAIT within a
// second (tcp_tw_reuse reuses them only after 1 s) and connect() fails with
// EADDRNOTAVAIL above ~1,760 exchanges/s per thread.
class PortRange final : public TcpCycle {
 public:
  explicit PortRange(const ExchangeConfig& cfg) : TcpCycle(cfg), range_(next_slice()) {}

  Outcome exchange() override {
    Fd s;
    const Outcome c = connect_fresh(s, [this](int fd) -> Outcome {
      if (::setsockopt(fd, IPPROTO_IP, kIpLocalPortRange, &range_, sizeof range_) != 0)
        return {errno, "setsockopt(IP_LOCAL_PORT_RANGE)"};
      if (try_set_linger0(fd) != 0) return {errno, "setsockopt(SO_LINGER)"};
      return {};
    });
    return c.ok() ? transfer(s.get()) : c;
  }

  // The slice this exchanger uses: (high port << 16) | low port.
  static constexpr int kSlices = 16;

 private:
  static std::uint32_t next_slice() {
    static std::atomic<unsigned> next{0};
    std::uint32_t lo = 32768, hi = 60999;
    std::istringstream(read_sysctl("net.ipv4.ip_local_port_range")) >> lo >> hi;
    const std::uint32_t width = (hi - lo + 1) / kSlices;
    const std::uint32_t k = next.fetch_add(1) % kSlices;
    const std::uint32_t first = lo + k * width;
    return ((first + width - 1) << 16) | first;
  }
  std::uint32_t range_;
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
std::unique_ptr<Exchanger> make_tcp_conditional_linger(const ExchangeConfig& cfg) {
  return std::make_unique<ConditionalLinger>(cfg);
}
std::unique_ptr<Exchanger> make_tcp_shutdown_drain(const ExchangeConfig& cfg) { return std::make_unique<ShutdownDrain>(cfg); }
std::unique_ptr<Exchanger> make_tcp_bind_no_port(const ExchangeConfig& cfg) { return std::make_unique<BindNoPort>(cfg); }
std::unique_ptr<Exchanger> make_tcp_port_range(const ExchangeConfig& cfg) { return std::make_unique<PortRange>(cfg); }

}  // namespace sockchurn
