#include "strategies.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>
#include <vector>

#include "fd.hpp"
#include "sockops.hpp"

namespace sockchurn {

std::string_view to_string(Protocol p) { return p == Protocol::tcp ? "tcp" : "udp"; }

std::string_view to_string(Strategy s) {
  switch (s) {
    case Strategy::fresh_close: return "fresh_close";
    case Strategy::fresh_linger0: return "fresh_linger0";
    case Strategy::reuse_unspec: return "reuse_unspec";
    case Strategy::keepalive: return "keepalive";
    case Strategy::reconnect: return "reconnect";
    case Strategy::sendto: return "sendto";
  }
  return "?";
}

std::string_view to_string(Closer c) { return c == Closer::client ? "client" : "server"; }
std::string_view to_string(LocalPort p) { return p == LocalPort::ephemeral ? "ephemeral" : "bound"; }

bool valid(Protocol p, Strategy s) {
  switch (s) {
    case Strategy::fresh_close:
    case Strategy::reuse_unspec: return true;
    case Strategy::fresh_linger0:
    case Strategy::keepalive: return p == Protocol::tcp;
    case Strategy::reconnect:
    case Strategy::sendto: return p == Protocol::udp;
  }
  return false;
}

bool has_closer(Protocol p, Strategy s) { return p == Protocol::tcp && s != Strategy::keepalive; }
bool has_local_port(Strategy s) { return s == Strategy::reuse_unspec; }

std::string Outcome::describe() const {
  std::string text = std::string(op) + ": " + error_name(err);
  if (err > 0) text += " (" + std::generic_category().message(err) + ")";
  return text;
}

namespace {

// The message of one cycle: the first bytes carry the cycle's sequence
// number so that an old echo is told apart from the current one.
class Message {
 public:
  explicit Message(std::size_t size) : out_(size), in_(size + 1) {
    for (std::size_t i = 0; i < size; ++i) out_[i] = static_cast<unsigned char>(i * 31 + 7);
  }
  void next() {
    ++seq_;
    std::memcpy(out_.data(), &seq_, tag_size());
  }
  const unsigned char* data() const { return out_.data(); }
  std::size_t size() const { return out_.size(); }
  unsigned char* in() { return in_.data(); }
  std::size_t in_capacity() const { return in_.size(); }
  bool echoed(std::size_t n) const { return n == size() && std::memcmp(in_.data(), out_.data(), n) == 0; }
  // An intact copy of an earlier cycle's message.
  bool earlier(std::size_t n) const {
    if (n != size() || std::memcmp(in_.data() + tag_size(), out_.data() + tag_size(), n - tag_size()) != 0)
      return false;
    std::uint64_t seq = 0;
    std::memcpy(&seq, in_.data(), tag_size());
    const std::size_t tag = tag_size();
    const std::uint64_t mask = tag >= 8 ? ~0ull : (1ull << (8 * tag)) - 1;
    return seq != (seq_ & mask);
  }

 private:
  std::size_t tag_size() const { return std::min<std::size_t>(8, out_.size()); }
  std::vector<unsigned char> out_;
  std::vector<unsigned char> in_;
  std::uint64_t seq_ = 0;
};

// socket() as an error value: running out of descriptors is an outcome of
// churn, not a programming error.
int open_socket(Fd& fd, int family, int type) noexcept {
  fd.reset(::socket(family, type | SOCK_CLOEXEC, 0));
  return fd ? 0 : errno;
}

// Binds `fd` (of socket `type`) to an explicit port on the wildcard address
// of the server's family, chosen free a moment before (retried: another
// socket may take it in between). An explicit port, unlike bind(port 0), is
// kept across connect(AF_UNSPEC).
void bind_explicit_port(int fd, int type, const Endpoint& server) {
  const Endpoint any = parse_host(server.family() == AF_INET6 ? "::" : "0.0.0.0");
  for (int attempt = 0;; ++attempt) {
    const Endpoint local = with_port(any, find_free_port(any, type));
    if (::bind(fd, local.sa(), local.len) == 0) return;
    if (errno != EADDRINUSE || attempt == 20) throw_errno("bind");
  }
}

class TcpExchanger final : public Exchanger {
 public:
  explicit TcpExchanger(const ExchangeConfig& cfg) : cfg_(cfg), msg_(cfg.payload) {}
  TcpExchanger(const TcpExchanger&) = delete;
  TcpExchanger& operator=(const TcpExchanger&) = delete;
  // keepalive's one connection ends with a reset, so that the end of a run
  // leaves no TIME_WAIT behind to be counted against the next.
  ~TcpExchanger() override {
    if (sock_) disconnect(sock_.get());
  }

