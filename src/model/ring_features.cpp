#include "model/ring_features.hpp"

#include <algorithm>
#include <stdexcept>

#include "model/registry.hpp"

namespace sockchurn {

namespace {

constexpr RingFeatureInfo kFeatures[] = {
    {RingFeature::coop, "coop", "IORING_SETUP_COOP_TASKRUN: completions' task work runs at the next io_uring_enter, no IPI"},
    {RingFeature::defer, "defer",
     "IORING_SETUP_SINGLE_ISSUER|IORING_SETUP_DEFER_TASKRUN: completions' task work runs only when the one "
     "submitting thread waits"},
    {RingFeature::sendzc, "sendzc", "IORING_OP_SEND_ZC for the payload's send (a second completion says the buffer is free)"},
    {RingFeature::fixedbuf, "fixedbuf",
     "registered buffers: the payload written and read with WRITE_FIXED / READ_FIXED (SEND_ZC with a fixed buffer "
     "alongside sendzc)"},
};

// The default's set: what won beyond its interval against a plain ring,
// paired, per protocol and one or many flows (docs/uring-features.md).
struct DefaultSet {
  Protocol protocol{};
  bool many_flows = false;
  RingFeatures set;
};
// 2-vCPU VM, kernel 6.18, one client thread, client and server on one CPU:
// defer cut client CPU per exchange by 2-6% at one flow (TCP reuse_unspec
// and fresh_linger0, UDP reuse_unspec) and by 30% for UDP at 16 flows, but
// added 15-28% for TCP at 16 flows; coop, sendzc and fixedbuf won nowhere
// beyond their intervals in both runs.
constexpr RingFeatures kDefer = RingFeatures::none().with(RingFeature::defer);
constexpr DefaultSet kDefaults[] = {
    {Protocol::tcp, false, kDefer},
    {Protocol::tcp, true, RingFeatures::none()},
    {Protocol::udp, false, kDefer},
    {Protocol::udp, true, kDefer},
};

std::string feature_names() {
  std::string out = "none";
  for (const RingFeatureInfo& f : kFeatures) out += ", " + std::string(f.name);
  return out + ", default";
}

// "ring: 'TEXT': WHY", or "ring: WHY" when WHY names all of TEXT.
[[noreturn]] void refuse(std::string_view text, std::string_view part, const std::string& why) {
  const std::string quoted = "'" + std::string(part) + "' " + why;
  throw std::invalid_argument("ring: " + (part == text ? quoted : "'" + std::string(text) + "': " + quoted));
}

}  // namespace

std::span<const RingFeatureInfo> ring_features() { return kFeatures; }

RingFeatures RingFeatures::resolved(Protocol protocol, unsigned flows) const noexcept {
  if (!is_default) return *this;
  for (const DefaultSet& d : kDefaults)
    if (d.protocol == protocol && d.many_flows == (flows > 1)) return d.set;
  return none();
}

std::string to_string(RingFeatures r) {
  if (r.is_default) return "default";
  std::string out;
  for (const RingFeatureInfo& f : kFeatures)
    if (r.has(f.feature)) out += (out.empty() ? "" : "+") + std::string(f.name);
  return out.empty() ? "none" : out;
}

RingFeatures parse_ring_features(std::string_view text) {
  if (text == "default") return {};
  if (text == "none") return RingFeatures::none();
  RingFeatures out = RingFeatures::none();
  std::size_t at = 0;
  while (at <= text.size()) {
    const std::size_t end = std::min(text.find('+', at), text.size());
    const std::string_view name = text.substr(at, end - at);
    const RingFeatureInfo* found = nullptr;
    for (const RingFeatureInfo& f : kFeatures)
      if (f.name == name) found = &f;
    if (found == nullptr) {
      if (name == "none" || name == "default") refuse(text, name, "stands alone: it takes no other feature");
      refuse(text, name, "is not a ring feature (" + feature_names() + "; combine features with +)");
    }
    if (out.has(found->feature)) refuse(text, name, "is named twice");
    out = out.with(found->feature);
    at = end + 1;
  }
  return out;
}

}  // namespace sockchurn
