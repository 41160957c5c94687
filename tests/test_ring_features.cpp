// The io_uring engine's ring features as data: parsing (one-line errors),
// names (ring:<set> only off the default, round-tripping through the slice
// worker's name parser), the default's resolution, and what the kernel
// accepts.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "model/engines.hpp"
#include "model/registry.hpp"
#include "model/ring_features.hpp"
#include "variant_lookup.hpp"

using namespace sockchurn;

TEST(RingFeatures, EverySetParsesAndPrintsInTableOrder) {
  EXPECT_TRUE(parse_ring_features("default").is_default);
  EXPECT_EQ(parse_ring_features("none"), RingFeatures::none());
  for (const RingFeatureInfo& f : ring_features()) {
    const RingFeatures one = parse_ring_features(f.name);
    EXPECT_TRUE(one.has(f.feature) && !one.is_default) << f.name;
    EXPECT_EQ(to_string(one), f.name);
    EXPECT_EQ(f.name.find_first_of("/:+, "), std::string_view::npos) << f.name;
  }
  const RingFeatures both = parse_ring_features("fixedbuf+defer");
  EXPECT_TRUE(both.has(RingFeature::defer) && both.has(RingFeature::fixedbuf) && !both.has(RingFeature::coop));
  EXPECT_EQ(to_string(both), "defer+fixedbuf");  // table order, whatever the input's
  EXPECT_EQ(parse_ring_features(to_string(both)), both);
  EXPECT_EQ(to_string(RingFeatures{}), "default");
  EXPECT_EQ(to_string(RingFeatures::none()), "none");
}

