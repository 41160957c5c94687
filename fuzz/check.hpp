// What a fuzz target does when a property fails: one line on stderr saying
// which, then abort(), so that libFuzzer saves the input (crash-<sha1>).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

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

}  // namespace sockchurn::fuzz
