// The strategy registry: one table (registry.cpp) holds every strategy with
// its protocol, its role for the results tools, the dimensions it has and its
// policy (policy.hpp: how a connection opens and ends), which every engine
// (engines.hpp) interprets. Benchmark registration, the test matrix, strategy names
// on the command line, the suite's strategy groups and the roles the Python
// tools read all derive from it. Adding a strategy: docs/design.md.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "model/policy.hpp"
#include "net/protocol.hpp"
#include "model/ring_features.hpp"

namespace sockchurn {

enum class Closer { client, server };       // TCP: who ends the exchange
enum class LocalPort { ephemeral, bound };  // the kernel picks, or bound once to an explicit port
// Who drives the cycle; each engine's name, capabilities and factory are a
// row of the engine table (engines.cpp).
enum class Engine { blocking, uring, asio };
// What the results tools do with a strategy: ratios of each reuse strategy
// over each fresh one of the same protocol; references are drawn for scale.
enum class Role { reuse, fresh, reference };

std::string_view to_string(Closer c);
std::string_view to_string(LocalPort p);
std::string_view to_string(Role r);
std::string_view to_string(Engine e);

struct StrategyInfo {
  Protocol protocol;
  std::string_view name;  // "reuse_unspec": the benchmark name's second part
  Role role;
  bool has_closer;  // closer:client / closer:server variants (the echo-once port)
  bool has_port;    // port:ephemeral / port:bound variants
  std::string_view cycle;  // one line: what one cycle does
  // What a cycle does, as data every engine interprets: the one of its protocol.
  TcpPolicy tcp{};
  UdpPolicy udp{};
};

// Every strategy, in registry order (the order of benchmarks and charts).
std::span<const StrategyInfo> strategies();
// "" when `e` can run here, else one line naming what is missing (io_uring
// disabled, an opcode the kernel lacks, built without liburing).
std::string engine_unavailable(Engine e);
// nullptr when `protocol` has no strategy of that name.
const StrategyInfo* find_strategy(Protocol protocol, std::string_view name);
// "fresh_close, fresh_linger0, ..." for error messages.
std::string strategy_names(Protocol protocol);
// "fresh_close=fresh,reuse_unspec=reuse,...": each name once, registry order
// (the results' `strategy_roles` context for the Python tools).
std::string strategy_roles();

// One strategy with a value for each of its dimensions.
struct Variant {
  const StrategyInfo* strategy = nullptr;
  Closer closer = Closer::client;
  LocalPort port = LocalPort::ephemeral;
  Engine engine = Engine::blocking;
  // Connections each client thread keeps in flight (engines with flows; 1
  // elsewhere).
  unsigned flows = 1;
  // Echo exchanges (requests) per connection before it ends (rpc:N; 1, the
  // default, is one exchange per connection). Strategies that end
  // connections, in every engine.
  unsigned rpc = 1;
  // The ring features of an engine that takes them (the io_uring engine's;
  // ring:<set>, named only when not the default).
  RingFeatures ring{};

  Protocol protocol() const { return strategy->protocol; }
  bool takes_rpc() const;
  bool takes_flows() const;
  bool takes_ring() const;
  // The server ends each exchange: the client uses the echo-once port.
  bool server_closes() const { return strategy->has_closer && closer == Closer::server; }
  // "tcp/reuse_unspec/engine:asio/flows:16/rpc:10/closer:client/port:bound":
  // only the dimensions it has; no engine for the blocking one, no rpc at 1,
  // flows:1 only in an engine whose table row says so (names_one_flow), no
  // ring at the default ("tcp/reuse_unspec/engine:uring/flows:16/ring:defer/closer:client/...").
  std::string name() const;
  // The name without the port: the benchmarks the suite runs together in
  // one fresh network namespace.
  std::string group() const;
  // An extended regex that selects exactly the group's benchmarks.
  std::string group_regex() const;
};

// Why `v` cannot run in its engine (a line of the registry's gaps, or the
// engine's protocols), or "" when it can.
std::string gap(const Variant& v);

// Every strategy of `protocol` with each value of each of its dimensions, in
// each engine that runs it (flows and rpc at 1: the sweep sets them from the
// command line, bench/sweep.cpp).
std::vector<Variant> variants(Protocol protocol);

}  // namespace sockchurn
