// The Asio engine's rows of the registry (registry.cpp): how each strategy
// opens and ends a connection; the cycle itself is asio_engine.cpp's.
#include "engines/asio/asio_engine.hpp"

namespace sockchurn {

using End = AsioCycle::End;

std::unique_ptr<Exchanger> make_asio_tcp_fresh_close(const ExchangeConfig& cfg) {
  return make_asio_exchanger(cfg, {End::close, false});
}
std::unique_ptr<Exchanger> make_asio_tcp_fresh_linger0(const ExchangeConfig& cfg) {
  return make_asio_exchanger(cfg, {End::close, true});
}
std::unique_ptr<Exchanger> make_asio_tcp_conditional_linger(const ExchangeConfig& cfg) {
  return make_asio_exchanger(cfg, {End::linger_unless_fin, false});
}
std::unique_ptr<Exchanger> make_asio_tcp_reuse_unspec(const ExchangeConfig& cfg) {
  return make_asio_exchanger(cfg, {End::unspec, false});
}
// Each flow's connection ends with a reset when the run ends, so that it
// leaves no TIME_WAIT to be counted against the next run.
std::unique_ptr<Exchanger> make_asio_tcp_keepalive(const ExchangeConfig& cfg) {
  return make_asio_exchanger(cfg, {End::keep, true});
}

}  // namespace sockchurn
