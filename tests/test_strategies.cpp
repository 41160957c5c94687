// Every strategy of the registry runs 1,000 cycles against the
// in-process echo server with every echo checked byte for byte (the check is
// inside exchange(); a mismatch is an error outcome). The kernel-side effect
// that distinguishes the strategies is asserted too: which side keeps
// TIME_WAIT, and whether the reusing socket keeps its port.
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "echo_server.hpp"
#include "placement.hpp"
#include "sockops.hpp"
#include "exchange.hpp"
#include "support/strategy_cases.hpp"
#include "tcp_states.hpp"

using namespace sockchurn;

namespace {

constexpr int kCycles = 1000;

std::string case_name(const testing::TestParamInfo<test::StrategyCase>& info) {
  return test::strategy_case_name(info.param) + "_" + std::to_string(info.param.payload);
}

class StrategyCycles : public testing::TestWithParam<test::StrategyCase> {
 protected:
  echo::BackgroundServer server_;

  ExchangeConfig config() const { return test::strategy_case_config(GetParam(), server_.ports(), loopback_v4); }
};

TEST_P(StrategyCycles, ThousandVerifiedEchoes) {
  const ExchangeConfig cfg = config();
  auto ex = make_exchanger(cfg);
  for (int i = 0; i < kCycles; ++i) {
    const Outcome o = ex->exchange();
    ASSERT_TRUE(o.ok()) << "cycle " << i << ": " << o.describe();
  }
  EXPECT_EQ(ex->stale(), 0u);
}

// The cases: all of the matrix at 64 bytes, and the edges of payload size.
std::vector<test::StrategyCase> cases() {
  using test::variant_of;
  std::vector<test::StrategyCase> all = test::strategy_matrix();
  all.insert(all.end(), {{variant_of(Protocol::tcp, "reuse_unspec"), 1},
                         {variant_of(Protocol::tcp, "keepalive"), 60000},
                         {variant_of(Protocol::udp, "reuse_unspec", Closer::client, LocalPort::bound), 1},
                         {variant_of(Protocol::udp, "sendto"), 60000}});
  return all;
}
INSTANTIATE_TEST_SUITE_P(Matrix, StrategyCycles, testing::ValuesIn(cases()), case_name);

// TIME_WAIT after 100 cycles, counted on the server port, split by side.
struct TimeWait {
  int client_side = 0;  // remote port is the server's: the client closed first
  int server_side = 0;  // local port is the server's: the server closed first
};

TimeWait time_wait_after(const char* strategy, Closer closer) {
  echo::BackgroundServer server;
  const test::StrategyCase c{test::variant_of(Protocol::tcp, strategy, closer)};
  const ExchangeConfig cfg = test::strategy_case_config(c, server.ports(), loopback_v4);
  const std::uint16_t port = cfg.server.port();
  auto ex = make_exchanger(cfg);
  for (int i = 0; i < 100; ++i) {
    const Outcome o = ex->exchange();
    if (!o.ok()) ADD_FAILURE() << o.describe();
  }
  // Closing handshakes finish asynchronously: count once no socket on the
  // port is half-way (FIN_WAIT, CLOSE_WAIT, LAST_ACK, CLOSING), or after 3 s.
  TimeWait tw;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  for (bool settled = false; !settled && std::chrono::steady_clock::now() < deadline;) {
    tw = {};
    settled = true;
    for (const auto& sock : list_tcp_sockets()) {
      if (sock.local.port() != port && sock.remote.port() != port) continue;
      switch (sock.state) {
        case TcpState::time_wait:
          (sock.local.port() == port ? tw.server_side : tw.client_side)++;
          break;
        case TcpState::fin_wait1:
        case TcpState::fin_wait2:
        case TcpState::close_wait:
        case TcpState::last_ack:
        case TcpState::closing:
          settled = false;
          break;
        default:
          break;
      }
    }
    if (!settled) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return tw;
}

TEST(StrategyEffects, FreshCloseClientFirstLeavesTimeWaitOnTheClient) {
  const TimeWait tw = time_wait_after("fresh_close", Closer::client);
  EXPECT_EQ(tw.client_side, 100);
  EXPECT_EQ(tw.server_side, 0);
}

TEST(StrategyEffects, FreshCloseServerFirstLeavesTimeWaitOnTheServer) {
  const TimeWait tw = time_wait_after("fresh_close", Closer::server);
  EXPECT_EQ(tw.client_side, 0);
  EXPECT_EQ(tw.server_side, 100);
}

TEST(StrategyEffects, RstStrategiesLeaveNoTimeWait) {
  for (const char* s : {"fresh_linger0", "reuse_unspec"}) {
    const TimeWait client_first = time_wait_after(s, Closer::client);
    EXPECT_EQ(client_first.client_side + client_first.server_side, 0) << s << " closer:client";
    // The seed's advice: disconnect after read() returned 0 resets, so the
    // server's FIN_WAIT2 socket dies too.
    const TimeWait server_first = time_wait_after(s, Closer::server);
    EXPECT_EQ(server_first.client_side + server_first.server_side, 0) << s << " closer:server";
  }
}

// A test-local echo peer that records each client's port: with an explicit
// bind the reusing socket comes back from the same port every cycle; without
// one, each reconnect searches for an ephemeral port again.
std::set<std::uint16_t> client_ports_over_cycles(LocalPort lp, int cycles) {
  // One CPU for both ends: across CPUs the SYN of an immediate reconnect
  // from the same port is sometimes dropped and waits for a 1 s retransmit.
  pin_this_thread(cpu_plan(Placement::same).client);
  Fd listener = make_socket(AF_INET, SOCK_STREAM);
  bind_to(listener.get(), loopback_v4(0));
  EXPECT_EQ(::listen(listener.get(), 16), 0);
  std::set<std::uint16_t> ports;
  std::thread peer([&] {
    for (int i = 0; i < cycles; ++i) {
      Endpoint from;
      from.len = sizeof from.storage;
      Fd c(::accept(listener.get(), from.sa(), &from.len));
      if (!c) return;
      ports.insert(from.port());
      char buf[64];
      if (read_exact(c.get(), buf, sizeof buf) == 0) (void)write_all(c.get(), buf, sizeof buf);
      (void)read_eof(c.get());  // the client's RST ends it (ECONNRESET)
    }
  });
  auto ex = make_exchanger({test::variant_of(Protocol::tcp, "reuse_unspec", Closer::client, lp), 64,
                            local_endpoint(listener.get())});
  for (int i = 0; i < cycles; ++i) {
    const Outcome o = ex->exchange();
    if (!o.ok()) ADD_FAILURE() << "cycle " << i << ": " << o.describe();
  }
  peer.join();
  pin_this_thread(std::nullopt);
  return ports;
}

TEST(StrategyEffects, BoundReuseKeepsItsPort) {
  EXPECT_EQ(client_ports_over_cycles(LocalPort::bound, 20).size(), 1u);
}

TEST(StrategyEffects, EphemeralReuseGetsANewPortEachCycle) {
  EXPECT_GT(client_ports_over_cycles(LocalPort::ephemeral, 20).size(), 1u);
}

}  // namespace