  Outcome exchange() override {
    msg_.next();
    switch (cfg_.strategy) {
      case Strategy::fresh_close:
      case Strategy::fresh_linger0: return fresh();
      case Strategy::reuse_unspec: return reuse();
      case Strategy::keepalive: return keepalive();
      default: return {EINVAL, "strategy"};
    }
  }

 private:
  // write, read the echo, and for a server-first close read its EOF.
  Outcome transfer(int fd) {
    if (int e = write_all(fd, msg_.data(), msg_.size())) return {e, "write"};
    if (int e = read_exact(fd, msg_.in(), msg_.size())) return {e, "read"};
    if (!msg_.echoed(msg_.size())) return {kEchoMismatch, "read"};
    if (cfg_.closer == Closer::server && cfg_.strategy != Strategy::keepalive) {
      if (int e = read_eof(fd)) return {e, "read(EOF)"};
    }
    return {};
  }

  Outcome fresh() {
    Fd s;
    if (int e = open_socket(s, cfg_.server.family(), SOCK_STREAM)) return {e, "socket"};
    if (cfg_.strategy == Strategy::fresh_linger0) {
      const linger lg{1, 0};
      if (::setsockopt(s.get(), SOL_SOCKET, SO_LINGER, &lg, sizeof lg) != 0) return {errno, "setsockopt(SO_LINGER)"};
    }
    if (int e = connect_to(s.get(), cfg_.server)) return {e, "connect"};
    return transfer(s.get());  // close() as `s` goes out of scope
  }

  Outcome reuse() {
    if (!sock_) {
      if (int e = open_socket(sock_, cfg_.server.family(), SOCK_STREAM)) return {e, "socket"};
      if (cfg_.local_port == LocalPort::bound) bind_explicit_port(sock_.get(), SOCK_STREAM, cfg_.server);
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

  Outcome keepalive() {
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

  ExchangeConfig cfg_;
  Message msg_;
  Fd sock_;
};

class UdpExchanger final : public Exchanger {
 public:
  explicit UdpExchanger(const ExchangeConfig& cfg) : cfg_(cfg), msg_(cfg.payload) {
    if (cfg_.strategy == Strategy::fresh_close) return;
    sock_ = make_socket(cfg_.server.family(), SOCK_DGRAM);
    if (cfg_.strategy == Strategy::reuse_unspec && cfg_.local_port == LocalPort::bound)
      bind_explicit_port(sock_.get(), SOCK_DGRAM, cfg_.server);
  }

  Outcome exchange() override {
    msg_.next();
    switch (cfg_.strategy) {
      case Strategy::fresh_close: {
        Fd s;
        if (int e = open_socket(s, cfg_.server.family(), SOCK_DGRAM)) return {e, "socket"};
        if (int e = connect_to(s.get(), cfg_.server)) return {e, "connect"};
        return transfer(s.get(), false);
      }
      case Strategy::reuse_unspec: {
        if (int e = connect_to(sock_.get(), cfg_.server)) return {e, "connect"};
        Outcome o = transfer(sock_.get(), false);
        if (disconnect(sock_.get()) != 0 && o.ok()) o = {errno, "connect(AF_UNSPEC)"};
        return o;
      }
      case Strategy::reconnect: {
        if (int e = connect_to(sock_.get(), cfg_.server)) return {e, "connect"};
        return transfer(sock_.get(), false);
      }
      case Strategy::sendto: return transfer(sock_.get(), true);
      default: return {EINVAL, "strategy"};
    }
  }

 private:
  // Send this cycle's datagram and receive until its echo comes back from
  // the server; anything else queued on the socket is discarded and counted.
  Outcome transfer(int fd, bool unconnected) {
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

  ExchangeConfig cfg_;
  Message msg_;
  Fd sock_;
};

}  // namespace

std::unique_ptr<Exchanger> make_exchanger(const ExchangeConfig& cfg) {
  if (!valid(cfg.protocol, cfg.strategy))
    throw std::invalid_argument(std::string(to_string(cfg.strategy)) + " is not a " +
                                std::string(to_string(cfg.protocol)) + " strategy");
  if (cfg.payload == 0) throw std::invalid_argument("payload must be at least 1 byte");
  if (cfg.protocol == Protocol::udp && cfg.payload > 65507)
    throw std::invalid_argument("UDP payload must be at most 65507 bytes");
  if (cfg.protocol == Protocol::tcp) return std::make_unique<TcpExchanger>(cfg);
  return std::make_unique<UdpExchanger>(cfg);
}

}  // namespace sockchurn
