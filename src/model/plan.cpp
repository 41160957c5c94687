#include "model/plan.hpp"

#include <sys/socket.h>

#include <atomic>
#include <sstream>

#include "net/sockops.hpp"
#include "observe/sysinfo.hpp"

namespace sockchurn {

namespace {

// The address the route to the server takes from (a connected UDP socket
// tells it without sending anything), port 0.
Endpoint source_address(const Endpoint& server) {
  Fd probe = make_socket(server.family(), SOCK_DGRAM);
  if (connect_to(probe.get(), server) != 0) throw_errno("connect (route to the server)");
  return with_port(local_endpoint(probe.get()), 0);
}

// port_range: each exchanger searches its own sixteenth of
// ip_local_port_range (by the order the exchangers were set up), so client
// threads do not compete for ports: (high port << 16) | low port.
std::uint32_t next_port_range_slice() {
  constexpr std::uint32_t kSlices = 16;
  static std::atomic<unsigned> next{0};
  std::uint32_t lo = 32768, hi = 60999;
  std::istringstream(read_sysctl("net.ipv4.ip_local_port_range")) >> lo >> hi;
  const std::uint32_t width = (hi - lo + 1) / kSlices;
  const std::uint32_t k = next.fetch_add(1) % kSlices;
  const std::uint32_t first = lo + k * width;
  return ((first + width - 1) << 16) | first;
}

Steps steps(std::initializer_list<Step> list) {
  Steps out;
  for (Step s : list) out.push(s);
  return out;
}

}  // namespace

const char* step_name(Step s) noexcept {
  switch (s) {
    case Step::socket: return "socket";
    case Step::bind_port: return "bind";
    case Step::set_linger0: return "setsockopt(SO_LINGER)";
    case Step::set_bind_no_port: return "setsockopt(IP_BIND_ADDRESS_NO_PORT)";
    case Step::bind_source: return "bind";
    case Step::set_port_range: return "setsockopt(IP_LOCAL_PORT_RANGE)";
    case Step::connect: return "connect";
    case Step::write: return "write";
    case Step::read: return "read";
    case Step::read_eof: return "read(EOF)";
    case Step::shutdown_wr: return "shutdown(SHUT_WR)";
    case Step::send: return "send";
    case Step::send_to: return "sendto";
    case Step::recv: return "recv";
    case Step::disconnect: return "connect(AF_UNSPEC)";
    case Step::close: return "close";
  }
  return "?";
}

Plan::Plan(const ExchangeConfig& cfg)
    : variant_(cfg.variant), tcp_(cfg.variant.strategy->tcp), udp_(cfg.variant.strategy->udp), msg_(cfg.payload) {
  args_.server = cfg.server;
  args_.type = variant_.protocol() == Protocol::tcp ? SOCK_STREAM : SOCK_DGRAM;
  if (variant_.protocol() == Protocol::tcp) {
    if (tcp_.open == TcpPolicy::Open::bind_no_port) args_.source = source_address(cfg.server);
    if (tcp_.open == TcpPolicy::Open::port_range) args_.port_range = next_port_range_slice();
  }
}

bool Plan::keeps_socket() const noexcept {
  return variant_.protocol() == Protocol::tcp ? tcp_.keeps_socket() : udp_.socket == UdpPolicy::Socket::kept;
}

Steps Plan::new_socket() {
  Steps out;
  out.push(Step::socket);
  socket_ = true;
  if (keeps_socket() && variant_.strategy->has_port && variant_.port == LocalPort::bound) out.push(Step::bind_port);
  if (variant_.protocol() != Protocol::tcp) return out;
  if (tcp_.open == TcpPolicy::Open::bind_no_port) out.append(steps({Step::set_bind_no_port, Step::bind_source}));
  if (tcp_.open == TcpPolicy::Open::port_range) out.push(Step::set_port_range);
  if (tcp_.linger0) out.push(Step::set_linger0);
  return out;
}

Steps Plan::setup() { return keeps_socket() ? new_socket() : Steps{}; }

Steps Plan::next() {
  msg_.next();
  phase_ = Phase::exchange;
  Steps out;
  if (variant_.protocol() == Protocol::udp) {
    if (!socket_) out = new_socket();
    if (udp_.peer == UdpPolicy::Peer::connect) out.append(steps({Step::connect, Step::send}));
    else out.push(Step::send_to);
    out.push(Step::recv);
    if (udp_.socket == UdpPolicy::Socket::fresh) out.push(Step::close);
    else if (udp_.disconnect) out.push(Step::disconnect);
    return out;
  }
  if (!connected_) {
    if (!socket_) out = new_socket();
    out.push(Step::connect);
    connected_ = true;
    done_ = 0;
  }
  last_ = tcp_.ends_connections() && ++done_ >= variant_.rpc;
  const bool fin_read = last_ && variant_.server_closes();
  out.append(steps({Step::write, Step::read}));
  if (fin_read) out.push(Step::read_eof);
  if (last_) out.append(end_steps(fin_read));
  return out;
}

Steps Plan::end_steps(bool fin_read) const {
  using End = TcpPolicy::End;
  switch (tcp_.end) {
    case End::close: return steps({Step::close});
    case End::linger_unless_fin:
      return fin_read ? steps({Step::close}) : steps({Step::set_linger0, Step::close});
    case End::unspec: return steps({Step::disconnect});
    case End::shutdown_drain:
      return fin_read ? steps({Step::shutdown_wr, Step::close}) : steps({Step::shutdown_wr, Step::read_eof, Step::close});
    case End::keep: return steps({Step::disconnect, Step::close});  // only at the end of a run: a reset
  }
  return {};
}

// The rule after a failure, for every strategy: a socket kept across
// connections (or UDP exchanges) is disconnected; any other is closed; a
// UDP socket that is kept connected-to-anyone (reconnect, sendto) stays.
Steps Plan::lost() {
  connected_ = false;
  phase_ = Phase::idle;
  const bool disconnects = variant_.protocol() == Protocol::tcp ? tcp_.keeps_socket() : udp_.disconnect;
  if (socket_ && disconnects) {
    phase_ = Phase::disconnecting;
    return steps({Step::disconnect});
  }
  if (variant_.protocol() == Protocol::udp && keeps_socket() && !udp_.disconnect) return {};
  phase_ = Phase::closing;
  socket_ = false;
  return steps({Step::close});
}

Steps Plan::settle(const Outcome& o) {
  switch (phase_) {
    case Phase::idle: return {};
    case Phase::exchange:
      if (!o.ok()) return lost();
      if (variant_.protocol() == Protocol::udp) {
        socket_ = keeps_socket();
      } else if (last_) {
        connected_ = false;
        socket_ = keeps_socket();
      }
      break;
    case Phase::disconnecting:
      if (o.ok()) break;
      phase_ = Phase::closing;
      socket_ = false;
      return steps({Step::close});
    case Phase::closing: break;
  }
  phase_ = Phase::idle;
  return {};
}

Steps Plan::finish() {
  phase_ = Phase::idle;
  if (variant_.protocol() != Protocol::tcp || !connected_) return {};
  phase_ = Phase::exchange;
  last_ = true;
  return end_steps(false);
}

Outcome Plan::check(Step s, long res) const {
  if (res < 0) return {static_cast<int>(-res), step_name(s)};
  const auto n = static_cast<std::size_t>(res);
  switch (s) {
    case Step::write:
      if (n != msg_.size()) return {kEof, step_name(s)};
      break;
    case Step::read:
      if (n != msg_.size()) return {kEof, step_name(s)};
      if (!msg_.echoed(n)) return {kEchoMismatch, step_name(s)};
      break;
    case Step::read_eof:
      if (n != 0) return {kUnexpectedData, step_name(s)};
      break;
    default: break;
  }
  return {};
}

std::optional<Outcome> Plan::received(long res, const Endpoint& from, std::uint64_t& stale) const {
  if (res < 0) return check(Step::recv, res);
  const auto n = static_cast<std::size_t>(res);
  const bool from_server = from == args_.server;
  if (from_server && msg_.echoed(n)) return Outcome{};
  if (from_server && !msg_.earlier(n)) return Outcome{kEchoMismatch, step_name(Step::recv)};
  ++stale;
  return std::nullopt;
}

}  // namespace sockchurn
