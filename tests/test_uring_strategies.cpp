// The io_uring exchangers (src/uring_exchange.hpp, src/uring_udp_exchange.hpp)
// against the in-process echo server (IPv4; a few cases on IPv6 too): 1,000
// TCP and 10,000 UDP cycles each with every echo checked byte for byte (the
// check is inside exchange()), no direct descriptor or file descriptor left
// behind, and the kernel-side effect of each close: which side keeps
// TIME_WAIT. For UDP also a scripted peer: stale datagrams, a corrupted or
// truncated echo, a lost datagram, a refused port.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <netinet/in.h>
#include <sys/socket.h>

#include "echo_server.hpp"
#include "net/fd.hpp"
#include "support/echo_client.hpp"
#include "support/scripted_peer.hpp"
#include "observe/tcp_states.hpp"
#include "engines/uring/uring_tcp.hpp"
#include "engines/uring/uring_udp.hpp"

namespace sockchurn {
namespace {

constexpr int kCycles = 1000;

enum class Kind { fresh_close, fresh_linger0, reuse_unspec, keepalive };

struct Case {
  Kind kind;
  bool server_closes;
  std::size_t payload = 64;
  bool v6 = false;  // ::1 instead of 127.0.0.1
};

std::unique_ptr<UringTcpExchanger> make(Kind kind, const UringTcpConfig& cfg) {
  switch (kind) {
    case Kind::fresh_close: return std::make_unique<UringFreshClose>(cfg);
    case Kind::fresh_linger0: return std::make_unique<UringFreshLinger0>(cfg);
    case Kind::reuse_unspec: return std::make_unique<UringReuseUnspec>(cfg);
    case Kind::keepalive: return std::make_unique<UringKeepalive>(cfg);
  }
  return nullptr;
}

std::string kind_name(Kind k) {
  switch (k) {
    case Kind::fresh_close: return "fresh_close";
    case Kind::fresh_linger0: return "fresh_linger0";
    case Kind::reuse_unspec: return "reuse_unspec";
    case Kind::keepalive: return "keepalive";
  }
  return "?";
}

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  return kind_name(info.param.kind) + (info.param.server_closes ? "_closer_server" : "") + "_" +
         std::to_string(info.param.payload) + (info.param.v6 ? "_v6" : "");
}

// The config of `c` against `server`: the echo-once port when the server closes.
UringTcpConfig config(const Case& c, const echo::BackgroundServer& server) {
  const auto ports = server.ports();
  const std::uint16_t port = c.server_closes ? ports.tcp_once : ports.tcp;
  return {c.v6 ? loopback_v6(port) : loopback_v4(port), c.payload, c.server_closes};
}

// close_direct of the exchanger's slot: "0" if it held a socket, "EBADF" if empty.
std::string close_slot(UringTcpExchanger& ex) {
  io_uring_prep_close_direct(&ex.ring().prepare(), UringTcpExchanger::kSlot);
  const int res = ex.ring().run()[0];
  return res < 0 ? errno_name(-res) : std::to_string(res);
}

class UringStrategies : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    if (const std::string missing = uring_support(); !missing.empty()) GTEST_SKIP() << missing;
  }
  echo::BackgroundServer server_{echo::Config{.listen = GetParam().v6 ? "::1" : "127.0.0.1"}};
};

TEST_P(UringStrategies, ThousandVerifiedEchoesAndNothingLeftBehind) {
  const Case c = GetParam();
  const std::size_t fds = test::open_fds();
  auto ex = make(c.kind, config(c, server_));
  for (int i = 0; i < kCycles; ++i) {
    const Outcome o = ex->exchange();
    if (c.kind == Kind::fresh_linger0 && i == 0 && o.err == EOPNOTSUPP)
      GTEST_SKIP() << "SO_LINGER through the ring: " << o.describe() << " (needs kernel 6.7+)";
    ASSERT_TRUE(o.ok()) << "cycle " << i << ": " << o.describe();
  }
  // Fresh sockets leave their slot empty; reuse and keepalive keep theirs.
  const bool keeps = c.kind == Kind::reuse_unspec || c.kind == Kind::keepalive;
  EXPECT_EQ(close_slot(*ex), keeps ? "0" : "EBADF");
  EXPECT_EQ(close_slot(*ex), "EBADF");
  // No file descriptor left either, ours or the in-process server's (it
  // closes its end of the last connection shortly after ours).
  ex.reset();
  EXPECT_TRUE(test::eventually([&] { return test::open_fds() == fds; }))
      << test::open_fds() << " descriptors open, " << fds << " before";
}

