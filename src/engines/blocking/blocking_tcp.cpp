// The TCP strategies' cycles (rows of the registry, registry.cpp).
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <sstream>

#include "model/exchange.hpp"
#include "model/message.hpp"
#include "net/sockops.hpp"
#include "observe/sysinfo.hpp"

namespace {
// IP_LOCAL_PORT_RANGE (Linux 6.3, include/uapi/linux/in.h); glibc 2.36 lacks it.
constexpr int kIpLocalPortRange = 51;
}  // namespace

namespace sockchurn {

namespace {

// What every TCP cycle shares: a connection carries `rpc` exchanges (one
// write and the read of its echo each); exchange() performs one of them,
// opening the connection before the first and ending it after the last. Each
// strategy says how it opens a connection and how it ends one.
class TcpCycle : public Exchanger {
 public:
  explicit TcpCycle(const ExchangeConfig& cfg) : cfg_(cfg), msg_(cfg.payload) {}

  Outcome exchange() final {
    if (!connected_) {
      if (Outcome o = open(); !o.ok()) {
        abandon();
        return o;
      }
      connected_ = true;
      done_ = 0;
    }
    // Strategies without a closer (keepalive) keep their connection.
    const bool last = cfg_.variant.strategy->has_closer && ++done_ >= cfg_.variant.rpc;
    Outcome o = transfer(sock_.get(), last && cfg_.variant.server_closes());
    if (!o.ok()) {
      connected_ = false;
      abandon();
      return o;
    }
    if (last) {
      connected_ = false;
      o = end();
    }
    return o;
  }

  void finish() final {
    if (connected_) (void)end();
    connected_ = false;
  }

 protected:
  // Leaves sock_ connected to the server, or returns the step that failed.
  virtual Outcome open() = 0;
  // Ends the connection after its last exchange.
  virtual Outcome end() {
    sock_.reset();  // close()
    return {};
  }
  // After a failure: drop the connection so the next exchange starts clean.
  virtual void abandon() { sock_.reset(); }

  // A fresh connection in sock_: socket(), what `prepare` sets on it (an
  // Outcome), connect(); ok, or the step that failed.
  template <typename Prepare>
  Outcome connect_fresh(Prepare&& prepare) {
    if (int e = open_socket(sock_, cfg_.server.family(), SOCK_STREAM)) return {e, "socket"};
    if (Outcome o = prepare(sock_.get()); !o.ok()) return o;
    if (int e = connect_to(sock_.get(), cfg_.server)) return {e, "connect"};
    return {};
  }
  Outcome connect_fresh() {
    return connect_fresh([](int) { return Outcome{}; });
  }

  ExchangeConfig cfg_;
  Fd sock_;

 private:
  // write, read the echo, and after the last exchange of a connection the
  // server ends, read its EOF.
  Outcome transfer(int fd, bool read_fin) {
    msg_.next();
    if (int e = write_all(fd, msg_.data(), msg_.size())) return {e, "write"};
    if (int e = read_exact(fd, msg_.in(), msg_.size())) return {e, "read"};
    if (!msg_.echoed(msg_.size())) return {kEchoMismatch, "read"};
    if (read_fin) {
      if (int e = read_eof(fd)) return {e, "read(EOF)"};
    }
    return {};
  }

  Message msg_;
  bool connected_ = false;
  unsigned done_ = 0;  // exchanges on the current connection
};

// fresh_close, fresh_linger0: a new socket per connection, closed at its end.
class Fresh final : public TcpCycle {
 public:
  Fresh(const ExchangeConfig& cfg, bool linger0) : TcpCycle(cfg), linger0_(linger0) {}

 private:
  Outcome open() override {
    return connect_fresh([this](int fd) -> Outcome {
      if (linger0_ && try_set_linger0(fd) != 0) return {errno, "setsockopt(SO_LINGER)"};
      return {};
    });
  }
  bool linger0_;
};

// conditional_linger (HAProxy's rule): reset with SO_LINGER {1,0} only when
// the peer's FIN has not been read; once it has (the server closed first),
// a plain close(), which leaves the TIME_WAIT with the server that closed.
class ConditionalLinger final : public TcpCycle {
 public:
  using TcpCycle::TcpCycle;

 private:
  Outcome open() override { return connect_fresh(); }
  Outcome end() override {
    Outcome o;
    if (!cfg_.variant.server_closes() && try_set_linger0(sock_.get()) != 0) o = {errno, "setsockopt(SO_LINGER)"};
    sock_.reset();
    return o;
  }
};

// shutdown_drain: the graceful end. shutdown(SHUT_WR) sends our FIN, the
// read to EOF waits for the peer's, then close(): TIME_WAIT stays with
// whoever sent the first FIN.
class ShutdownDrain final : public TcpCycle {
 public:
  using TcpCycle::TcpCycle;

