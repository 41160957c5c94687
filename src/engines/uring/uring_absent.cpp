// The io_uring engine's entry points when built without liburing: the
// engine table (model/engines.cpp) names it unavailable, with the reason.
#include <stdexcept>
#include <string>

#include "model/exchange.hpp"
#include "model/ring_features.hpp"

namespace sockchurn {

std::string uring_support() { return "built without liburing (Debian: liburing-dev)"; }

std::string uring_refuses(RingFeatures) { return uring_support(); }

std::unique_ptr<Exchanger> make_uring_exchanger(const ExchangeConfig&) {
  throw std::invalid_argument(uring_support());
}

}  // namespace sockchurn
