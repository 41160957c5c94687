#include "strategy_list.hpp"

#include <string_view>

#include "backend.hpp"
#include "model/registry.hpp"

namespace sockchurn::proxy {

namespace {

// Names and descriptions are plain ASCII without quotes or backslashes (the
// registry's names, backend.cpp's lines); escape them all the same.
std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string strategy_list_json() {
  std::string roles, rows;
  for (const StrategyInfo* s : backend_strategies()) {
    const std::string_view role = to_string(s->role);
    roles += (roles.empty() ? "" : ",") + std::string(s->name) + "=" + std::string(role);
    rows += std::string(rows.empty() ? "" : ",\n") + "    {\"name\": " + quoted(s->name) + ", \"role\": " +
            quoted(role) + ", \"ends_with\": " + quoted(ends_with(ending(s->tcp))) +
            ", \"keep_alive\": " + (pools(s->tcp) ? "true" : "false") + ", \"what\": " + quoted(backend_what(s->tcp)) +
            "}";
  }
  return "{\n  \"strategy_roles\": " + quoted(roles) + ",\n  \"strategies\": [\n" + rows + "\n  ]\n}\n";
}

}  // namespace sockchurn::proxy
