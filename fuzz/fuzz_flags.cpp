// The table-driven flag parser (src/process/flags.hpp) on arbitrary command lines:
// the input split on NUL bytes is argv[1..]. Two tables:
//  - the benchmark binaries' own (bench::parse_options, unknown flags kept
//    for Google Benchmark), for TCP and for UDP;
//  - a small table of every kind of row (number, list, endpoint, toggle,
//    alias, a setter throwing std::invalid_argument), unknown flags rejected.
// Each parse returns or throws sockchurn::UsageError whose message names a
// flag; anything else (another exception, a crash, a sanitizer report) is a
// finding. After a parse, argv holds argv[0] and the arguments left, in
// their order, ending in nullptr; what was parsed is within its limits.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "check.hpp"
#include "net/endpoint.hpp"
#include "model/exchange.hpp"
#include "process/flags.hpp"
#include "options.hpp"

using sockchurn::UsageError;
using sockchurn::fuzz::escaped;
using sockchurn::fuzz::require;

namespace {

// argv from the input: "fuzz_flags", then one argument per NUL-separated
// piece, each in an allocation of its own so that reading past one shows.
class Argv {
 public:
  explicit Argv(std::string_view input) {
    add("fuzz_flags");
    for (;;) {
      const auto nul = input.find('\0');
      add(input.substr(0, nul));
      if (nul == std::string_view::npos) break;
      input.remove_prefix(nul + 1);
    }
    pointers_.push_back(nullptr);
    original_ = pointers_;
  }

  int argc() const { return static_cast<int>(pieces_.size()); }
  char** argv() { return pointers_.data(); }

  std::string text() const {
    std::string out;
    for (std::size_t i = 1; i < pieces_.size(); ++i) out += (i > 1 ? " '" : "'") + escaped(pieces_[i].data()) + "'";
    return out;
  }

  // After parse(argc, argv): argv[0] in place, the arguments left are some
  // of the original ones in their order, then nullptr.
  void require_consistent(int argc, const std::string& what) const {
    require(argc >= 1 && argc <= this->argc(), what + ": argc " + std::to_string(argc));
    require(pointers_[0] == original_[0], what + ": argv[0] moved");
    require(pointers_[static_cast<std::size_t>(argc)] == nullptr, what + ": argv[argc] is not nullptr");
    std::size_t from = 1;
    for (int i = 1; i < argc; ++i) {
      const auto it = std::find(original_.begin() + static_cast<std::ptrdiff_t>(from), original_.end() - 1,
                                pointers_[static_cast<std::size_t>(i)]);
      require(it != original_.end() - 1, what + ": argv[" + std::to_string(i) + "] is not a later original argument");
      from = static_cast<std::size_t>(it - original_.begin()) + 1;
    }
  }

 private:
  void add(std::string_view piece) {
    pieces_.emplace_back(piece.begin(), piece.end());
    pieces_.back().push_back('\0');
    pointers_.push_back(pieces_.back().data());
  }
  std::vector<std::vector<char>> pieces_;
  std::vector<char*> pointers_;
  std::vector<char*> original_;
};

void require_names_a_flag(const UsageError& e, const std::string& what) {
  const std::string_view message = e.what();
  require(message.starts_with("--") || message.starts_with("unknown flag '"),
          what + " threw a UsageError that names no flag: " + escaped(message));
}

template <typename T>
bool all_within(const std::vector<T>& items, T lo, T hi) {
  return !items.empty() && std::all_of(items.begin(), items.end(), [&](T v) { return v >= lo && v <= hi; });
}

void fuzz_bench_options(std::string_view input, sockchurn::Protocol protocol) {
  Argv args(input);
  int argc = args.argc();
  const std::string what = std::string("bench::parse_options(") +
                           (protocol == sockchurn::Protocol::udp ? "udp" : "tcp") + ", " + args.text() + ")";
  sockchurn::bench::Options o;
  try {
    o = sockchurn::bench::parse_options(argc, args.argv(), protocol);
  } catch (const UsageError& e) {
    require_names_a_flag(e, what);
    return;
  }
  args.require_consistent(argc, what);
  const std::size_t max_payload = protocol == sockchurn::Protocol::udp ? sockchurn::kMaxUdpPayload : 1 << 20;
  require(all_within<std::size_t>(o.payloads, 1, max_payload), what + ": a payload out of range");
  require(all_within(o.threads, 1, 256), what + ": a thread count out of range");
  require(!o.placements.empty(), what + ": no placement");
  require(o.echo_threads >= 1 && o.echo_threads <= 64, what + ": --echo-threads " + std::to_string(o.echo_threads));
  require(o.stall_timeout_s >= 1 && o.stall_timeout_s <= 3600, what + ": --stall-timeout out of range");
  require(!o.server || o.server->port() != 0, what + ": --server with port 0");
  try {
    sockchurn::parse_host(o.listen);
  } catch (const std::invalid_argument& e) {
    sockchurn::fuzz::fail(what + " accepted --listen '" + escaped(o.listen) + "': " + e.what());
  }
}

void fuzz_table(std::string_view input) {
  int number = 0;
  std::vector<unsigned> list;
  sockchurn::Endpoint endpoint;
  bool toggled = false;
  sockchurn::Flags flags;
  flags.value("--number", "N", "a number", [&](std::string_view v) { number = sockchurn::parse_number<int>("--number", v, -5, 5); })
      .value("--list", "LIST", "numbers",
             [&](std::string_view v) { list = sockchurn::parse_number_list<unsigned>("--list", v, 1, 1000); })
      .value("--endpoint", "HOST:PORT", "throws std::invalid_argument",
             [&](std::string_view v) { endpoint = sockchurn::parse_endpoint(v); })
      .value("--even", "N", "a setter's own std::invalid_argument",
             [&](std::string_view v) {
               if (v.size() % 2 != 0) throw std::invalid_argument("odd length");
             })
      .toggle("--toggle", "no value", [&] { toggled = true; })
      .alias("-t", "--toggle")
      .alias("-n", "--number");
  Argv args(input);
  int argc = args.argc();
  const std::string what = "Flags::parse(" + args.text() + ")";
  try {
    flags.parse(argc, args.argv());
  } catch (const UsageError& e) {
    require_names_a_flag(e, what);
    return;
  }
  // Unknown arguments are rejected: nothing is left.
  args.require_consistent(argc, what);
  require(argc == 1, what + ": " + std::to_string(argc - 1) + " arguments left");
  require(number >= -5 && number <= 5, what + ": --number " + std::to_string(number));
  require(list.empty() || all_within<unsigned>(list, 1, 1000), what + ": --list out of range");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  fuzz_bench_options(input, sockchurn::Protocol::tcp);
  fuzz_bench_options(input, sockchurn::Protocol::udp);
  fuzz_table(input);
  return 0;
}