INSTANTIATE_TEST_SUITE_P(Tcp, UringStrategies,
                         ::testing::Values(Case{Kind::fresh_close, false}, Case{Kind::fresh_close, true},
                                           Case{Kind::fresh_linger0, false}, Case{Kind::fresh_linger0, true},
                                           Case{Kind::reuse_unspec, false}, Case{Kind::reuse_unspec, true},
                                           Case{Kind::keepalive, false}, Case{Kind::reuse_unspec, false, 1},
                                           Case{Kind::keepalive, false, 60000}, Case{Kind::fresh_close, false, 64, true},
                                           Case{Kind::fresh_linger0, true, 64, true},
                                           Case{Kind::reuse_unspec, false, 64, true}, Case{Kind::keepalive, false, 64, true}),
                         case_name);

// TIME_WAIT on the server's port after `cycles` cycles, split by side, once
// no socket there is half-way through a close (or after 3 s).
struct TimeWait {
  int client_side = 0;  // the client closed first
  int server_side = 0;  // the server closed first
  bool operator==(const TimeWait&) const = default;
};

void PrintTo(const TimeWait& tw, std::ostream* os) {
  *os << "client side " << tw.client_side << ", server side " << tw.server_side;
}

TimeWait time_wait_after(Kind kind, bool server_closes, int cycles) {
  echo::BackgroundServer server;
  const Case c{kind, server_closes};
  const UringTcpConfig cfg = config(c, server);
  const std::uint16_t port = cfg.server.port();
  {
    auto ex = make(kind, cfg);
    for (int i = 0; i < cycles; ++i) {
      const Outcome o = ex->exchange();
      if (!o.ok()) {
        ADD_FAILURE() << "cycle " << i << ": " << o.describe();
        break;
      }
    }
  }
  TimeWait tw;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  for (bool settled = false; !settled && std::chrono::steady_clock::now() < deadline;) {
    tw = {};
    settled = true;
    for (const auto& s : list_tcp_sockets()) {
      if (s.local.port() != port && s.remote.port() != port) continue;
      if (s.state == TcpState::time_wait) (s.local.port() == port ? tw.server_side : tw.client_side)++;
      else if (s.state != TcpState::listen && s.state != TcpState::established) settled = false;
    }
    if (!settled) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return tw;
}

class UringStrategyEffects : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const std::string missing = uring_support(); !missing.empty()) GTEST_SKIP() << missing;
  }
};

TEST_F(UringStrategyEffects, FreshCloseClientFirstLeavesTimeWaitOnTheClient) {
  EXPECT_EQ(time_wait_after(Kind::fresh_close, false, 100), (TimeWait{100, 0}));
}

TEST_F(UringStrategyEffects, FreshCloseServerFirstLeavesTimeWaitOnTheServer) {
  EXPECT_EQ(time_wait_after(Kind::fresh_close, true, 100), (TimeWait{0, 100}));
}

TEST_F(UringStrategyEffects, RstStrategiesAndKeepaliveLeaveNoTimeWait) {
  for (const Kind kind : {Kind::fresh_linger0, Kind::reuse_unspec}) {
    for (const bool server_closes : {false, true}) {
      EXPECT_EQ(time_wait_after(kind, server_closes, 100), TimeWait{})
          << kind_name(kind) << (server_closes ? " closer:server" : "");
    }
  }
  EXPECT_EQ(time_wait_after(Kind::keepalive, false, 100), TimeWait{}) << "keepalive";
}

TEST_F(UringStrategyEffects, RefusedConnectIsTheCycleOutcomeAndLeavesNoSocket) {
  // A port with no listener: every strategy reports the connect's error.
  const Endpoint refused = loopback_v4(find_free_port(loopback_v4(0), SOCK_STREAM));
  for (const Kind kind : {Kind::fresh_close, Kind::fresh_linger0, Kind::reuse_unspec, Kind::keepalive}) {
    auto ex = make(kind, {refused, 64, false});
    for (int i = 0; i < 3; ++i) {
      const Outcome o = ex->exchange();
      if (kind == Kind::fresh_linger0 && o.err == EOPNOTSUPP) break;  // kernel < 6.7: no linger via the ring
      EXPECT_EQ(o.describe(), "connect: ECONNREFUSED (Connection refused)") << kind_name(kind) << " cycle " << i;
    }
    // fresh and keepalive closed the socket; reuse keeps its (disconnected) one.
    EXPECT_EQ(close_slot(*ex), kind == Kind::reuse_unspec ? "0" : "EBADF") << kind_name(kind);
  }
}

