#include "exchange.hpp"

#include <stdexcept>
#include <system_error>

#include "sockops.hpp"

namespace sockchurn {

std::string Outcome::describe() const {
  std::string text = std::string(op) + ": " + error_name(err);
  if (err > 0) text += " (" + std::generic_category().message(err) + ")";
  return text;
}

std::unique_ptr<Exchanger> make_exchanger(const ExchangeConfig& cfg) {
  if (cfg.variant.strategy == nullptr) throw std::invalid_argument("no strategy given");
  if (cfg.payload == 0) throw std::invalid_argument("payload must be at least 1 byte");
  if (cfg.variant.protocol() == Protocol::udp && cfg.payload > kMaxUdpPayload)
    throw std::invalid_argument("UDP payload must be at most " + std::to_string(kMaxUdpPayload) + " bytes");
  const Variant& v = cfg.variant;
  if (v.rpc == 0 || (v.rpc != 1 && !v.takes_rpc()))
    throw std::invalid_argument(v.name() + ": requests per connection must be 1 for a strategy that keeps its connection");
  if (v.flows == 0 || (v.flows != 1 && !v.takes_flows()))
    throw std::invalid_argument(v.name() + ": only the asio engine runs more than one flow per thread");
  const ExchangerFactory make = cfg.variant.strategy->factory(cfg.variant.engine);
  if (make == nullptr)
    throw std::invalid_argument(cfg.variant.name() + ": no such strategy in the " +
                                std::string(to_string(cfg.variant.engine)) + " engine");
  return make(cfg);
}

}  // namespace sockchurn
