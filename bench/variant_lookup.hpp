// A registry variant from its name as Variant::name() prints it, e.g.
// "tcp/reuse_unspec/engine:asio/flows:16/rpc:10/closer:client/port:bound"
// (the slice worker's --variant).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "model/registry.hpp"

namespace sockchurn::bench {

// The variant of `protocol` whose name() is exactly `name` (flows:N, rpc:N
// and ring:<set> at any value its engine and strategy take; a ring set
// names its features in ring_features() order); nullopt when none is.
std::optional<Variant> find_variant(Protocol protocol, std::string_view name);

// Every variant name of `protocol` at flows and rpc 1, comma-separated, for
// error messages.
std::string variant_names(Protocol protocol);

}  // namespace sockchurn::bench
