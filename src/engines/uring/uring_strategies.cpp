// The io_uring engine's rows of the registry (registry.cpp): each builds the
// exchanger of uring_exchange.hpp (TCP) or uring_udp_exchange.hpp (UDP) for
// a variant.
#include "model/exchange.hpp"
#include "engines/uring/uring_tcp.hpp"
#include "engines/uring/uring_ring.hpp"
#include "engines/uring/uring_udp.hpp"

namespace sockchurn {

namespace {

UringTcpConfig uring_config(const ExchangeConfig& cfg) {
  return {cfg.server, cfg.payload, cfg.variant.server_closes()};
}

}  // namespace

std::unique_ptr<Exchanger> make_uring_tcp_fresh_close(const ExchangeConfig& cfg) {
  return std::make_unique<UringFreshClose>(uring_config(cfg));
}
std::unique_ptr<Exchanger> make_uring_tcp_fresh_linger0(const ExchangeConfig& cfg) {
  return std::make_unique<UringFreshLinger0>(uring_config(cfg));
}
std::unique_ptr<Exchanger> make_uring_tcp_reuse_unspec(const ExchangeConfig& cfg) {
  return std::make_unique<UringReuseUnspec>(uring_config(cfg));
}
std::unique_ptr<Exchanger> make_uring_tcp_keepalive(const ExchangeConfig& cfg) {
  return std::make_unique<UringKeepalive>(uring_config(cfg));
}
std::unique_ptr<Exchanger> make_uring_udp_fresh_close(const ExchangeConfig& cfg) {
  return std::make_unique<UringUdpFreshClose>(UringUdpConfig{cfg.server, cfg.payload});
}
std::unique_ptr<Exchanger> make_uring_udp_reuse_unspec(const ExchangeConfig& cfg) {
  return std::make_unique<UringUdpReuseUnspec>(UringUdpConfig{cfg.server, cfg.payload});
}

}  // namespace sockchurn
