#include "process/flags.hpp"

#include <algorithm>

namespace sockchurn {

std::vector<std::string_view> split_list(std::string_view flag, std::string_view text) {
  const std::string whole(text);
  std::vector<std::string_view> items;
  for (;;) {
    const auto comma = text.find(',');
    items.push_back(text.substr(0, comma));
    if (items.back().empty()) throw UsageError(std::string(flag) + ": empty item in '" + whole + "'");
    if (comma == std::string_view::npos) return items;
    text.remove_prefix(comma + 1);
  }
}

Flags& Flags::value(std::string name, std::string metavar, std::string help, Setter set) {
  rows_.push_back({std::move(name), std::move(metavar), std::move(help), std::move(set), true, {}});
  return *this;
}

Flags& Flags::toggle(std::string name, std::string help, std::function<void()> set) {
  rows_.push_back({std::move(name), "", std::move(help), [set = std::move(set)](std::string_view) { set(); }, false, {}});
  return *this;
}

Flags& Flags::alias(std::string alias, const std::string& name) {
  for (Row& r : rows_) {
    if (r.name != name) continue;
    r.aliases.push_back(std::move(alias));
    break;
  }
  return *this;
}

const Flags::Row* Flags::find(std::string_view name) const {
  for (const Row& r : rows_)
    if (r.name == name || std::find(r.aliases.begin(), r.aliases.end(), name) != r.aliases.end()) return &r;
  return nullptr;
}

void Flags::parse(int& argc, char** argv, Unknown unknown) const {
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const auto eq = arg.starts_with("--") ? arg.find('=') : std::string_view::npos;
    const std::string_view name = arg.substr(0, eq);
    const Row* row = find(name);
    if (row == nullptr) {
      if (unknown == Unknown::reject) throw UsageError("unknown flag '" + std::string(arg) + "'");
      argv[kept++] = argv[i];
      continue;
    }
    std::string_view value;
    if (!row->takes_value) {
      if (eq != std::string_view::npos) throw UsageError(row->name + " takes no value");
    } else if (eq != std::string_view::npos) {
      value = arg.substr(eq + 1);
    } else if (i + 1 < argc) {
      value = argv[++i];
    }
    if (row->takes_value && value.empty())
      throw UsageError(row->name + " needs a value: " + row->name + "=" + row->metavar);
    try {
      row->set(value);
    } catch (const UsageError&) {
      throw;
    } catch (const std::invalid_argument& e) {
      throw UsageError(row->name + ": " + e.what());
    }
  }
  argc = kept;
  argv[argc] = nullptr;
}

std::string Flags::help() const {
  constexpr std::size_t kColumn = 27;
  std::string out;
  for (const Row& r : rows_) {
    std::string head = "  ";
    for (const std::string& a : r.aliases) head += a + ", ";
    head += r.name;
    if (r.takes_value) head += "=" + r.metavar;
    head += head.size() + 2 <= kColumn ? std::string(kColumn - head.size(), ' ') : "\n" + std::string(kColumn, ' ');
    std::string_view help = r.help;
    for (bool first = true; !help.empty() || first; first = false) {
      const auto nl = help.find('\n');
      out += (first ? head : std::string(kColumn, ' ')) + std::string(help.substr(0, nl)) + "\n";
      help = nl == std::string_view::npos ? std::string_view() : help.substr(nl + 1);
    }
  }
  return out;
}

}  // namespace sockchurn
