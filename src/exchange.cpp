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
  const ExchangerFactory make = cfg.variant.strategy->factory(cfg.variant.engine);
  if (make == nullptr)
    throw std::invalid_argument(cfg.variant.name() + ": no such strategy in the " +
                                std::string(to_string(cfg.variant.engine)) + " engine");
  return make(cfg);
}

}  // namespace sockchurn
