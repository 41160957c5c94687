// The strategy registry: what everything else derives from must be
// consistent — names unique per protocol, one role per name, dimensions
// that produce the benchmark names and the suite's groups.
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>
#include <string>

#include "model/engines.hpp"
#include "model/exchange.hpp"
#include "model/registry.hpp"

using namespace sockchurn;

TEST(Registry, NamesAreUniquePerProtocolAndEveryRowIsComplete) {
  std::set<std::string> seen;
  for (const StrategyInfo& s : strategies()) {
    const std::string key = std::string(to_string(s.protocol)) + "/" + std::string(s.name);
    EXPECT_TRUE(seen.insert(key).second) << key << " twice";
    // The closer dimension exists where connections end; the port one
    // where a socket is kept across them (an explicit port is kept).
    if (s.protocol == Protocol::tcp) {
      EXPECT_EQ(s.has_closer, s.tcp.ends_connections()) << key;
      EXPECT_EQ(s.has_port, s.tcp.keeps_socket()) << key;
    } else {
      EXPECT_EQ(s.has_port, s.udp.disconnect) << key;
    }
    EXPECT_FALSE(s.cycle.empty()) << key;
    EXPECT_EQ(find_strategy(s.protocol, s.name), &s) << key;
    // The name is a benchmark-name part: no separators in it.
    EXPECT_EQ(s.name.find_first_of("/: "), std::string_view::npos) << key;
    // The echo-once port exists for TCP only.
    if (s.protocol == Protocol::udp) {
      EXPECT_FALSE(s.has_closer) << key;
    }
  }
  EXPECT_EQ(find_strategy(Protocol::tcp, "no_such_strategy"), nullptr);
}

TEST(Registry, OneRolePerNameAcrossProtocols) {
  std::map<std::string_view, Role> roles;
  for (const StrategyInfo& s : strategies()) {
    const auto [it, fresh] = roles.emplace(s.name, s.role);
    EXPECT_EQ(it->second, s.role) << s.name << " has two roles";
  }
  // The results tools read roles from this string: each name once, in order.
  const std::string text = strategy_roles();
  std::set<std::string> names;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    const std::string item = text.substr(start, comma - start);
    const std::size_t eq = item.find('=');
    ASSERT_NE(eq, std::string::npos) << item;
    const std::string name = item.substr(0, eq), role = item.substr(eq + 1);
    EXPECT_TRUE(names.insert(name).second) << name << " twice in " << text;
    ASSERT_TRUE(roles.count(name)) << name;
    EXPECT_EQ(role, to_string(roles.at(name))) << name;
    start = comma + 1;
  }
  EXPECT_EQ(names.size(), roles.size()) << text;
}

TEST(Registry, EveryProtocolHasAReuseAndAFreshStrategy) {
  for (Protocol p : {Protocol::tcp, Protocol::udp}) {
    std::set<Role> roles;
    for (const StrategyInfo& s : strategies())
      if (s.protocol == p) roles.insert(s.role);
    EXPECT_TRUE(roles.count(Role::reuse)) << to_string(p);
    EXPECT_TRUE(roles.count(Role::fresh)) << to_string(p);
  }
}

