#include "model/engines.hpp"

#include <map>
#include <mutex>
#include <stdexcept>

#include "model/exchange.hpp"

namespace sockchurn {

// Each engine's entry points, in its folder under src/engines/.
std::unique_ptr<Exchanger> make_blocking_exchanger(const ExchangeConfig& cfg);
std::unique_ptr<Exchanger> make_uring_exchanger(const ExchangeConfig& cfg);
std::unique_ptr<Exchanger> make_asio_exchanger(const ExchangeConfig& cfg);
std::string uring_support();  // uring_ring.cpp, or uring_absent.cpp when built without liburing
std::string uring_refuses(RingFeatures ring);  // the same

namespace {

std::string always() { return ""; }

// id, name, available, TCP, UDP, flows, names flows:1, ring features, factory.
const EngineInfo kEngineTable[] = {
    // One connection per client thread, blocking system calls.
    {Engine::blocking, "blocking", always, true, true, false, false, nullptr, make_blocking_exchanger},
    // One ring per client thread keeping `flows` connections in flight,
    // each exchange one linked chain; one io_uring_enter submits every
    // ready chain and reaps every completion; the ring's features as asked
    // (ring:<set>, docs/uring-features.md).
    {Engine::uring, "uring", uring_support, true, true, true, false, uring_refuses, make_uring_exchanger},
    // An io_context per client thread running `flows` connections as
    // coroutines: the event-driven client of a proxy or a pool.
    {Engine::asio, "asio", always, true, false, true, true, nullptr, make_asio_exchanger},
};

}  // namespace

std::span<const EngineInfo> engines() { return kEngineTable; }

RingFeatures ring_used(const Variant& v) {
  const EngineInfo& e = engine_info(v.engine);
  if (!e.takes_ring()) return RingFeatures::none();
  const RingFeatures set = v.ring.resolved(v.protocol(), v.flows);
  if (!v.ring.is_default) return set;
  // Asked once per set: each answer sets up (and closes) a probe ring.
  static std::mutex mutex;
  static std::map<std::pair<Engine, std::uint8_t>, bool> accepted;
  std::lock_guard lock(mutex);
  const auto [it, fresh] = accepted.try_emplace({v.engine, set.bits}, false);
  if (fresh) it->second = e.ring_refused(set).empty();
  return it->second ? set : RingFeatures::none();
}

const EngineInfo& engine_info(Engine e) {
  for (const EngineInfo& info : kEngineTable)
    if (info.id == e) return info;
  throw std::invalid_argument("no such engine");
}

}  // namespace sockchurn
