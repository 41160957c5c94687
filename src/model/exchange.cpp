#include "model/exchange.hpp"

#include <stdexcept>
#include <system_error>

#include "model/engines.hpp"
#include "net/sockops.hpp"

namespace sockchurn {

std::string Outcome::describe() const {
  std::string text = std::string(op) + ": " + error_name(err);
  if (err > 0) text += " (" + std::generic_category().message(err) + ")";
  return text;
}

std::unique_ptr<Exchanger> make_exchanger(const ExchangeConfig& cfg) {
  const Variant& v = cfg.variant;
  if (v.strategy == nullptr) throw std::invalid_argument("no strategy given");
  if (cfg.payload == 0) throw std::invalid_argument("payload must be at least 1 byte");
  if (v.protocol() == Protocol::udp && cfg.payload > kMaxUdpPayload)
    throw std::invalid_argument("UDP payload must be at most " + std::to_string(kMaxUdpPayload) + " bytes");
  const EngineInfo& engine = engine_info(v.engine);
  if (v.rpc == 0 || (v.rpc != 1 && !v.takes_rpc()))
    throw std::invalid_argument(v.name() + ": requests per connection other than 1 need a strategy that ends connections");
  if (v.flows == 0 || (v.flows != 1 && !v.takes_flows()))
    throw std::invalid_argument(v.name() + ": the " + std::string(engine.name) + " engine runs one flow per thread");
  if (const std::string why = gap(v); !why.empty()) throw std::invalid_argument(v.name() + ": " + why);
  return engine.make(cfg);
}

}  // namespace sockchurn
