#include "variant_lookup.hpp"

#include <charconv>
#include <stdexcept>

namespace sockchurn::bench {

namespace {

// The text of segment "key:TEXT" of `name`, nullopt when it has none.
std::optional<std::string_view> segment(std::string_view name, std::string_view key) {
  std::size_t at = 0;
  while (at <= name.size()) {
    const std::size_t end = std::min(name.find('/', at), name.size());
    const std::string_view seg = name.substr(at, end - at);
    if (seg.starts_with(key) && seg.size() > key.size() && seg[key.size()] == ':') return seg.substr(key.size() + 1);
    at = end + 1;
  }
  return std::nullopt;
}

// The value of segment "key:N" of `name`, 1 when it has none, 0 when the
// value is not a whole number.
unsigned segment_value(std::string_view name, std::string_view key) {
  const auto v = segment(name, key);
  if (!v) return 1;
  unsigned n = 0;
  const auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  return ec == std::errc() && p == v->data() + v->size() ? n : 0;
}

}  // namespace

std::optional<Variant> find_variant(Protocol protocol, std::string_view name) {
  const unsigned flows = segment_value(name, "flows"), rpc = segment_value(name, "rpc");
  if (flows == 0 || rpc == 0) return std::nullopt;
  RingFeatures ring{};
  if (const auto text = segment(name, "ring")) {
    try {
      ring = parse_ring_features(*text);
    } catch (const std::invalid_argument&) {
      return std::nullopt;
    }
  }
  for (Variant v : variants(protocol)) {
    if (rpc != 1 && !v.takes_rpc()) continue;
    if (flows != 1 && !v.takes_flows()) continue;
    if (!ring.is_default && !v.takes_ring()) continue;
    v.flows = flows;
    v.rpc = rpc;
    v.ring = ring;
    if (v.name() == name) return v;
  }
  return std::nullopt;
}

std::string variant_names(Protocol protocol) {
  std::string names;
  for (const Variant& v : variants(protocol)) names += (names.empty() ? "" : ", ") + v.name();
  return names;
}

}  // namespace sockchurn::bench
