// JSON text for what the harness writes itself rather than through Google
// Benchmark's reporter: port_exhaustion's results and the slice worker's
// lines. Keys keep their insertion order; "key": value pairs are separated
// by ", ", all on one line.
#pragma once

#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace sockchurn::bench {

// `s` as a JSON string literal, quotes included.
std::string json_string(std::string_view s);
// The shortest text that reads back as `v`; null for NaN and infinities.
std::string json_number(double v);

class JsonArray;

class JsonObject {
 public:
  JsonObject& add(std::string_view key, std::string_view value) { return raw(key, json_string(value)); }
  JsonObject& add(std::string_view key, const char* value) { return raw(key, json_string(value)); }
  JsonObject& add(std::string_view key, const std::string& value) { return raw(key, json_string(value)); }
  template <typename T>
    requires std::integral<T> || std::floating_point<T>
  JsonObject& add(std::string_view key, T value) {
    if constexpr (std::is_same_v<T, bool>) return raw(key, value ? "true" : "false");
    else if constexpr (std::floating_point<T>) return raw(key, json_number(static_cast<double>(value)));
    else return raw(key, std::to_string(value));
  }
  JsonObject& add(std::string_view key, const JsonObject& value) { return raw(key, value.str()); }
  JsonObject& add(std::string_view key, const JsonArray& value);
  JsonObject& add_null(std::string_view key) { return raw(key, "null"); }
  // `json` must be valid JSON text.
  JsonObject& raw(std::string_view key, std::string_view json);

  bool empty() const noexcept { return body_.empty(); }
  std::string str() const { return "{" + body_ + "}"; }

 private:
  std::string body_;
};

class JsonArray {
 public:
  JsonArray& push(const JsonObject& item);
  JsonArray& push(std::string_view item) { return push_raw(json_string(item)); }
  template <typename T>
    requires std::integral<T> && (!std::is_same_v<T, bool>)
  JsonArray& push(T item) { return push_raw(std::to_string(item)); }
  // `json` must be valid JSON text.
  JsonArray& push_raw(std::string_view json);
  bool empty() const noexcept { return items_.empty(); }
  // One item a line when `one_a_line` (items indented by `indent` spaces).
  std::string str(bool one_a_line = false, int indent = 2) const;

 private:
  std::vector<std::string> items_;
};

}  // namespace sockchurn::bench
