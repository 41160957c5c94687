#include "model/engines.hpp"

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

const EngineInfo& engine_info(Engine e) {
  for (const EngineInfo& info : kEngineTable)
    if (info.id == e) return info;
  throw std::invalid_argument("no such engine");
}

}  // namespace sockchurn
