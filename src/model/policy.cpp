#include "model/policy.hpp"

namespace sockchurn {

std::string_view to_string(TcpPolicy::Open o) {
  switch (o) {
    case TcpPolicy::Open::plain: return "plain";
    case TcpPolicy::Open::bind_no_port: return "bind_no_port";
    case TcpPolicy::Open::port_range: return "port_range";
  }
  return "?";
}

std::string_view to_string(TcpPolicy::End e) {
  switch (e) {
    case TcpPolicy::End::close: return "close";
    case TcpPolicy::End::linger_unless_fin: return "linger_unless_fin";
    case TcpPolicy::End::unspec: return "unspec";
    case TcpPolicy::End::shutdown_drain: return "shutdown_drain";
    case TcpPolicy::End::keep: return "keep";
  }
  return "?";
}

std::string_view ends_with(const TcpPolicy& p) {
  switch (p.end) {
    case TcpPolicy::End::close: return p.linger0 ? "rst" : "fin";
    case TcpPolicy::End::unspec: return "rst";
    case TcpPolicy::End::linger_unless_fin: return "rst_unless_peer_fin";
    case TcpPolicy::End::shutdown_drain: return "fin";
    case TcpPolicy::End::keep: return "none";
  }
  return "?";
}

}  // namespace sockchurn
