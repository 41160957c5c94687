#include "strategy_list.hpp"

#include <string_view>

#include "backend.hpp"
#include "model/registry.hpp"

namespace sockchurn::proxy {

namespace {

// Names and descriptions are plain ASCII without quotes or backslashes (the
// tables in backend.cpp and registry.cpp); escape them all the same.
std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string_view ends_with(BackendEnd e) {
  switch (e) {
    case BackendEnd::close: return "fin";
    case BackendEnd::linger0: return "rst";
    case BackendEnd::linger_unless_fin: return "rst_unless_peer_fin";
    case BackendEnd::unspec: return "rst";
  }
  return "?";
}

// The registry's role of the TCP strategy of that name (the proxy's rows
// are the registry's strategies on a proxy's backend side).
std::string_view role_of(std::string_view name) {
  const StrategyInfo* s = find_strategy(Protocol::tcp, name);
  return s == nullptr ? "reference" : to_string(s->role);
}

}  // namespace

std::string strategy_list_json() {
  std::string roles, rows;
  for (const BackendStrategy& s : backend_strategies()) {
    roles += (roles.empty() ? "" : ",") + std::string(s.name) + "=" + std::string(role_of(s.name));
    rows += std::string(rows.empty() ? "" : ",\n") + "    {\"name\": " + quoted(s.name) + ", \"role\": " +
            quoted(role_of(s.name)) + ", \"ends_with\": " + quoted(ends_with(s.end)) +
            ", \"keep_alive\": " + (s.keep_alive ? "true" : "false") + ", \"what\": " + quoted(s.what) + "}";
  }
  return "{\n  \"strategy_roles\": " + quoted(roles) + ",\n  \"strategies\": [\n" + rows + "\n  ]\n}\n";
}

}  // namespace sockchurn::proxy
