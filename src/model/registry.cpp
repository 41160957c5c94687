#include "model/registry.hpp"

#include <algorithm>
#include <array>

#include "model/engines.hpp"

namespace sockchurn {

namespace {

using P = Protocol;
using R = Role;
using Open = TcpPolicy::Open;
using End = TcpPolicy::End;
using Sock = UdpPolicy::Socket;
using Peer = UdpPolicy::Peer;
constexpr bool closer = true, port = true, none = false;

// protocol, name, role, has closer, has port, one cycle, its policy: how a
// connection opens (socket options, binding) and ends. Every engine that
// runs the protocol runs every row (engines.cpp), but for the gaps below.
const std::array kRegistry = {
    StrategyInfo{P::tcp, "fresh_close", R::fresh, closer, none, "socket, connect, write, read, close (FIN)",
                 TcpPolicy{Open::plain, false, End::close}},
    StrategyInfo{P::tcp, "fresh_linger0", R::fresh, closer, none, "as fresh_close with SO_LINGER {1,0}: close sends RST",
                 TcpPolicy{Open::plain, true, End::close}},
    StrategyInfo{P::tcp, "reuse_unspec", R::reuse, closer, port,
                 "one socket: connect, write, read, connect(AF_UNSPEC) (RST)", TcpPolicy{Open::plain, false, End::unspec}},
    StrategyInfo{P::tcp, "conditional_linger", R::fresh, closer, none,
                 "fresh socket; RST unless the peer's FIN was read, then close (HAProxy)",
                 TcpPolicy{Open::plain, false, End::linger_unless_fin}},
    StrategyInfo{P::tcp, "shutdown_drain", R::fresh, closer, none,
                 "fresh socket; shutdown(SHUT_WR), read to EOF, close: the graceful end",
                 TcpPolicy{Open::plain, false, End::shutdown_drain}},
    StrategyInfo{P::tcp, "bind_no_port", R::fresh, closer, none,
                 "fresh socket; IP_BIND_ADDRESS_NO_PORT, bind(source, 0), connect, ..., close",
                 TcpPolicy{Open::bind_no_port, false, End::close}},
    // RST, as fresh_linger0, its baseline: with a FIN the slice's ~1,760
    // ports fill with TIME_WAIT within a second (tcp_tw_reuse reuses them
    // only after 1 s) and connect() fails with EADDRNOTAVAIL above ~1,760
    // exchanges/s per thread.
    StrategyInfo{P::tcp, "port_range", R::fresh, closer, none,
                 "fresh socket; a per-thread IP_LOCAL_PORT_RANGE slice, SO_LINGER {1,0}, connect, ..., close (RST)",
                 TcpPolicy{Open::port_range, true, End::close}},
    StrategyInfo{P::tcp, "keepalive", R::reference, none, none, "reference: one connection for the run, write, read",
                 TcpPolicy{Open::plain, false, End::keep}},
    StrategyInfo{P::udp, "fresh_close", R::fresh, none, none, "socket, connect, send, recv, close", {},
                 UdpPolicy{Sock::fresh, Peer::connect, false}},
    StrategyInfo{P::udp, "reuse_unspec", R::reuse, none, port, "one socket: connect, send, recv, connect(AF_UNSPEC)", {},
                 UdpPolicy{Sock::kept, Peer::connect, true}},
    StrategyInfo{P::udp, "reconnect", R::reference, none, none, "one socket: connect to the peer again, no AF_UNSPEC", {},
                 UdpPolicy{Sock::kept, Peer::connect, false}},
    StrategyInfo{P::udp, "sendto", R::reference, none, none, "reference: one unconnected socket, sendto, recvfrom", {},
                 UdpPolicy{Sock::kept, Peer::unconnected, false}},
};

// What an engine cannot run, and why: one line each.
struct Gap {
  Engine engine;
  LocalPort port;  // the dimension value it lacks
  std::string_view why;
};
constexpr Gap kGaps[] = {
    {Engine::uring, LocalPort::bound,
     "port:bound: the explicit port is found by bind() retries on a descriptor; the ring's sockets are direct "
     "descriptors, made inside the chain"},
};

}  // namespace

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

std::string_view to_string(Engine e) { return engine_info(e).name; }

std::string engine_unavailable(Engine e) { return engine_info(e).unavailable(); }

bool Variant::takes_rpc() const { return protocol() == Protocol::tcp && strategy->tcp.ends_connections(); }

bool Variant::takes_flows() const { return engine_info(engine).flows; }

bool Variant::takes_ring() const { return engine_info(engine).takes_ring(); }

std::string gap(const Variant& v) {
  const EngineInfo& e = engine_info(v.engine);
  if (!e.runs(v.protocol()))
    return "the " + std::string(e.name) + " engine runs no " + std::string(to_string(v.protocol())) + " strategy";
  for (const Gap& g : kGaps)
    if (g.engine == v.engine && v.strategy->has_port && v.port == g.port) return std::string(g.why);
  return "";
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
  if (engine != engines().front().id) group += "/engine:" + std::string(to_string(engine));
  if (takes_flows() && (flows != 1 || engine_info(engine).names_one_flow)) group += "/flows:" + std::to_string(flows);
  if (takes_ring() && !ring.is_default) group += "/ring:" + to_string(ring);
  if (rpc != 1) group += "/rpc:" + std::to_string(rpc);
  if (strategy->has_closer) group += "/closer:" + std::string(to_string(closer));
  return group;
}

std::string Variant::group_regex() const { return "^" + group() + "/(port:[a-z]+/)?payload:"; }

std::vector<Variant> variants(Protocol protocol) {
  std::vector<Variant> out;
  for (const StrategyInfo& s : kRegistry) {
    if (s.protocol != protocol) continue;
    for (const EngineInfo& e : engines())
      for (Closer c : {Closer::client, Closer::server}) {
        if (c == Closer::server && !s.has_closer) continue;
        for (LocalPort p : {LocalPort::ephemeral, LocalPort::bound}) {
          if (p == LocalPort::bound && !s.has_port) continue;
          const Variant v{&s, c, p, e.id};
          if (gap(v).empty()) out.push_back(v);
        }
      }
  }
  return out;
}

}  // namespace sockchurn
