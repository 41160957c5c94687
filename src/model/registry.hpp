// The strategy registry: one table (registry.cpp) holds every strategy with
// its protocol, its role for the results tools, the dimensions it has and the
// code of its cycle. Benchmark registration, the test matrix, strategy names
// on the command line, the suite's strategy groups and the roles the Python
// tools read all derive from it. Adding a strategy: docs/design.md.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sockchurn {

enum class Protocol { tcp, udp };
enum class Closer { client, server };       // TCP: who ends the exchange
enum class LocalPort { ephemeral, bound };  // the kernel picks, or bound once to an explicit port
// Who drives the cycle: blocking system calls (the default, and the names
// of its benchmarks carry no engine); io_uring (one linked submission per
// cycle on a ring per client thread; engine:uring); or Boost.Asio (an
// io_context per client thread running `flows` connections as coroutines,
// the event-driven client of a proxy or pool; engine:asio).
enum class Engine { blocking, uring, asio };
inline constexpr Engine kEngines[] = {Engine::blocking, Engine::uring, Engine::asio};
// What the results tools do with a strategy: ratios of each reuse strategy
// over each fresh one of the same protocol; references are drawn for scale.
enum class Role { reuse, fresh, reference };

std::string_view to_string(Protocol p);
std::string_view to_string(Closer c);
std::string_view to_string(LocalPort p);
std::string_view to_string(Role r);
std::string_view to_string(Engine e);

struct ExchangeConfig;
class Exchanger;
using ExchangerFactory = std::unique_ptr<Exchanger> (*)(const ExchangeConfig&);

struct StrategyInfo {
  Protocol protocol;
  std::string_view name;  // "reuse_unspec": the benchmark name's second part
  Role role;
  bool has_closer;  // closer:client / closer:server variants (the echo-once port)
  bool has_port;    // port:ephemeral / port:bound variants
  std::string_view cycle;  // one line: what one cycle does
  // Builds one client thread's exchanger (throws std::system_error if its
  // setup fails, e.g. binding the local port).
  ExchangerFactory make;
  // The same strategy in the io_uring and Asio engines; nullptr where it
  // has none.
  ExchangerFactory make_uring = nullptr;
  ExchangerFactory make_asio = nullptr;

  ExchangerFactory factory(Engine e) const {
    switch (e) {
      case Engine::blocking: return make;
      case Engine::uring: return make_uring;
      case Engine::asio: return make_asio;
    }
    return nullptr;
  }
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
  // Connections each client thread keeps in flight (engine:asio; 1 elsewhere).
  unsigned flows = 1;
  // Echo exchanges (requests) per connection before it ends (rpc:N; 1, the
  // default, is one exchange per connection). Strategies that end
  // connections, in the blocking and Asio engines.
  unsigned rpc = 1;

  Protocol protocol() const { return strategy->protocol; }
  bool takes_rpc() const { return strategy->has_closer && engine != Engine::uring; }
  bool takes_flows() const { return engine == Engine::asio; }
  // The server ends each exchange: the client uses the echo-once port.
  bool server_closes() const { return strategy->has_closer && closer == Closer::server; }
  // "tcp/reuse_unspec/engine:asio/flows:16/rpc:10/closer:client/port:bound":
  // only the dimensions it has; no engine for the blocking one, no rpc at 1.
  std::string name() const;
  // The name without the port: the benchmarks the suite runs together in
  // one fresh network namespace.
  std::string group() const;
  // An extended regex that selects exactly the group's benchmarks.
  std::string group_regex() const;
};

// Every strategy of `protocol` with each value of each of its dimensions, in
// each engine that has it (flows and rpc at 1: the sweep sets them from the
// command line, bench/sweep.cpp).
std::vector<Variant> variants(Protocol protocol);

}  // namespace sockchurn
