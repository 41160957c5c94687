// What a fuzz target does when a property fails: one line on stderr saying
// which, then abort(), so that libFuzzer saves the input (crash-<sha1>).
#pragma once

#include <netinet/in.h>

#include <cstdio>
#include <cstdlib>
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

// What every address a parser accepted must be: parsed from text without a
// NUL byte (inet_pton stops there), of a family with that family's length.
inline void require_address(const Endpoint& ep, std::string_view text, const std::string& what) {
  require(text.find('\0') == std::string_view::npos, what + " accepted text with a NUL byte");
  require((ep.family() == AF_INET && ep.len == sizeof(sockaddr_in)) ||
              (ep.family() == AF_INET6 && ep.len == sizeof(sockaddr_in6)),
          what + ": family " + std::to_string(ep.family()) + " with length " + std::to_string(ep.len));
}

}  // namespace sockchurn::fuzz
