// The engine table: each engine that runs the strategies' policies, with
// its name (the `engine:` part of a benchmark name; none for the default),
// whether it runs on this machine, what it can do and its factory. Adding
// an engine: a value of `Engine` (registry.hpp), a row here (engines.cpp),
// its source and its CMake line (docs/design.md).
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "model/registry.hpp"

namespace sockchurn {

struct ExchangeConfig;
class Exchanger;

struct EngineInfo {
  Engine id;
  std::string_view name;
  // "" when the engine runs here, else one line naming what is missing.
  std::string (*unavailable)();
  bool tcp;    // runs the TCP strategies
  bool udp;    // runs the UDP strategies
  bool flows;  // more than one connection in flight per client thread (flows:N)
  // Names carry `flows:1` too (the Asio engine's always did); else a name
  // shows flows only when not 1, so the engine's one-flow rows keep the
  // names they had before it had flows.
  bool names_one_flow;
  // The ring features (ring:<set>, model/ring_features.hpp): nullptr when
  // the engine takes none; else "" when this kernel accepts the set, or one
  // line naming what it refuses.
  std::string (*ring_refused)(RingFeatures);
  // Builds one client thread's exchanger for any strategy of a protocol it
  // runs (throws std::system_error if its setup fails).
  std::unique_ptr<Exchanger> (*make)(const ExchangeConfig&);

  bool runs(Protocol p) const noexcept { return p == Protocol::tcp ? tcp : udp; }
  bool takes_ring() const noexcept { return ring_refused != nullptr; }
};

// The ring features `v`'s engine runs with: none for an engine without
// them; an explicit set as it is (a kernel that refuses it fails the
// engine's setup, in one line); the default's set (resolved()), or a plain
// ring where this kernel refuses that set (DEFER_TASKRUN before 6.1).
RingFeatures ring_used(const Variant& v);

// Every engine, the default (blocking) first.
std::span<const EngineInfo> engines();
const EngineInfo& engine_info(Engine e);

}  // namespace sockchurn
