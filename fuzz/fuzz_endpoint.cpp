// parse_endpoint on arbitrary text. It either throws std::invalid_argument or
// returns an IPv4 or IPv6 endpoint with a port from 1 to 65535 such that
//  - to_string() parses back to an equal endpoint, and prints the same again;
//  - the text before the port, given to parse_host, is the same address;
//  - the text held no NUL byte (a C string would end there: "127.0.0.1\0x:80"
//    must not pass for 127.0.0.1:80).
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
using sockchurn::fuzz::escaped;
using sockchurn::fuzz::fail;
using sockchurn::fuzz::require;
using sockchurn::fuzz::accepted_address;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto accepted = accepted_address("parse_endpoint", sockchurn::parse_endpoint, text);
  if (!accepted) return 0;
  const auto& [ep, what] = *accepted;
  require(ep.port() >= 1, what + ": port 0");

  const std::string printed = ep.to_string();
  Endpoint again;
  try {
    again = sockchurn::parse_endpoint(printed);
  } catch (const std::invalid_argument& e) {
    fail(what + " printed as '" + printed + "', which does not parse: " + e.what());
  }
  require(again == ep && again.len == ep.len, what + " printed as '" + printed + "', which parses to another endpoint");
  require(again.to_string() == printed, what + ": '" + printed + "' prints as '" + again.to_string() + "'");

  // The host part on its own (brackets included) is the same address.
  const std::string_view host = text.substr(0, text.rfind(':'));
  try {
    require(sockchurn::parse_host(host).same_host(ep), what + ": parse_host('" + escaped(host) + "') differs");
  } catch (const std::invalid_argument& e) {
    fail(what + " parsed, but parse_host of its host part did not: " + e.what());
  }
  return 0;
}
