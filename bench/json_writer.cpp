#include "json_writer.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace sockchurn::bench {

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string json_number(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, end) : "null";
}

JsonObject& JsonObject::raw(std::string_view key, std::string_view json) {
  if (!body_.empty()) body_ += ", ";
  body_ += json_string(key);
  body_ += ": ";
  body_ += json;
  return *this;
}

JsonObject& JsonObject::add(std::string_view key, const JsonArray& value) { return raw(key, value.str()); }

JsonArray& JsonArray::push(const JsonObject& item) {
  items_.push_back(item.str());
  return *this;
}

JsonArray& JsonArray::push_raw(std::string_view json) {
  items_.emplace_back(json);
  return *this;
}

std::string JsonArray::str(bool one_a_line, int indent) const {
  if (items_.empty()) return "[]";
  const std::string pad(static_cast<std::size_t>(indent), ' ');
  std::string out = one_a_line ? "[\n" + pad : "[";
  for (std::size_t i = 0; i < items_.size(); ++i) {
    if (i > 0) out += one_a_line ? ",\n" + pad : ", ";
    out += items_[i];
  }
  if (one_a_line) out += "\n" + std::string(static_cast<std::size_t>(indent > 2 ? indent - 2 : 0), ' ');
  return out + "]";
}

}  // namespace sockchurn::bench
