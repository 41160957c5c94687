#include "model/exchange.hpp"

#include <stdexcept>
#include <system_error>

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
  if (v.rpc == 0 || (v.rpc != 1 && !v.takes_rpc()))
    throw std::invalid_argument(v.name() + ": requests per connection other than 1 need a strategy that ends connections, in the blocking or asio engine");
  if (v.flows == 0 || (v.flows != 1 && !v.takes_flows()))
    throw std::invalid_argument(v.name() + ": only the asio engine runs more than one flow per thread");
  const ExchangerFactory make = v.strategy->factory(v.engine);
  if (make == nullptr)
    throw std::invalid_argument(v.name() + ": no such strategy in the " + std::string(to_string(v.engine)) + " engine");
  return make(cfg);
}

}  // namespace sockchurn