TEST(Registry, VariantsCarryOnlyTheirDimensions) {
  const Variant bound_server{find_strategy(Protocol::tcp, "reuse_unspec"), Closer::server, LocalPort::bound};
  EXPECT_EQ(bound_server.name(), "tcp/reuse_unspec/closer:server/port:bound");
  EXPECT_EQ(bound_server.group(), "tcp/reuse_unspec/closer:server");
  EXPECT_EQ(bound_server.group_regex(), "^tcp/reuse_unspec/closer:server/(port:[a-z]+/)?payload:");
  EXPECT_TRUE(bound_server.server_closes());
  const Variant keepalive{find_strategy(Protocol::tcp, "keepalive"), Closer::server, LocalPort::bound};
  EXPECT_EQ(keepalive.name(), "tcp/keepalive");  // no closer, no port: the values are ignored
  EXPECT_FALSE(keepalive.server_closes());
  const Variant udp{find_strategy(Protocol::udp, "reuse_unspec"), Closer::client, LocalPort::ephemeral};
  EXPECT_EQ(udp.name(), "udp/reuse_unspec/port:ephemeral");
  EXPECT_EQ(udp.group(), "udp/reuse_unspec");
  // Only a non-default engine is named.
  const Variant uring{find_strategy(Protocol::tcp, "keepalive"), Closer::client, LocalPort::ephemeral, Engine::uring};
  EXPECT_EQ(uring.name(), "tcp/keepalive/engine:uring");
  EXPECT_EQ(uring.group_regex(), "^tcp/keepalive/engine:uring/(port:[a-z]+/)?payload:");
  // Flows only in engines with flows, requests per connection only when not
  // 1, in the fixed order engine, flows, rpc, closer, port.
  Variant asio{find_strategy(Protocol::tcp, "reuse_unspec"), Closer::server, LocalPort::ephemeral, Engine::asio};
  asio.flows = 16;
  asio.rpc = 10;
  EXPECT_TRUE(asio.takes_flows() && asio.takes_rpc());
  EXPECT_EQ(asio.name(), "tcp/reuse_unspec/engine:asio/flows:16/rpc:10/closer:server/port:ephemeral");
  EXPECT_EQ(asio.group(), "tcp/reuse_unspec/engine:asio/flows:16/rpc:10/closer:server");
  asio.rpc = 1;
  asio.flows = 1;
  EXPECT_EQ(asio.name(), "tcp/reuse_unspec/engine:asio/flows:1/closer:server/port:ephemeral");
  // keepalive keeps its connection: no requests per connection; every
  // engine takes rpc for the strategies that end connections.
  EXPECT_FALSE((Variant{find_strategy(Protocol::tcp, "keepalive")}.takes_rpc()));
  EXPECT_FALSE(uring.takes_rpc());
  // The io_uring engine has flows but names them only when not 1, so its
  // one-flow rows keep the names they had before it had flows.
  EXPECT_TRUE(uring.takes_flows());
  Variant uring16{find_strategy(Protocol::tcp, "reuse_unspec"), Closer::client, LocalPort::ephemeral, Engine::uring};
  EXPECT_EQ(uring16.name(), "tcp/reuse_unspec/engine:uring/closer:client/port:ephemeral");
  uring16.flows = 16;
  EXPECT_EQ(uring16.name(), "tcp/reuse_unspec/engine:uring/flows:16/closer:client/port:ephemeral");
  Variant uring_rpc{find_strategy(Protocol::tcp, "shutdown_drain"), Closer::client, LocalPort::ephemeral, Engine::uring};
  uring_rpc.rpc = 10;
  EXPECT_TRUE(uring_rpc.takes_rpc());
  EXPECT_EQ(uring_rpc.name(), "tcp/shutdown_drain/engine:uring/rpc:10/closer:client");
}

// A group's regex selects its own benchmarks and no other's (the blocking
// keepalive's must not take the io_uring keepalive's).
TEST(Registry, GroupRegexesSelectExactlyTheirVariants) {
  for (Protocol p : {Protocol::tcp, Protocol::udp}) {
    const auto all = variants(p);
    for (const Variant& g : all) {
      const std::regex re(g.group_regex(), std::regex::extended);
      for (const Variant& v : all) {
        const std::string name = v.name() + "/payload:64/placement:same/real_time/threads:1";
        EXPECT_EQ(std::regex_search(name, re), v.group() == g.group()) << g.group_regex() << " vs " << name;
      }
    }
  }
}

TEST(Registry, VariantsEnumerateEachDimensionOnce) {
  for (Protocol p : {Protocol::tcp, Protocol::udp}) {
    std::size_t expected = 0;
    for (const StrategyInfo& s : strategies()) {
      if (s.protocol != p) continue;
      for (const EngineInfo& e : engines()) {
        // Every strategy in every engine of its protocol; the registry's one
        // gap: no port:bound in the io_uring engine.
        if (e.runs(p)) expected += (s.has_closer ? 2 : 1) * (s.has_port && e.id != Engine::uring ? 2 : 1);
      }
    }
    std::set<std::string> names;
    for (const Variant& v : variants(p)) {
      EXPECT_EQ(v.protocol(), p);
      EXPECT_TRUE(names.insert(v.name()).second) << v.name();
      // A variant's name starts with its group (the suite runs a group in
      // one namespace).
      EXPECT_TRUE(v.name().starts_with(v.group())) << v.name() << " vs " << v.group();
    }
    EXPECT_EQ(names.size(), expected) << to_string(p);
  }
}

// Every engine runs every strategy of its protocols; what it cannot run is
// refused with the registry's line saying why.
TEST(Registry, EveryEngineRunsEveryStrategyOfItsProtocols) {
  for (const EngineInfo& e : engines()) {
    for (const StrategyInfo& s : strategies()) {
      bool found = false;
      for (const Variant& v : variants(s.protocol)) found = found || (v.strategy == &s && v.engine == e.id);
      EXPECT_EQ(found, e.runs(s.protocol)) << e.name << " " << to_string(s.protocol) << "/" << s.name;
    }
    EXPECT_EQ(to_string(e.id), e.name);
    EXPECT_EQ(&engine_info(e.id), &e);
  }
  EXPECT_EQ(engines().front().id, Engine::blocking);  // the default: no engine in names
  const Variant bound{find_strategy(Protocol::tcp, "reuse_unspec"), Closer::client, LocalPort::bound, Engine::uring};
  EXPECT_NE(gap(bound).find("port:bound: "), std::string::npos) << gap(bound);
  try {
    make_exchanger({bound, 64, {}});
    ADD_FAILURE() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()), bound.name() + ": " + gap(bound));
  }
  const Variant udp_asio{find_strategy(Protocol::udp, "reuse_unspec"), Closer::client, LocalPort::ephemeral, Engine::asio};
  EXPECT_EQ(gap(udp_asio), "the asio engine runs no udp strategy");
}
