#include "group_list.hpp"

#include <algorithm>

#include "json_writer.hpp"
#include "model/engines.hpp"

namespace sockchurn::bench {

namespace {

JsonObject policy(const StrategyInfo& s) {
  JsonObject out;
  if (s.protocol == Protocol::tcp)
    return out.add("open", to_string(s.tcp.open)).add("linger0", s.tcp.linger0).add("end", to_string(s.tcp.end));
  return out.add("socket", s.udp.socket == UdpPolicy::Socket::fresh ? "fresh" : "kept")
      .add("peer", s.udp.peer == UdpPolicy::Peer::connect ? "connect" : "unconnected")
      .add("disconnect", s.udp.disconnect);
}

template <typename T, typename F>
JsonArray array_of(const std::vector<T>& items, F f) {
  JsonArray out;
  for (const T& item : items) out.push(f(item));
  return out;
}

JsonArray numbers(const auto& items) {
  JsonArray out;
  for (auto n : items) out.push(n);
  return out;
}

std::vector<LocalPort> ports_of(const StrategyInfo& s) {
  if (!s.has_port) return {};
  return {LocalPort::ephemeral, LocalPort::bound};
}

std::vector<Closer> closers_of(const StrategyInfo& s) {
  if (!s.has_closer) return {};
  return {Closer::client, Closer::server};
}

// The strategy's capabilities: its role as flags, what its policy implies,
// and the dimension values each engine runs it with (the registry's gaps
// left out, with their reasons under "gaps").
JsonObject strategy(const StrategyInfo& s) {
  const Variant probe{&s};
  JsonObject caps;
  caps.add("reuse", s.role == Role::reuse).add("fresh", s.role == Role::fresh).add("reference", s.role == Role::reference);
  if (s.protocol == Protocol::tcp) {
    caps.add("keeps_socket", s.tcp.keeps_socket())
        .add("ends_connections", s.tcp.ends_connections())
        .add("ends_with", ends_with(s.tcp));
  } else {
    caps.add("keeps_socket", s.udp.socket == UdpPolicy::Socket::kept)
        .add("connects", s.udp.peer == UdpPolicy::Peer::connect)
        .add("disconnects", s.udp.disconnect);
  }
  caps.add("rpc", probe.takes_rpc())
      .add("closers", array_of(closers_of(s), [](Closer c) { return to_string(c); }))
      .add("ports", array_of(ports_of(s), [](LocalPort p) { return to_string(p); }));
  JsonArray engines_run, gaps;
  for (const EngineInfo& e : engines()) {
    if (!e.runs(s.protocol)) continue;
    std::vector<LocalPort> ports;
    for (LocalPort p : s.has_port ? ports_of(s) : std::vector<LocalPort>{LocalPort::ephemeral}) {
      const std::string why = gap(Variant{&s, Closer::client, p, e.id});
      if (why.empty()) ports.push_back(p);
      else gaps.push(JsonObject().add("engine", e.name).add("port", to_string(p)).add("why", why));
    }
    if (ports.empty()) continue;
    JsonObject row;
    row.add("engine", e.name).add("flows", e.flows);
    if (s.has_port) row.add("ports", array_of(ports, [](LocalPort p) { return to_string(p); }));
    engines_run.push(row);
  }
  caps.add("engines", engines_run);
  return JsonObject()
      .add("name", s.name)
      .add("protocol", to_string(s.protocol))
      .add("role", to_string(s.role))
      .add("cycle", s.cycle)
      .add("policy", policy(s))
      .add("capabilities", caps)
      .add("gaps", gaps);
}

JsonObject engine(const EngineInfo& e) {
  const std::string why = e.unavailable();
  JsonArray protocols;
  for (Protocol p : {Protocol::tcp, Protocol::udp})
    if (e.runs(p)) protocols.push(to_string(p));
  return JsonObject()
      .add("name", e.name)
      .add("default", e.id == engines().front().id)
      .add("available", why.empty())
      .add("unavailable", why)
      .add("protocols", protocols)
      .add("flows", e.flows)
      .add("names_one_flow", e.names_one_flow);
}

// The dimensions of this protocol's names, in name order, with their
// allowed values and the values this invocation sweeps. "in_group": the
// group's name fixes it (else the group's benchmarks differ in it).
JsonArray dimensions(Protocol protocol, const Options& opt) {
  const auto strategies_have = [protocol](auto pred) {
    return std::ranges::any_of(strategies(), [&](const StrategyInfo& s) { return s.protocol == protocol && pred(s); });
  };
  JsonArray out;
  JsonArray engine_names;
  bool any_flows = false;
  for (const EngineInfo& e : engines())
    if (e.runs(protocol)) {
      engine_names.push(e.name);
      any_flows = any_flows || e.flows;
    }
  out.push(JsonObject()
               .add("name", "engine")
               .add("values", engine_names)
               .add("default", engines().front().name)
               .add("in_group", true));
  if (any_flows)
    out.push(JsonObject()
                 .add("name", "flows")
                 .add("values", numbers(opt.flows))
                 .add("min", 1)
                 .add("max", 65536)
                 .add("in_group", true));
  if (std::ranges::any_of(engines(), [protocol](const EngineInfo& e) { return e.runs(protocol) && e.takes_ring(); }))
    out.push(JsonObject()
                 .add("name", "ring")
                 .add("values", array_of(opt.rings, [](const RingFeatures& r) { return to_string(r); }))
                 .add("default", to_string(RingFeatures{}))
                 .add("in_group", true));
  if (strategies_have([](const StrategyInfo& s) { return Variant{&s}.takes_rpc(); }))
    out.push(JsonObject()
                 .add("name", "rpc")
                 .add("values", numbers(opt.rpc))
                 .add("min", 1)
                 .add("max", 1000000)
                 .add("default", 1)
                 .add("in_group", true));
  if (strategies_have([](const StrategyInfo& s) { return s.has_closer; }))
    out.push(JsonObject()
                 .add("name", "closer")
                 .add("values", JsonArray().push(to_string(Closer::client)).push(to_string(Closer::server)))
                 .add("in_group", true));
  if (strategies_have([](const StrategyInfo& s) { return s.has_port; }))
    out.push(JsonObject()
                 .add("name", "port")
                 .add("values", JsonArray().push(to_string(LocalPort::ephemeral)).push(to_string(LocalPort::bound)))
                 .add("in_group", false));
  out.push(JsonObject().add("name", "payload").add("values", numbers(opt.payloads)).add("in_group", false));
  out.push(JsonObject()
               .add("name", "placement")
               .add("values", array_of(opt.placements, [](Placement p) { return to_string(p); }))
               .add("in_group", false));
  out.push(JsonObject().add("name", "threads").add("values", numbers(opt.threads)).add("in_group", false));
  return out;
}

JsonObject group(const SelectedGroup& g, const Options& opt) {
  const Variant& v = g.variant;
  JsonObject dims;
  dims.add("engine", to_string(v.engine));
  if (v.takes_flows()) dims.add("flows", v.flows);
  if (v.takes_ring()) dims.add("ring", to_string(v.ring));
  if (v.takes_rpc()) dims.add("rpc", v.rpc);
  if (v.strategy->has_closer) dims.add("closer", to_string(v.closer));
  if (v.strategy->has_port) {
    JsonArray ports;
    for (LocalPort p : ports_of(*v.strategy))
      if (gap(Variant{v.strategy, v.closer, p, v.engine}).empty()) ports.push(to_string(p));
    dims.add("port", ports);
  }
  dims.add("payload", numbers(opt.payloads))
      .add("placement", array_of(opt.placements, [](Placement p) { return to_string(p); }))
      .add("threads", numbers(opt.threads));
  JsonArray names;
  for (const std::string& n : g.benchmarks) names.push(n);
  return JsonObject()
      .add("group", v.group())
      .add("regex", g.regex)
      .add("protocol", to_string(v.protocol()))
      .add("strategy", v.strategy->name)
      .add("role", to_string(v.strategy->role))
      .add("dimensions", dims)
      .add("benchmarks", names);
}

}  // namespace

std::string group_list_json(Protocol protocol, const Options& opt, const std::vector<SelectedGroup>& groups) {
  JsonArray strategy_rows, engine_rows, group_rows;
  for (const StrategyInfo& s : strategies())
    if (s.protocol == protocol) strategy_rows.push(strategy(s));
  for (const EngineInfo& e : engines()) engine_rows.push(engine(e));
  for (const SelectedGroup& g : groups) group_rows.push(group(g, opt));
  // Members one a line, long arrays one item a line: greppable, diffable.
  std::string out = "{\n";
  out += "  \"protocol\": " + json_string(to_string(protocol)) + ",\n";
  out += "  \"strategy_roles\": " + json_string(strategy_roles()) + ",\n";
  out += "  \"dimensions\": " + dimensions(protocol, opt).str(true, 4) + ",\n";
  out += "  \"engines\": " + engine_rows.str(true, 4) + ",\n";
  out += "  \"strategies\": " + strategy_rows.str(true, 4) + ",\n";
  out += "  \"groups\": " + group_rows.str(true, 4) + "\n";
  return out + "}\n";
}

}  // namespace sockchurn::bench