// --- UDP ------------------------------------------------------------------------------

enum class UdpKind { fresh_close, reuse_unspec };

std::unique_ptr<UringUdpExchanger> make_udp(UdpKind kind, const UringUdpConfig& cfg) {
  if (kind == UdpKind::fresh_close) return std::make_unique<UringUdpFreshClose>(cfg);
  return std::make_unique<UringUdpReuseUnspec>(cfg);
}

std::string udp_kind_name(UdpKind k) { return k == UdpKind::fresh_close ? "fresh_close" : "reuse_unspec"; }

// close_direct of the UDP exchanger's slot: "0" if it held a socket, "EBADF" if empty.
std::string close_slot(UringUdpExchanger& ex) {
  io_uring_prep_close_direct(&ex.ring().prepare(), UringUdpExchanger::kSlot);
  const int res = ex.ring().run()[0];
  return res < 0 ? errno_name(-res) : std::to_string(res);
}

struct UdpCase {
  UdpKind kind;
  std::size_t payload = 64;
  bool v6 = false;
};

class UringUdpStrategies : public ::testing::TestWithParam<UdpCase> {
 protected:
  void SetUp() override {
    if (const std::string missing = uring_support(); !missing.empty()) GTEST_SKIP() << missing;
  }
  echo::BackgroundServer server_{echo::Config{.listen = GetParam().v6 ? "::1" : "127.0.0.1"}};
};

// 10,000 cycles through a one-slot table: every echo verified, nothing
// stale, and afterwards the slot holds exactly the last cycle's socket (its
// close or disconnect heads the next chain); finish() runs that tail:
// fresh_close's slot is empty then, reuse_unspec's holds its disconnected
// socket.
TEST_P(UringUdpStrategies, TenThousandVerifiedEchoesAndNoDirectDescriptorLeaked) {
  constexpr int kUdpCycles = 10'000;
  const UdpCase c = GetParam();
  const std::size_t fds = test::open_fds();
  const std::uint16_t port = server_.ports().udp;
  auto ex = make_udp(c.kind, {c.v6 ? loopback_v6(port) : loopback_v4(port), c.payload});
  for (int i = 0; i < kUdpCycles; ++i) {
    const Outcome o = ex->exchange();
    ASSERT_TRUE(o.ok()) << "cycle " << i << ": " << o.describe();
  }
  EXPECT_EQ(ex->stale(), 0u);
  EXPECT_EQ(ex->ring().file_slots(), 1u);
  ex->finish();
  EXPECT_EQ(close_slot(*ex), c.kind == UdpKind::reuse_unspec ? "0" : "EBADF");
  EXPECT_EQ(close_slot(*ex), "EBADF");
  ex->finish();  // nothing left to do: no error, no exception
  ex.reset();
  EXPECT_EQ(test::open_fds(), fds);
}

std::string udp_case_name(const ::testing::TestParamInfo<UdpCase>& info) {
  return udp_kind_name(info.param.kind) + "_" + std::to_string(info.param.payload) + (info.param.v6 ? "_v6" : "");
}

INSTANTIATE_TEST_SUITE_P(Udp, UringUdpStrategies,
                         ::testing::Values(UdpCase{UdpKind::fresh_close}, UdpCase{UdpKind::reuse_unspec},
                                           UdpCase{UdpKind::fresh_close, 1}, UdpCase{UdpKind::reuse_unspec, 60000},
                                           UdpCase{UdpKind::fresh_close, 64, true},
                                           UdpCase{UdpKind::reuse_unspec, 64, true}),
                         udp_case_name);

using test::ScriptedPeer;

class UringUdpScripted : public ::testing::TestWithParam<UdpKind> {
 protected:
  void SetUp() override {
    if (const std::string missing = uring_support(); !missing.empty()) GTEST_SKIP() << missing;
  }
  // One exchange against the peer running `script`.
  Outcome exchange_with(UringUdpExchanger& ex, std::thread script) {
    const Outcome o = ex.exchange();
    script.join();
    return o;
  }
  ScriptedPeer peer;
};

// An intact copy of another cycle's message (another sequence number) queued
// before this cycle's echo: counted as stale, and the echo is received after
// it on the same socket.
TEST_P(UringUdpScripted, EarlierCyclesEchoIsStaleAndTheEchoAfterItCompletesTheCycle) {
  auto ex = make_udp(GetParam(), {peer.addr, 64});
  const Outcome o = exchange_with(*ex, peer.serve_once([&](auto& d, const Endpoint& client) {
    auto old = d;
    old[0] ^= 0x01;
    peer.send(old, client);
    peer.send(d, client);
  }));
  EXPECT_TRUE(o.ok()) << o.describe();
  EXPECT_EQ(ex->stale(), 1u);
}

