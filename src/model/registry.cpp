#include "model/registry.hpp"

#include <algorithm>
#include <array>

#include "model/exchange.hpp"

namespace sockchurn {

// Each strategy's cycle, in its protocol's file (tcp_strategies.cpp,
// udp_strategies.cpp).
std::unique_ptr<Exchanger> make_tcp_fresh_close(const ExchangeConfig&);
std::unique_ptr<Exchanger> make_tcp_fresh_linger0(const ExchangeConfig&);
std::unique_ptr<Exchanger> make_tcp_reuse_unspec(const ExchangeConfig&);
std::unique_ptr<Exchanger> make_tcp_keepalive(const ExchangeConfig&);
std::unique_ptr<Exchanger> make_tcp_conditional_linger(const ExchangeConfig&);
std::unique_ptr<Exchanger> make_tcp_shutdown_drain(const ExchangeConfig&);
std::unique_ptr<Exchanger> make_tcp_bind_no_port(const ExchangeConfig&);
std::unique_ptr<Exchanger> make_tcp_port_range(const ExchangeConfig&);
std::unique_ptr<Exchanger> make_udp_fresh_close(const ExchangeConfig&);
std::unique_ptr<Exchanger> make_udp_reuse_unspec(const ExchangeConfig&);
std::unique_ptr<Exchanger> make_udp_reconnect(const ExchangeConfig&);
std::unique_ptr<Exchanger> make_udp_sendto(const ExchangeConfig&);

// The io_uring engine's cycles (uring_strategies.cpp), when built with liburing.
#ifdef SOCKCHURN_HAVE_URING
std::unique_ptr<Exchanger> make_uring_tcp_fresh_close(const ExchangeConfig&);
std::unique_ptr<Exchanger> make_uring_tcp_fresh_linger0(const ExchangeConfig&);
std::unique_ptr<Exchanger> make_uring_tcp_reuse_unspec(const ExchangeConfig&);
std::unique_ptr<Exchanger> make_uring_tcp_keepalive(const ExchangeConfig&);
std::unique_ptr<Exchanger> make_uring_udp_fresh_close(const ExchangeConfig&);
std::unique_ptr<Exchanger> make_uring_udp_reuse_unspec(const ExchangeConfig&);
std::string uring_support();
#else
constexpr ExchangerFactory make_uring_tcp_fresh_close = nullptr, make_uring_tcp_fresh_linger0 = nullptr,
                           make_uring_tcp_reuse_unspec = nullptr, make_uring_tcp_keepalive = nullptr,
                           make_uring_udp_fresh_close = nullptr, make_uring_udp_reuse_unspec = nullptr;
#endif

// The Asio engine's cycles (asio_strategies.cpp).
std::unique_ptr<Exchanger> make_asio_tcp_fresh_close(const ExchangeConfig&);
std::unique_ptr<Exchanger> make_asio_tcp_fresh_linger0(const ExchangeConfig&);
std::unique_ptr<Exchanger> make_asio_tcp_reuse_unspec(const ExchangeConfig&);
std::unique_ptr<Exchanger> make_asio_tcp_conditional_linger(const ExchangeConfig&);
std::unique_ptr<Exchanger> make_asio_tcp_keepalive(const ExchangeConfig&);

namespace {

using P = Protocol;
using R = Role;
constexpr bool closer = true, port = true, none = false;

// protocol, name, role, has closer, has port, one cycle, its code (blocking,
// io_uring, Asio).
const std::array kRegistry = {
    StrategyInfo{P::tcp, "fresh_close", R::fresh, closer, none,
                 "socket, connect, write, read, close (FIN)", make_tcp_fresh_close, make_uring_tcp_fresh_close,
                 make_asio_tcp_fresh_close},
    StrategyInfo{P::tcp, "fresh_linger0", R::fresh, closer, none,
                 "as fresh_close with SO_LINGER {1,0}: close sends RST", make_tcp_fresh_linger0,
                 make_uring_tcp_fresh_linger0, make_asio_tcp_fresh_linger0},
    StrategyInfo{P::tcp, "reuse_unspec", R::reuse, closer, port,
                 "one socket: connect, write, read, connect(AF_UNSPEC) (RST)", make_tcp_reuse_unspec,
                 make_uring_tcp_reuse_unspec, make_asio_tcp_reuse_unspec},
    StrategyInfo{P::tcp, "conditional_linger", R::fresh, closer, none,
                 "fresh socket; RST unless the peer's FIN was read, then close (HAProxy)", make_tcp_conditional_linger,
                 nullptr, make_asio_tcp_conditional_linger},
    StrategyInfo{P::tcp, "shutdown_drain", R::fresh, closer, none,
                 "fresh socket; shutdown(SHUT_WR), read to EOF, close: the graceful end", make_tcp_shutdown_drain},
    StrategyInfo{P::tcp, "bind_no_port", R::fresh, closer, none,
                 "fresh socket; IP_BIND_ADDRESS_NO_PORT, bind(source, 0), connect, ..., close", make_tcp_bind_no_port},
    StrategyInfo{P::tcp, "port_range", R::fresh, closer, none,
                 "fresh socket; a per-thread IP_LOCAL_PORT_RANGE slice, SO_LINGER {1,0}, connect, ..., close (RST)", make_tcp_port_range},
    StrategyInfo{P::tcp, "keepalive", R::reference, none, none,
                 "reference: one connection for the run, write, read", make_tcp_keepalive, make_uring_tcp_keepalive,
                 make_asio_tcp_keepalive},
    StrategyInfo{P::udp, "fresh_close", R::fresh, none, none,
                 "socket, connect, send, recv, close", make_udp_fresh_close, make_uring_udp_fresh_close},
    StrategyInfo{P::udp, "reuse_unspec", R::reuse, none, port,
                 "one socket: connect, send, recv, connect(AF_UNSPEC)", make_udp_reuse_unspec,
                 make_uring_udp_reuse_unspec},
    StrategyInfo{P::udp, "reconnect", R::reference, none, none,
                 "one socket: connect to the peer again, no AF_UNSPEC", make_udp_reconnect},
    StrategyInfo{P::udp, "sendto", R::reference, none, none,
                 "reference: one unconnected socket, sendto, recvfrom", make_udp_sendto},
};

}  // namespace

std::string_view to_string(Protocol p) { return p == Protocol::tcp ? "tcp" : "udp"; }
std::string_view to_string(Closer c) { return c == Closer::client ? "client" : "server"; }
std::string_view to_string(LocalPort p) { return p == LocalPort::ephemeral ? "ephemeral" : "bound"; }
std::string_view to_string(Role r) {
  switch (r) {
    case Role::reuse: return "reuse";
    case Role::fresh: return "fresh";
    case Role::reference: return "reference";
  }
  return "?";
}

std::string_view to_string(Engine e) {
  switch (e) {
    case Engine::blocking: return "blocking";
    case Engine::uring: return "uring";
    case Engine::asio: return "asio";
  }
  return "?";
}

std::string engine_unavailable(Engine e) {
  if (e != Engine::uring) return "";
#ifdef SOCKCHURN_HAVE_URING
  return uring_support();
#else
  return "built without liburing (Debian: liburing-dev)";
#endif
}

std::span<const StrategyInfo> strategies() { return kRegistry; }

const StrategyInfo* find_strategy(Protocol protocol, std::string_view name) {
  for (const StrategyInfo& s : kRegistry)
    if (s.protocol == protocol && s.name == name) return &s;
  return nullptr;
}

std::string strategy_names(Protocol protocol) {
  std::string out;
  for (const StrategyInfo& s : kRegistry)
    if (s.protocol == protocol) out += (out.empty() ? "" : ", ") + std::string(s.name);
  return out;
}

std::string strategy_roles() {
  std::string out;
  std::vector<std::string_view> seen;
  for (const StrategyInfo& s : kRegistry) {
    if (std::find(seen.begin(), seen.end(), s.name) != seen.end()) continue;
    seen.push_back(s.name);
    out += (out.empty() ? "" : ",") + std::string(s.name) + "=" + std::string(to_string(s.role));
  }
  return out;
}

std::string Variant::name() const {
  std::string name = group();
  if (strategy->has_port) name += "/port:" + std::string(to_string(port));
  return name;
}

std::string Variant::group() const {
  std::string group = std::string(to_string(protocol())) + "/" + std::string(strategy->name);
  if (engine != Engine::blocking) group += "/engine:" + std::string(to_string(engine));
  if (takes_flows()) group += "/flows:" + std::to_string(flows);
  if (rpc != 1) group += "/rpc:" + std::to_string(rpc);
  if (strategy->has_closer) group += "/closer:" + std::string(to_string(closer));
  return group;
}

std::string Variant::group_regex() const { return "^" + group() + "/(port:[a-z]+/)?payload:"; }

std::vector<Variant> variants(Protocol protocol) {
  std::vector<Variant> out;
  for (const StrategyInfo& s : kRegistry) {
    if (s.protocol != protocol) continue;
    for (Engine e : kEngines) {
      if (s.factory(e) == nullptr) continue;
      for (Closer c : {Closer::client, Closer::server}) {
        if (c == Closer::server && !s.has_closer) continue;
        for (LocalPort p : {LocalPort::ephemeral, LocalPort::bound}) {
          // The io_uring engine's sockets are direct descriptors, which
          // liburing 2.3 has no way to bind: it runs ephemeral ports only.
          if (p == LocalPort::bound && (!s.has_port || e != Engine::blocking)) continue;
          out.push_back({&s, c, p, e});
        }
      }
    }
  }
  return out;
}

}  // namespace sockchurn
