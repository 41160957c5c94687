// Every strategy of the registry runs 1,000 cycles against the
// in-process echo server with every echo checked byte for byte (the check is
// inside exchange(); a mismatch is an error outcome). The kernel-side effect
// that distinguishes the strategies is asserted too: which side keeps
// TIME_WAIT, and whether the reusing socket keeps its port.
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <chrono>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "echo_server.hpp"
#include "process/placement.hpp"
#include "net/sockops.hpp"
#include "model/engines.hpp"
#include "model/exchange.hpp"
#include "support/strategy_cases.hpp"
#include "observe/sysinfo.hpp"
#include "observe/tcp_states.hpp"

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

TimeWait time_wait_after(const char* strategy, Closer closer, Engine engine) {
  echo::BackgroundServer server;
  test::StrategyCase c{test::variant_of(Protocol::tcp, strategy, closer)};
  c.variant.engine = engine;
  const ExchangeConfig cfg = test::strategy_case_config(c, server.ports(), loopback_v4);
  const std::uint16_t port = cfg.server.port();
  auto ex = make_exchanger(cfg);
  for (int i = 0; i < 100; ++i) {
    const Outcome o = ex->exchange();
    if (!o.ok()) ADD_FAILURE() << o.describe();
  }
  ex->finish();  // keepalive's reset
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

// Which side keeps TIME_WAIT after 100 cycles, per strategy and closer: the
// side that sent the first FIN, none where the connection ends with a RST;
// the same in every engine that runs TCP.
struct TimeWaitCase {
  const char* strategy;
  Closer closer;
  int client_side;
  int server_side;
};

class StrategyTimeWait : public testing::TestWithParam<std::tuple<TimeWaitCase, Engine>> {};

TEST_P(StrategyTimeWait, OnTheSideThatClosedFirstOrNowhere) {
  const auto& [c, engine] = GetParam();
  if (const std::string why = engine_unavailable(engine); !why.empty()) GTEST_SKIP() << why;
  const TimeWait tw = time_wait_after(c.strategy, c.closer, engine);
  EXPECT_EQ(tw.client_side, c.client_side);
  EXPECT_EQ(tw.server_side, c.server_side);
}

std::vector<Engine> tcp_engines() {
  std::vector<Engine> out;
  for (const EngineInfo& e : engines())
    if (e.tcp) out.push_back(e.id);
  return out;
}

constexpr Closer kClient = Closer::client, kServer = Closer::server;
INSTANTIATE_TEST_SUITE_P(
    StrategyEffects, StrategyTimeWait,
    testing::Combine(testing::Values(
        // FIN closes: TIME_WAIT on whoever closed first.
        TimeWaitCase{"fresh_close", kClient, 100, 0}, TimeWaitCase{"fresh_close", kServer, 0, 100},
        TimeWaitCase{"shutdown_drain", kClient, 100, 0}, TimeWaitCase{"shutdown_drain", kServer, 0, 100},
        TimeWaitCase{"bind_no_port", kClient, 100, 0}, TimeWaitCase{"bind_no_port", kServer, 0, 100},
        // RST ends: none anywhere — also after the server's FIN (the seed's
        // advice: the reset kills the server's FIN_WAIT2 socket too).
        TimeWaitCase{"fresh_linger0", kClient, 0, 0}, TimeWaitCase{"fresh_linger0", kServer, 0, 0},
        TimeWaitCase{"reuse_unspec", kClient, 0, 0}, TimeWaitCase{"reuse_unspec", kServer, 0, 0},
        TimeWaitCase{"port_range", kClient, 0, 0}, TimeWaitCase{"port_range", kServer, 0, 0},
        // HAProxy's rule: reset while the peer's FIN is unread, else close():
        // no TIME_WAIT where the client ends, the server keeps it where it
        // closed first.
        TimeWaitCase{"conditional_linger", kClient, 0, 0}, TimeWaitCase{"conditional_linger", kServer, 0, 100},
        // keepalive: one connection, reset by finish().
        TimeWaitCase{"keepalive", kClient, 0, 0}),
                     testing::ValuesIn(tcp_engines())),
    [](const testing::TestParamInfo<std::tuple<TimeWaitCase, Engine>>& info) {
      const TimeWaitCase& c = std::get<0>(info.param);
      return std::string(c.strategy) + "_closer_" + std::string(to_string(c.closer)) + "_" +
             std::string(to_string(std::get<1>(info.param)));
    });

// A test-local echo peer that records each client's port: with an explicit
// bind the reusing socket comes back from the same port every cycle; without
// one, each reconnect searches for an ephemeral port again.
std::set<std::uint16_t> client_ports_over_cycles(const Variant& variant, int cycles) {
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
  auto ex = make_exchanger({variant, 64, local_endpoint(listener.get())});
  for (int i = 0; i < cycles; ++i) {
    const Outcome o = ex->exchange();
    if (!o.ok()) ADD_FAILURE() << "cycle " << i << ": " << o.describe();
  }
  peer.join();
  pin_this_thread(std::nullopt);
  return ports;
}

// The variant in each engine that runs it here, for the port tests below.
std::vector<Variant> in_each_engine(const Variant& v) {
  std::vector<Variant> out;
  for (const EngineInfo& e : engines()) {
    Variant in_e = v;
    in_e.engine = e.id;
    if (gap(in_e).empty() && e.unavailable().empty()) out.push_back(in_e);
  }
  return out;
}

Variant reuse(LocalPort port) { return test::variant_of(Protocol::tcp, "reuse_unspec", Closer::client, port); }

TEST(StrategyEffects, BoundReuseKeepsItsPort) {
  for (const Variant& v : in_each_engine(reuse(LocalPort::bound)))
    EXPECT_EQ(client_ports_over_cycles(v, 20).size(), 1u) << v.name();
}

TEST(StrategyEffects, EphemeralReuseGetsANewPortEachCycle) {
  for (const Variant& v : in_each_engine(reuse(LocalPort::ephemeral)))
    EXPECT_GT(client_ports_over_cycles(v, 20).size(), 1u) << v.name();
}

// bind() with IP_BIND_ADDRESS_NO_PORT reserves no port: each connect picks
// one (a new one each cycle: the last is in TIME_WAIT).
TEST(StrategyEffects, BindNoPortGetsANewPortEachCycle) {
  for (const Variant& v : in_each_engine(test::variant_of(Protocol::tcp, "bind_no_port")))
    EXPECT_EQ(client_ports_over_cycles(v, 20).size(), 20u) << v.name();
}

void expect_ports_in_one_slice(const std::set<std::uint16_t>& ports) {
  unsigned lo = 0, hi = 0;
  std::istringstream(read_sysctl("net.ipv4.ip_local_port_range")) >> lo >> hi;
  ASSERT_GT(hi, lo);
  ASSERT_EQ(ports.size(), 40u);
  const unsigned width = (hi - lo + 1) / 16;
  EXPECT_GE(*ports.begin(), lo);
  EXPECT_LE(*ports.rbegin(), hi);
  EXPECT_LT(*ports.rbegin() - *ports.begin(), width) << *ports.begin() << ".." << *ports.rbegin();
  EXPECT_EQ((*ports.begin() - lo) / width, (*ports.rbegin() - lo) / width) << "ports from two slices";
}

// IP_LOCAL_PORT_RANGE: every port the strategy's exchanger gets lies in one
// sixteenth of ip_local_port_range.
TEST(StrategyEffects, PortRangeStaysInItsSlice) {
  for (const Variant& v : in_each_engine(test::variant_of(Protocol::tcp, "port_range"))) {
    SCOPED_TRACE(v.name());
    expect_ports_in_one_slice(client_ports_over_cycles(v, 40));
  }
}


// Requests per connection: 100 exchanges at rpc:10 are 10 connections, in
// every engine, for every strategy that ends connections (the server counts
// the connections it accepted: the kernel's TcpActiveOpens are 1/10 per exchange);
// at flows:1 exactly 10; an engine's flows (Asio, io_uring) each hold one
// connection at a time, so with 4 flows at most 3 connections more are
// begun than 10 (each flow's last).
struct RpcCase {
  Variant variant;
};

std::vector<RpcCase> rpc_cases() {
  std::vector<RpcCase> out;
  for (const Variant& base : variants(Protocol::tcp)) {
    if (!base.takes_rpc() || base.port != LocalPort::ephemeral) continue;
    for (unsigned flows : {1u, 4u}) {
      if (flows != 1 && !base.takes_flows()) continue;
      Variant v = base;
      v.rpc = 10;
      v.flows = flows;
      out.push_back({v});
    }
  }
  return out;
}

class RequestsPerConnection : public testing::TestWithParam<RpcCase> {};

// With closer:server the client talks to the close-after-10 port: the
// server ends each connection after its 10th echo.
TEST_P(RequestsPerConnection, HundredExchangesAtTenPerConnection) {
  echo::Config config;
  config.close_after = {10};
  echo::BackgroundServer server(config);
  const Variant& v = GetParam().variant;
  ASSERT_EQ(server.ports().tcp_after.size(), 1u);
  const std::uint16_t port = v.server_closes() ? server.ports().tcp_after[0].second : server.ports().tcp;
  auto ex = make_exchanger({v, 64, loopback_v4(port)});
  for (int i = 0; i < 100; ++i) {
    const Outcome o = ex->exchange();
    ASSERT_TRUE(o.ok()) << "exchange " << i << ": " << o.describe();
  }
  ex.reset();
  // The server counts a connection when it accepts it: wait for the last.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (server.stats().accepted < 10 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_GE(server.stats().accepted, 10u);
  EXPECT_LE(server.stats().accepted, 10u + v.flows - 1);
}

INSTANTIATE_TEST_SUITE_P(Matrix, RequestsPerConnection, testing::ValuesIn(rpc_cases()),
                         [](const testing::TestParamInfo<RpcCase>& info) {
                           return test::strategy_case_name({info.param.variant});
                         });

// A requests-per-connection value where the strategy keeps its connection,
// or flows in an engine without them, is refused rather than ignored.
TEST(RequestsPerConnection, RefusedWhereItMeansNothing) {
  Variant keep = test::variant_of(Protocol::tcp, "keepalive");
  keep.rpc = 10;
  EXPECT_THROW(make_exchanger({keep, 64, loopback_v4(9)}), std::invalid_argument);
  Variant blocking = test::variant_of(Protocol::tcp, "fresh_close");
  blocking.flows = 4;
  EXPECT_THROW(make_exchanger({blocking, 64, loopback_v4(9)}), std::invalid_argument);
  blocking.flows = 1;
  blocking.rpc = 0;
  EXPECT_THROW(make_exchanger({blocking, 64, loopback_v4(9)}), std::invalid_argument);
}

// A server that resets every other connection in the middle of its
// exchange (SO_LINGER {1,0} and close after reading, before echoing): each
// engine reports ECONNRESET (or EOF where the reset comes after the read
// began) for that exchange and goes on with the next, at any flows.
class ResetMidCycle : public testing::TestWithParam<RpcCase> {};

TEST_P(ResetMidCycle, CountedByErrnoAndTheFlowGoesOn) {
  Fd listener = make_socket(AF_INET, SOCK_STREAM);
  bind_to(listener.get(), loopback_v4(0));
  ASSERT_EQ(::listen(listener.get(), 64), 0);
  const Variant& v = GetParam().variant;
  constexpr int kConnections = 40;
  std::thread peer([&] {
    for (int i = 0; i < kConnections; ++i) {
      Fd c(::accept(listener.get(), nullptr, nullptr));
      if (!c) return;
      char buf[64];
      if (read_exact(c.get(), buf, sizeof buf) != 0) continue;
      if (i % 2 == 1) {
        set_linger0(c.get());  // the reset, as `c` closes
        continue;
      }
      (void)write_all(c.get(), buf, sizeof buf);
      (void)read_eof(c.get());  // until the client ends the connection
    }
  });
  auto ex = make_exchanger({v, 64, local_endpoint(listener.get())});
  int ok = 0, reset = 0;
  for (int i = 0; i < kConnections - static_cast<int>(v.flows); ++i) {
    const Outcome o = ex->exchange();
    if (o.ok()) ++ok;
    else if (o.err == ECONNRESET || o.err == kEof) ++reset;
    else ADD_FAILURE() << "exchange " << i << ": " << o.describe();
  }
  ex.reset();
  ::shutdown(listener.get(), SHUT_RDWR);  // ends the peer's accept if it waits for more
  peer.join();
  EXPECT_GT(ok, 0);
  EXPECT_GT(reset, 0);
  EXPECT_EQ(ok + reset, kConnections - static_cast<int>(v.flows));
}

std::vector<RpcCase> reset_cases() {
  std::vector<RpcCase> out;
  for (const char* name : {"fresh_close", "reuse_unspec"})
    for (const EngineInfo& e : engines())
      for (unsigned flows : {1u, 4u}) {
        if (flows != 1 && !e.flows) continue;
        Variant v = test::variant_of(Protocol::tcp, name);
        v.engine = e.id;
        v.flows = flows;
        out.push_back({v});
      }
  return out;
}

INSTANTIATE_TEST_SUITE_P(Engines, ResetMidCycle, testing::ValuesIn(reset_cases()),
                         [](const testing::TestParamInfo<RpcCase>& info) {
                           return test::strategy_case_name({info.param.variant});
                         });

}  // namespace