// A duplicate echo arrives after the cycle has its echo. The reused socket
// keeps it queued across the disconnect and reconnect (docs/kernel-behaviour.md),
// so the next cycle reads it first: stale. The fresh socket's close drops it.
TEST_P(UringUdpScripted, DuplicateEchoIsStaleInTheNextCycleOfTheReusedSocketOnly) {
  auto ex = make_udp(GetParam(), {peer.addr, 64});
  Outcome o = exchange_with(*ex, peer.serve_once([&](auto& d, const Endpoint& client) {
    peer.send(d, client);
    peer.send(d, client);
  }));
  ASSERT_TRUE(o.ok()) << o.describe();
  EXPECT_EQ(ex->stale(), 0u);
  o = exchange_with(*ex, peer.echo_once());
  EXPECT_TRUE(o.ok()) << o.describe();
  EXPECT_EQ(ex->stale(), GetParam() == UdpKind::reuse_unspec ? 1u : 0u);
}

TEST_P(UringUdpScripted, CorruptedEchoIsAMismatchNotStaleAndTheNextCycleWorks) {
  auto ex = make_udp(GetParam(), {peer.addr, 64});
  Outcome o = exchange_with(*ex, peer.serve_once([&](auto& d, const Endpoint& client) {
    d.back() ^= 0xff;  // the body differs: not any cycle's message
    peer.send(d, client);
  }));
  EXPECT_EQ(o.describe(), "recv: echo mismatch");
  EXPECT_EQ(ex->stale(), 0u);
  // The failed cycle closed (fresh) or disconnected (reuse) at once.
  o = exchange_with(*ex, peer.echo_once());
  EXPECT_TRUE(o.ok()) << o.describe();
}

TEST_P(UringUdpScripted, TruncatedOrLongerEchoIsAMismatch) {
  for (const int delta : {-1, 1}) {
    auto ex = make_udp(GetParam(), {peer.addr, 64});
    const Outcome o = exchange_with(*ex, peer.serve_once([&](auto& d, const Endpoint& client) {
      d.resize(static_cast<std::size_t>(static_cast<int>(d.size()) + delta));
      peer.send(d, client);
    }));
    EXPECT_EQ(o.describe(), "recv: echo mismatch") << "delta " << delta;
  }
}

// A lost datagram: the ring's bound cancels the recv. The socket is closed
// (fresh) or disconnected and kept (reuse), and the next cycle works.
TEST_P(UringUdpScripted, LostDatagramEndsTheCycleWithEcanceledAtTheRingsBound) {
  constexpr auto kBound = std::chrono::milliseconds(100);
  auto ex = make_udp(GetParam(), {peer.addr, 64, kBound});
  const auto start = std::chrono::steady_clock::now();
  Outcome o = exchange_with(*ex, peer.serve_once([](auto&, const Endpoint&) {}));
  EXPECT_GE(std::chrono::steady_clock::now() - start, kBound);
  EXPECT_EQ(o.describe(), "recv: ECANCELED (Operation canceled)");
  o = exchange_with(*ex, peer.echo_once());
  EXPECT_TRUE(o.ok()) << o.describe();
  EXPECT_EQ(close_slot(*ex), "0");
}

// Nothing on the server's port: the send goes out, the ICMP port unreachable
// comes back as the recv's ECONNREFUSED (connected UDP), each cycle.
TEST_P(UringUdpScripted, PortWithoutServerIsRecvEconnrefusedEachCycle) {
  const Endpoint refused = loopback_v4(find_free_port(loopback_v4(0), SOCK_DGRAM));
  auto ex = make_udp(GetParam(), {refused, 64});
  for (int i = 0; i < 3; ++i) EXPECT_EQ(ex->exchange().describe(), "recv: ECONNREFUSED (Connection refused)") << i;
  // fresh closed its socket; reuse keeps its (disconnected) one.
  EXPECT_EQ(close_slot(*ex), GetParam() == UdpKind::reuse_unspec ? "0" : "EBADF");
}

INSTANTIATE_TEST_SUITE_P(Udp, UringUdpScripted, ::testing::Values(UdpKind::fresh_close, UdpKind::reuse_unspec),
                         [](const ::testing::TestParamInfo<UdpKind>& info) { return udp_kind_name(info.param); });

}  // namespace
}  // namespace sockchurn
