// sockchurn-proxy --list-strategies: its backend strategies as data for the
// proxy section (scripts/proxy_section), each with its role from the
// strategy registry and how its connections end, so the section picks and
// pairs them by role and capability, never by name.
#pragma once

#include <string>

namespace sockchurn::proxy {

// One JSON document: {"strategy_roles": "NAME=ROLE,...", "strategies": [{"name",
// "role", "ends_with" (fin, rst, rst_unless_peer_fin: the registry's
// ends_with of how a backend connection ends, a pool's with close()),
// "keep_alive" (End::keep: a pool), "what"}, ...]}, registry order, the
// strategies the backend side serves (backend.hpp).
std::string strategy_list_json();

}  // namespace sockchurn::proxy
