// parse_host on arbitrary text. It either throws std::invalid_argument or
// returns an IPv4 or IPv6 address with port 0 such that
//  - to_string() without its ":0" is a host text that parses back to it;
//  - the same address with a port parses with parse_endpoint (IPv6 in
//    brackets), so --listen and --server agree on what an address is;
//  - the text held no NUL byte.
// Any other exception, a crash or a sanitizer report is a finding.
#include <netinet/in.h>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "check.hpp"
#include "net/endpoint.hpp"

using sockchurn::Endpoint;
using sockchurn::fuzz::fail;
using sockchurn::fuzz::require;
using sockchurn::fuzz::accepted_address;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto accepted = accepted_address("parse_host", sockchurn::parse_host, text);
  if (!accepted) return 0;
  const auto& [ep, what] = *accepted;
  require(ep.port() == 0, what + ": port " + std::to_string(ep.port()));

  const std::string printed = ep.to_string();
  require(printed.ends_with(":0"), what + " printed as '" + printed + "'");
  const std::string host = printed.substr(0, printed.size() - 2);  // "127.0.0.1" or "[::1]"
  try {
    require(sockchurn::parse_host(host) == ep, what + ": its text '" + host + "' parses to another address");
    const Endpoint with_port = sockchurn::parse_endpoint(host + ":65535");
    require(with_port == sockchurn::with_port(ep, 65535), what + ": '" + host + ":65535' is another endpoint");
  } catch (const std::invalid_argument& e) {
    fail(what + " printed as '" + printed + "', whose host does not parse back: " + e.what());
  }
  return 0;
}