 private:
  Outcome open() override { return connect_fresh(); }
  Outcome end() override {
    Outcome o;
    if (::shutdown(sock_.get(), SHUT_WR) != 0) o = {errno, "shutdown(SHUT_WR)"};
    else if (!cfg_.variant.server_closes()) {
      if (int e = read_eof(sock_.get())) o = {e, "read(EOF)"};
    }
    sock_.reset();
    return o;
  }
};

// bind_no_port: IP_BIND_ADDRESS_NO_PORT, then bind() to the source address
// with port 0: the port is chosen at connect() with the whole 4-tuple known
// (Envoy's and HAProxy's cure for ephemeral-port exhaustion behind a bound
// source address). Ends with close() (FIN), as fresh_close.
class BindNoPort final : public TcpCycle {
 public:
  explicit BindNoPort(const ExchangeConfig& cfg) : TcpCycle(cfg), source_(source_address(cfg.server)) {}

 private:
  Outcome open() override {
    return connect_fresh([this](int fd) -> Outcome {
      const int one = 1;
      if (::setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one) != 0)
        return {errno, "setsockopt(IP_BIND_ADDRESS_NO_PORT)"};
      if (::bind(fd, source_.sa(), source_.len) != 0) return {errno, "bind"};
      return {};
    });
  }
  // The address the route to the server takes from (a connected UDP socket
  // tells it without sending anything), port 0.
  static Endpoint source_address(const Endpoint& server) {
    Fd probe = make_socket(server.family(), SOCK_DGRAM);
    if (connect_to(probe.get(), server) != 0) throw_errno("connect (route to the server)");
    return with_port(local_endpoint(probe.get()), 0);
  }
  Endpoint source_;
};

// port_range: a fresh socket per connection with IP_LOCAL_PORT_RANGE (Linux
// 6.3+): each client thread searches its own slice of ip_local_port_range
// (one sixteenth, by the order the threads were set up), so threads do not
// compete for ports. Ends with a RST (SO_LINGER {1,0}), as fresh_linger0, its
// baseline: with a FIN the slice's ~1,760 ports fill with TIME_WAIT within a
// second (tcp_tw_reuse reuses them only after 1 s) and connect() fails with
// EADDRNOTAVAIL above ~1,760 exchanges/s per thread.
class PortRange final : public TcpCycle {
 public:
  explicit PortRange(const ExchangeConfig& cfg) : TcpCycle(cfg), range_(next_slice()) {}

  // The slice this exchanger uses: (high port << 16) | low port.
  static constexpr int kSlices = 16;

 private:
  Outcome open() override {
    return connect_fresh([this](int fd) -> Outcome {
      if (::setsockopt(fd, IPPROTO_IP, kIpLocalPortRange, &range_, sizeof range_) != 0)
        return {errno, "setsockopt(IP_LOCAL_PORT_RANGE)"};
      if (try_set_linger0(fd) != 0) return {errno, "setsockopt(SO_LINGER)"};
      return {};
    });
  }
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
// at the end of each connection.
class ReuseUnspec final : public TcpCycle {
 public:
  using TcpCycle::TcpCycle;

 private:
  Outcome open() override {
    if (!sock_) {
      if (int e = open_socket(sock_, cfg_.server.family(), SOCK_STREAM)) return {e, "socket"};
      if (cfg_.variant.port == LocalPort::bound) bind_explicit_port(sock_.get(), SOCK_STREAM, cfg_.server);
    }
    if (int e = connect_to(sock_.get(), cfg_.server)) return {e, "connect"};
    return {};
  }
  Outcome end() override {
    if (disconnect(sock_.get()) == 0) return {};
    const int e = errno;
    sock_.reset();
    return {e, "connect(AF_UNSPEC)"};
  }
  void abandon() override {
    if (sock_ && disconnect(sock_.get()) != 0) sock_.reset();
  }
};

// keepalive: the reference without churn, one connection for the run.
class Keepalive final : public TcpCycle {
 public:
  using TcpCycle::TcpCycle;
  ~Keepalive() override { finish(); }
  Keepalive(const Keepalive&) = delete;
  Keepalive& operator=(const Keepalive&) = delete;

 private:
  Outcome open() override { return connect_fresh(); }
  // Only at the end of a run (finish()): a reset, so that it leaves no
  // TIME_WAIT behind.
  Outcome end() override {
    (void)disconnect(sock_.get());
    sock_.reset();
    return {};
  }
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
