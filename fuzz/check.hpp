// What a fuzz target does when a property fails: one line on stderr saying
// which, then abort(), so that libFuzzer saves the input (crash-<sha1>).
#pragma once

#include <netinet/in.h>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "net/endpoint.hpp"

namespace sockchurn::fuzz {

[[noreturn]] inline void fail(const std::string& what) {
  std::fprintf(stderr, "fuzz property failed: %s\n", what.c_str());
  std::abort();
}

inline void require(bool ok, const std::string& what) {
  if (!ok) fail(what);
}

// `text` with bytes outside printable ASCII as \xNN, for messages.
inline std::string escaped(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const char c : text) {
    const auto b = static_cast<unsigned char>(c);
    if (b >= 0x20 && b < 0x7f && b != '\\') {
      out += c;
    } else {
      out += "\\x";
      out += kHex[b >> 4];
      out += kHex[b & 15];
    }
  }
  return out;
}

// An address a parser accepted, and the call as text for messages
// ("parse_host('::1')").
struct AcceptedAddress {
  Endpoint ep;
  std::string what;
};

// `parse(text)` of the address parser `name`: nothing where it rejected the
// text the documented way (std::invalid_argument; any other exception
// escapes, a finding), else the address, which must be what every accepted
// address is: parsed from text without a NUL byte (inet_pton stops there), of
// a family with that family's length.
template <class Parse>
std::optional<AcceptedAddress> accepted_address(const char* name, Parse parse, std::string_view text) {
  AcceptedAddress a;
  try {
    a.ep = parse(text);
  } catch (const std::invalid_argument&) {
    return std::nullopt;
  }
  a.what = std::string(name) + "('" + escaped(text) + "')";
  require(text.find('\0') == std::string_view::npos, a.what + " accepted text with a NUL byte");
  require((a.ep.family() == AF_INET && a.ep.len == sizeof(sockaddr_in)) ||
              (a.ep.family() == AF_INET6 && a.ep.len == sizeof(sockaddr_in6)),
          a.what + ": family " + std::to_string(a.ep.family()) + " with length " + std::to_string(a.ep.len));
  return a;
}

}  // namespace sockchurn::fuzz