TEST(RingFeatures, AnUnknownOrMalformedSetIsOneLine) {
  const auto message = [](const char* text) {
    try {
      parse_ring_features(text);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("(accepted)");
  };
  EXPECT_EQ(message("defr"),
            "ring: 'defr' is not a ring feature (none, coop, defer, sendzc, fixedbuf, default; combine features with +)");
  EXPECT_EQ(message("defer+zc").rfind("ring: 'defer+zc': 'zc' is not a ring feature (", 0), 0U) << message("defer+zc");
  EXPECT_EQ(message("defer+defer"), "ring: 'defer+defer': 'defer' is named twice");
  EXPECT_EQ(message("none+defer"), "ring: 'none+defer': 'none' stands alone: it takes no other feature");
  EXPECT_EQ(message("defer+default"), "ring: 'defer+default': 'default' stands alone: it takes no other feature");
  EXPECT_NE(message("defer+").find("'' is not a ring feature"), std::string::npos) << message("defer+");
  EXPECT_NE(message("").find("is not a ring feature"), std::string::npos);
  for (const char* bad : {"defr", "defer+defer", "none+defer", "", "Defer"})
    EXPECT_EQ(message(bad).find('\n'), std::string::npos) << bad;
}

TEST(RingFeatures, TheDefaultResolvesPerFlowsAndAnExplicitSetStays) {
  const RingFeatures explicit_set = parse_ring_features("coop+sendzc");
  for (const Protocol p : {Protocol::tcp, Protocol::udp})
    for (unsigned flows : {1U, 2U, 16U}) {
      EXPECT_EQ(explicit_set.resolved(p, flows), explicit_set);
      EXPECT_FALSE(RingFeatures{}.resolved(p, flows).is_default) << flows;
      // What a ring runs: an engine without ring features none; the
      // io_uring engine the set, or (the default only) a plain ring where
      // the kernel refuses the default's set.
      Variant v{find_strategy(p, "reuse_unspec"), Closer::client, LocalPort::ephemeral, Engine::blocking, flows};
      EXPECT_EQ(ring_used(v), RingFeatures::none());
      v.engine = Engine::uring;
      v.ring = explicit_set;
      EXPECT_EQ(ring_used(v), explicit_set);
      v.ring = RingFeatures{};
      const RingFeatures def = RingFeatures{}.resolved(p, flows);
      EXPECT_EQ(ring_used(v), engine_info(Engine::uring).ring_refused(def).empty() ? def : RingFeatures::none());
    }
}

TEST(RingFeatures, OnlyTheIoUringEngineTakesThemAndOnlyOffTheDefaultAreTheyNamed) {
  for (const EngineInfo& e : engines()) EXPECT_EQ(e.takes_ring(), e.id == Engine::uring) << e.name;
  Variant v{find_strategy(Protocol::tcp, "reuse_unspec"), Closer::client, LocalPort::ephemeral, Engine::uring};
  EXPECT_EQ(v.name(), "tcp/reuse_unspec/engine:uring/closer:client/port:ephemeral");  // the default: today's name
  v.flows = 16;
  v.ring = parse_ring_features("defer+fixedbuf");
  EXPECT_EQ(v.name(), "tcp/reuse_unspec/engine:uring/flows:16/ring:defer+fixedbuf/closer:client/port:ephemeral");
  v.ring = RingFeatures::none();
  EXPECT_EQ(v.group(), "tcp/reuse_unspec/engine:uring/flows:16/ring:none/closer:client");
  Variant blocking{find_strategy(Protocol::tcp, "reuse_unspec")};
  blocking.ring = RingFeatures::none();  // an engine without ring features ignores it
  EXPECT_EQ(blocking.name(), "tcp/reuse_unspec/closer:client/port:ephemeral");
}

TEST(RingFeatures, NamesWithRingRoundTripThroughTheNameParser) {
  for (const char* name : {"tcp/reuse_unspec/engine:uring/ring:defer/closer:client/port:ephemeral",
                           "tcp/fresh_linger0/engine:uring/flows:16/ring:coop+sendzc+fixedbuf/rpc:10/closer:server",
                           "udp/reuse_unspec/engine:uring/flows:16/ring:none/port:ephemeral",
                           "udp/sendto/engine:uring/ring:sendzc"}) {
    const Protocol p = name[0] == 't' ? Protocol::tcp : Protocol::udp;
    const auto v = bench::find_variant(p, name);
    ASSERT_TRUE(v) << name;
    EXPECT_EQ(v->name(), name);
    EXPECT_FALSE(v->ring.is_default) << name;
  }
  // Not a name any variant has: a ring on an engine without one, an
  // unknown feature, features out of table order, the default spelt out.
  for (const char* name : {"tcp/reuse_unspec/ring:defer/closer:client/port:ephemeral",
                           "tcp/reuse_unspec/engine:asio/flows:16/ring:defer/closer:client/port:ephemeral",
                           "tcp/reuse_unspec/engine:uring/ring:defr/closer:client/port:ephemeral",
                           "tcp/reuse_unspec/engine:uring/ring:fixedbuf+defer/closer:client/port:ephemeral",
                           "tcp/reuse_unspec/engine:uring/ring:default/closer:client/port:ephemeral"})
    EXPECT_FALSE(bench::find_variant(Protocol::tcp, name)) << name;
}

// What this kernel refuses is said in one line, naming the set; a plain
// ring and the default run wherever the engine does.
TEST(RingFeatures, TheKernelsRefusalsAreOneLine) {
  const EngineInfo& uring = engine_info(Engine::uring);
  if (!engine_unavailable(Engine::uring).empty()) GTEST_SKIP() << engine_unavailable(Engine::uring);
  EXPECT_EQ(uring.ring_refused(RingFeatures::none()), "");
  EXPECT_EQ(uring.ring_refused(RingFeatures{}), "");
  for (const char* set : {"coop", "defer", "sendzc", "fixedbuf", "coop+defer", "defer+sendzc+fixedbuf"}) {
    const std::string why = uring.ring_refused(parse_ring_features(set));
    EXPECT_EQ(why.find('\n'), std::string::npos) << why;
    if (!why.empty()) {
      EXPECT_EQ(why.rfind("ring:" + std::string(set) + ": ", 0), 0U) << why;
    }
  }
}
