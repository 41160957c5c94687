// The one command-line parser: both value forms, switches, aliases, unknown
// flags rejected or left for Google Benchmark, and one-line errors that name
// the flag.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "process/flags.hpp"

using namespace sockchurn;

namespace {

// argv from strings, with the trailing nullptr a real argv has.
struct Argv {
  explicit Argv(std::vector<std::string> args) : store(std::move(args)) {
    store.insert(store.begin(), "prog");
    for (auto& s : store) ptrs.push_back(s.data());
    ptrs.push_back(nullptr);
    argc = static_cast<int>(store.size());
  }
  std::vector<std::string> rest() const { return {ptrs.begin() + 1, ptrs.begin() + argc}; }
  std::vector<std::string> store;
  std::vector<char*> ptrs;
  int argc = 0;
};

struct Parsed {
  int threads = 0;
  std::string out;
  bool quiet = false;
};

Flags table(Parsed& p) {
  Flags f;
  f.value("--threads", "N", "threads\nsecond line", [&p](std::string_view v) { p.threads = parse_number<int>("--threads", v, 1, 64); })
      .value("--output", "FILE", "where", [&p](std::string_view v) { p.out = std::string(v); })
      .alias("-o", "--output")
      .toggle("--quiet", "hush", [&p] { p.quiet = true; });
  return f;
}

std::string usage_error(std::vector<std::string> args, Flags::Unknown unknown = Flags::Unknown::reject) {
  Parsed p;
  Argv a(std::move(args));
  try {
    table(p).parse(a.argc, a.ptrs.data(), unknown);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST(Flags, BothValueFormsSwitchesAndAliases) {
  Parsed p;
  Argv a({"--threads=4", "-o", "x.json", "--quiet"});
  table(p).parse(a.argc, a.ptrs.data());
  EXPECT_EQ(p.threads, 4);
  EXPECT_EQ(p.out, "x.json");
  EXPECT_TRUE(p.quiet);
  EXPECT_EQ(a.argc, 1);
  EXPECT_EQ(a.ptrs[1], nullptr);

  Parsed q;
  Argv b({"--threads", "8", "--output=y"});
  table(q).parse(b.argc, b.ptrs.data());
  EXPECT_EQ(q.threads, 8);
  EXPECT_EQ(q.out, "y");
}

TEST(Flags, UnknownFlagsAreKeptInOrderForAnotherParser) {
  Parsed p;
  Argv a({"--benchmark_filter=x", "--threads", "2", "--benchmark_repetitions=3", "plain"});
  table(p).parse(a.argc, a.ptrs.data(), Flags::Unknown::keep);
  EXPECT_EQ(p.threads, 2);
  EXPECT_EQ(a.rest(), (std::vector<std::string>{"--benchmark_filter=x", "--benchmark_repetitions=3", "plain"}));
  EXPECT_EQ(a.ptrs[static_cast<std::size_t>(a.argc)], nullptr);
}

TEST(Flags, ErrorsAreOneLineNamingTheFlag) {
  EXPECT_EQ(usage_error({"--frobnicate=1"}), "unknown flag '--frobnicate=1'");
  EXPECT_EQ(usage_error({"--threads"}), "--threads needs a value: --threads=N");
  EXPECT_EQ(usage_error({"--threads="}), "--threads needs a value: --threads=N");
  EXPECT_EQ(usage_error({"--threads=0"}), "--threads: '0' is not a number from 1 to 64");
  EXPECT_EQ(usage_error({"--threads", "4x"}), "--threads: '4x' is not a number from 1 to 64");
  EXPECT_EQ(usage_error({"--quiet=yes"}), "--quiet takes no value");
  EXPECT_EQ(usage_error({"--frobnicate"}, Flags::Unknown::keep), "no error");
}

TEST(Flags, HelpComesFromTheTable) {
  Parsed p;
  EXPECT_EQ(table(p).help(),
            "  --threads=N              threads\n"
            "                           second line\n"
            "  -o, --output=FILE        where\n"
            "  --quiet                  hush\n");
}

TEST(Flags, ListsOfNumbers) {
  EXPECT_EQ(parse_number_list<int>("--t", "1,2,16", 1, 16), (std::vector<int>{1, 2, 16}));
  EXPECT_THROW(parse_number_list<int>("--t", "1,,2", 1, 16), UsageError);
  EXPECT_THROW(parse_number_list<int>("--t", "1,", 1, 16), UsageError);
  try {
    parse_number_list<int>("--t", "1,17", 1, 16);
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "--t: '17' is not a number from 1 to 16");
  }
}
