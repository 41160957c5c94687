// The strategies over IPv6: every TCP and UDP strategy of strategies.hpp runs
// 200 cycles against the in-process echo server listening on ::1 only, every
// echo checked byte for byte (inside exchange()), and the server's counters
// confirm the traffic reached it. Plus a smoke run of the port_exhaustion
// binary against [::1] and its errors for bad flags and an unreachable server.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "echo_server.hpp"
#include "model/exchange.hpp"
#include "support/strategy_cases.hpp"

using namespace sockchurn;

namespace {

constexpr int kCycles = 200;

std::string case_name(const testing::TestParamInfo<test::StrategyCase>& info) {
  return test::strategy_case_name(info.param);
}

echo::Config v6_config() {
  echo::Config cfg;
  cfg.listen = "::1";
  return cfg;
}

class Ipv6Cycles : public testing::TestWithParam<test::StrategyCase> {
 protected:
  echo::BackgroundServer server_{v6_config()};
};

TEST_P(Ipv6Cycles, TwoHundredVerifiedEchoes) {
  const test::StrategyCase& c = GetParam();
  const ExchangeConfig cfg = test::strategy_case_config(c, server_.ports(), loopback_v6);
  ASSERT_EQ(cfg.server.family(), AF_INET6);

  auto ex = make_exchanger(cfg);
  for (int i = 0; i < kCycles; ++i) {
    const Outcome o = ex->exchange();
    ASSERT_TRUE(o.ok()) << "cycle " << i << ": " << o.describe();
  }
  EXPECT_EQ(ex->stale(), 0u);

  // The server listens on ::1 only: what it counted came over IPv6.
  const auto stats = server_.stats();
  if (c.variant.protocol() == Protocol::udp) {
    EXPECT_EQ(stats.udp_datagrams, static_cast<std::uint64_t>(kCycles));
  } else {
    // A TCP reference (keepalive) holds one connection; every other strategy
    // makes one per cycle.
    const bool one_connection = c.variant.strategy->role == Role::reference;
    EXPECT_EQ(stats.accepted, one_connection ? 1u : static_cast<std::uint64_t>(kCycles));
  }
}

// The whole matrix, at 64 bytes.
INSTANTIATE_TEST_SUITE_P(AllStrategies, Ipv6Cycles, testing::ValuesIn(test::strategy_matrix()), case_name);

// port_exhaustion is built into the same directory as this test.
std::string exhaustion_binary() {
  char self[PATH_MAX] = {};
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  std::string dir = n > 0 ? std::string(self, static_cast<std::size_t>(n)) : std::string();
  return dir.substr(0, dir.rfind('/') + 1) + "port_exhaustion";
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Runs port_exhaustion with `args` (shell words); returns its exit status
// and its standard error.
int run_exhaustion(const std::string& args, std::string* err) {
  char tmpl[] = "/tmp/test_ipv6_exhaustion_err_XXXXXX";
  const int fd = ::mkstemp(tmpl);
  if (fd < 0) return -1;
  ::close(fd);
  const std::string cmd = "'" + exhaustion_binary() + "' " + args + " 2>'" + tmpl + "'";
  const int status = std::system(cmd.c_str());
  if (err) *err = slurp(tmpl);
  ::unlink(tmpl);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

class ExhaustionBinary : public testing::Test {
 protected:
  void SetUp() override {
    if (::access(exhaustion_binary().c_str(), X_OK) != 0)
      FAIL() << exhaustion_binary() << " is missing: build the port_exhaustion target";
  }
};

TEST_F(ExhaustionBinary, OneSecondOverIpv6PerStrategy) {
  for (const char* strategy : {"fresh_close", "fresh_linger0", "reuse_unspec"}) {
    SCOPED_TRACE(strategy);
    // A server (so a port) of its own: fresh_close's TIME_WAIT toward the
    // previous one must not be counted for the next strategy.
    echo::BackgroundServer echo_server{v6_config()};
    const std::string out = testing::TempDir() + "/exhaustion_v6_" + strategy + ".json";
    std::string err;
    const std::string server = "[::1]:" + std::to_string(echo_server.ports().tcp);
    ASSERT_EQ(run_exhaustion("--server=" + server + " --strategy=" + strategy + " --seconds=1 --quiet -o '" + out + "'", &err), 0)
        << err;
    const std::string json = slurp(out);
    std::remove(out.c_str());
    EXPECT_NE(json.find("\"address_family\": \"ipv6\""), std::string::npos) << json;
    EXPECT_NE(json.find("\"server\": \"" + server + "\""), std::string::npos) << json;
    EXPECT_NE(json.find("\"strategy\": \"" + std::string(strategy) + "\""), std::string::npos) << json;
    std::smatch m;
    const std::regex second(R"re(\{"second": 1, "exchanges": (\d+), "time_wait": (-?\d+), "cpu_ms": [0-9.e+-]+, "errors": \{\}\})re");
    ASSERT_TRUE(std::regex_search(json, m, second)) << "one second, no errors expected:\n" << json;
    EXPECT_GT(std::stoull(m[1]), 100u) << json;
    // Client-first close leaves TIME_WAIT on the client, toward [::1]:port;
    // the RST strategies (and the RST-closed probe) leave none.
    if (std::string(strategy) == "fresh_close") EXPECT_GT(std::stoi(m[2]), 0) << json;
    else EXPECT_EQ(std::stoi(m[2]), 0) << json;
    EXPECT_EQ(json.find("\"second\": 2"), std::string::npos) << "more than --seconds=1 recorded";
  }
}

TEST_F(ExhaustionBinary, ClearErrors) {
  std::string err;
  EXPECT_EQ(run_exhaustion("--strategy=fresh_close", &err), 2);
  EXPECT_NE(err.find("--server=HOST:PORT is required"), std::string::npos) << err;
  EXPECT_EQ(run_exhaustion("--server='[::1]' --seconds=1", &err), 2);
  EXPECT_NE(err.find("--server"), std::string::npos) << err;
  EXPECT_EQ(run_exhaustion("--server='[::1]:7' --strategy=keepalive", &err), 2);
  EXPECT_NE(err.find("is not one of fresh_close, fresh_linger0, reuse_unspec"), std::string::npos) << err;
  EXPECT_EQ(run_exhaustion("--server='[::1]:7' --seconds=0", &err), 2);
  EXPECT_EQ(run_exhaustion("--server='[::1]:7' --frobnicate=1", &err), 2);
  EXPECT_NE(err.find("unknown flag '--frobnicate=1'"), std::string::npos) << err;
  // Port 1 (tcpmux): nothing listens there.
  EXPECT_EQ(run_exhaustion("--server='[::1]:1' --seconds=1", &err), 1);
  EXPECT_NE(err.find("cannot reach the echo server at [::1]:1 (tcp): ECONNREFUSED"), std::string::npos) << err;
}

}  // namespace
