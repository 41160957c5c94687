// The io_uring engine's ring features as data: which of what a ring offers
// beyond a plain ring a run uses. A set of them is the `ring:` part of a
// benchmark name ("ring:defer+fixedbuf") and a value of --ring; the io_uring
// engine interprets it (engines/uring/: setup flags, opcodes, registered
// buffers). Each feature was measured against a plain ring before the
// default kept it: docs/uring-features.md.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace sockchurn {

enum class Protocol;  // model/registry.hpp

enum class RingFeature : std::uint8_t {
  coop,      // IORING_SETUP_COOP_TASKRUN
  defer,     // IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN
  sendzc,    // IORING_OP_SEND_ZC for the payload's send
  fixedbuf,  // registered buffers: READ_FIXED / WRITE_FIXED for the payload
};

struct RingFeatureInfo {
  RingFeature feature;
  std::string_view name;  // in names and on the command line
  std::string_view what;  // one line: what the ring does with it
};

// Every feature, in the order a set's name lists them.
std::span<const RingFeatureInfo> ring_features();

// A set of features, or the default: the set docs/uring-features.md found
// best for the run's protocol and flows (resolved()). Only a set that is not the default
// is named (ring:<set>), so the default's rows keep the names they had
// before ring features existed.
struct RingFeatures {
  bool is_default = true;
  std::uint8_t bits = 0;  // 1 << RingFeature, when not the default

  static constexpr RingFeatures none() noexcept { return {false, 0}; }
  bool has(RingFeature f) const noexcept { return (bits & bit(f)) != 0; }
  constexpr RingFeatures with(RingFeature f) const noexcept { return {false, static_cast<std::uint8_t>(bits | bit(f))}; }
  // The set a run asks for: the default's for `protocol` at `flows`
  // connections per ring (kept because it won, docs/uring-features.md),
  // any other as it is. (engines.hpp's ring_used() says what a ring runs.)
  RingFeatures resolved(Protocol protocol, unsigned flows) const noexcept;
  bool operator==(const RingFeatures&) const = default;

  static constexpr std::uint8_t bit(RingFeature f) noexcept { return static_cast<std::uint8_t>(1U << static_cast<unsigned>(f)); }
};

// "default", "none", or the features joined by '+' in ring_features() order
// ("defer+fixedbuf").
std::string to_string(RingFeatures r);

// "default", "none" or features joined by '+', in any order, each once.
// Throws std::invalid_argument with one line ("ring: 'defr' is not a
// feature: none, coop, defer, sendzc, fixedbuf, default; combine with +").
RingFeatures parse_ring_features(std::string_view text);

}  // namespace sockchurn
