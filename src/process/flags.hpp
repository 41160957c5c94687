// One table-driven command-line parser for every program of the suite (the
// benchmark binaries, port_exhaustion, sockchurn-echo): each flag is a row
// with its name, value name, help text and what it sets; --help is generated
// from the same rows. Values are taken as --flag=VALUE or --flag VALUE.
#pragma once

#include <charconv>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace sockchurn {

// A mistake on the command line: the message is one line naming the flag.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// "a,b,c" -> items; an empty item ("a,,b", "a,") is a usage error.
std::vector<std::string_view> split_list(std::string_view flag, std::string_view text);

// A number in [lo, hi], the whole text: "--threads: 'abc' is not a number from 1 to 256".
template <typename T>
T parse_number(std::string_view flag, std::string_view text, T lo, T hi) {
  T value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !(value >= lo && value <= hi))
    throw UsageError(std::string(flag) + ": '" + std::string(text) + "' is not a number from " + std::to_string(lo) +
                     " to " + std::to_string(hi));
  return value;
}

template <typename T>
std::vector<T> parse_number_list(std::string_view flag, std::string_view text, T lo, T hi) {
  std::vector<T> out;
  for (const std::string_view item : split_list(flag, text)) out.push_back(parse_number<T>(flag, item, lo, hi));
  return out;
}

class Flags {
 public:
  using Setter = std::function<void(std::string_view)>;

  // --name=VALUE or --name VALUE. `help` may hold several lines ('\n').
  Flags& value(std::string name, std::string metavar, std::string help, Setter set);
  // --name, no value.
  Flags& toggle(std::string name, std::string help, std::function<void()> set);
  // Another spelling of a flag added before (e.g. "-o" for "--output").
  Flags& alias(std::string alias, const std::string& name);

  enum class Unknown { reject, keep };
  // Consumes the flags of the table from argv (argc and argv are updated,
  // argv[argc] stays nullptr). Unknown arguments are a UsageError, or with
  // Unknown::keep left in place in their order for another parser (Google
  // Benchmark's flags). A setter's exceptions (UsageError,
  // std::invalid_argument) become a UsageError naming the flag.
  void parse(int& argc, char** argv, Unknown unknown = Unknown::reject) const;

  // "  --name=METAVAR   help" lines, help aligned in one column.
  std::string help() const;

 private:
  struct Row {
    std::string name, metavar, help;
    Setter set;
    bool takes_value = true;
    std::vector<std::string> aliases;
  };
  const Row* find(std::string_view name) const;
  std::vector<Row> rows_;
};

}  // namespace sockchurn
