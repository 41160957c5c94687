// The io_uring engine (src/engines/uring/uring_engine.hpp) against the
// in-process echo server (IPv4; a few cases on IPv6 too): 1,000 TCP cycles
// of every TCP strategy, at flows 1 and 16, and 10,000 UDP cycles of every UDP one, each with
// every echo checked byte for byte (the check is inside exchange()), and no
// direct descriptor or file descriptor left behind. For UDP also a scripted
// peer: stale datagrams, a corrupted or truncated echo, a lost datagram, a
// refused port. What distinguishes the strategies in the kernel (TIME_WAIT,
// ports, connections per request) is asserted for every engine at once in
// test_strategies.cpp.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <set>
#include <sstream>
#include <vector>

#include <netinet/in.h>
#include <sys/socket.h>

#include "echo_server.hpp"
#include "engines/uring/uring_engine.hpp"
#include "net/fd.hpp"
#include "net/sockops.hpp"
#include "observe/sysinfo.hpp"
#include "observe/tcp_states.hpp"
#include "support/echo_client.hpp"
#include "support/needs_uring.hpp"
#include "support/scripted_peer.hpp"
#include "support/strategy_cases.hpp"

namespace sockchurn {
namespace {

constexpr int kCycles = 1000;

struct Case {
  const char* strategy;
  bool server_closes;
  std::size_t payload = 64;
  bool v6 = false;  // ::1 instead of 127.0.0.1
  unsigned flows = 1;
};

Variant uring_variant(Protocol p, const char* strategy, bool server_closes = false) {
  Variant v = test::variant_of(p, strategy, server_closes ? Closer::server : Closer::client);
  v.engine = Engine::uring;
  return v;
}

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  return std::string(info.param.strategy) + (info.param.server_closes ? "_closer_server" : "") + "_" +
         std::to_string(info.param.payload) + (info.param.v6 ? "_v6" : "") +
         (info.param.flows != 1 ? "_flows_" + std::to_string(info.param.flows) : "");
}

// The config of `c` against `server`: the echo-once port when the server closes.
ExchangeConfig config(const Case& c, const echo::BackgroundServer& server) {
  const auto ports = server.ports();
  const std::uint16_t port = c.server_closes ? ports.tcp_once : ports.tcp;
  Variant v = uring_variant(Protocol::tcp, c.strategy, c.server_closes);
  v.flows = c.flows;
  return {v, c.payload, c.v6 ? loopback_v6(port) : loopback_v4(port)};
}

// close_direct of a slot (flow i's is i): "0" if it held a socket, "EBADF" if empty.
std::string close_slot(UringExchanger& ex, unsigned slot = UringExchanger::kSlot) {
  io_uring_prep_close_direct(&ex.ring().prepare(), slot);
  const int res = ex.ring().run()[0];
  return res < 0 ? errno_name(-res) : std::to_string(res);
}

// reuse_unspec keeps its (disconnected) socket after finish(); every other
// strategy's slot is empty then.
bool keeps_socket(const char* strategy) { return std::string(strategy) == "reuse_unspec"; }

class UringStrategies : public test::NeedsUring<::testing::TestWithParam<Case>> {
 protected:
  echo::BackgroundServer server_{echo::Config{.listen = GetParam().v6 ? "::1" : "127.0.0.1"}};
};

TEST_P(UringStrategies, ThousandVerifiedEchoesAndNothingLeftBehind) {
  const Case c = GetParam();
  const std::size_t fds = test::open_fds();
  auto ex = std::make_unique<UringExchanger>(config(c, server_));
  for (int i = 0; i < kCycles; ++i) {
    const Outcome o = ex->exchange();
    ASSERT_TRUE(o.ok()) << "cycle " << i << ": " << o.describe();
  }
  ex->finish();
  // Every flow's connection ended the strategy's way.
  for (unsigned slot = 0; slot < c.flows; ++slot) {
    EXPECT_EQ(close_slot(*ex, slot), keeps_socket(c.strategy) ? "0" : "EBADF") << "flow " << slot;
    EXPECT_EQ(close_slot(*ex, slot), "EBADF") << "flow " << slot;
  }
  // No file descriptor left either, ours or the in-process server's (it
  // closes its end of the last connection shortly after ours).
  ex.reset();
  EXPECT_TRUE(test::eventually([&] { return test::open_fds() == fds; }))
      << test::open_fds() << " descriptors open, " << fds << " before";
}

std::vector<Case> tcp_cases() {
  std::vector<Case> out;
  for (const Variant& v : variants(Protocol::tcp))
    if (v.engine == Engine::uring)
      for (unsigned flows : {1u, 16u}) out.push_back({v.strategy->name.data(), v.server_closes(), 64, false, flows});
  out.insert(out.end(), {Case{"reuse_unspec", false, 1}, Case{"keepalive", false, 60000},
                         Case{"fresh_close", false, 64, true}, Case{"fresh_linger0", true, 64, true},
                         Case{"reuse_unspec", false, 64, true}, Case{"keepalive", false, 64, true},
                         Case{"bind_no_port", false, 64, true}, Case{"shutdown_drain", false, 64, true}});
  return out;
}

INSTANTIATE_TEST_SUITE_P(Tcp, UringStrategies, ::testing::ValuesIn(tcp_cases()), case_name);

using UringStrategyEffects = test::NeedsUring<>;

TEST_F(UringStrategyEffects, RefusedConnectIsTheCycleOutcomeAndLeavesNoSocket) {
  // A port with no listener: every strategy reports the connect's error.
  const Endpoint refused = loopback_v4(find_free_port(loopback_v4(0), SOCK_STREAM));
  for (const StrategyInfo& s : strategies()) {
    if (s.protocol != Protocol::tcp) continue;
    UringExchanger ex({uring_variant(Protocol::tcp, s.name.data()), 64, refused});
    for (int i = 0; i < 3; ++i)
      EXPECT_EQ(ex.exchange().describe(), "connect: ECONNREFUSED (Connection refused)") << s.name << " cycle " << i;
    // Fresh sockets were closed; reuse keeps its (disconnected) one.
    EXPECT_EQ(close_slot(ex), keeps_socket(s.name.data()) ? "0" : "EBADF") << s.name;
  }
}

// --- UDP ------------------------------------------------------------------------------

// A UDP strategy's io_uring exchanger against `server`, each submission
// bounded by `timeout`.
std::unique_ptr<UringExchanger> make_udp(const char* strategy, const Endpoint& server, std::size_t payload = 64,
                                         std::chrono::milliseconds timeout = kRingTimeout, unsigned flows = 1) {
  Variant v = uring_variant(Protocol::udp, strategy);
  v.flows = flows;
  return std::make_unique<UringExchanger>(ExchangeConfig{v, payload, server}, timeout);
}

// close_direct of the slot, as for TCP above.
struct UdpCase {
  const char* strategy;
  std::size_t payload = 64;
  bool v6 = false;
  unsigned flows = 1;
};

class UringUdpStrategies : public test::NeedsUring<::testing::TestWithParam<UdpCase>> {
 protected:
  echo::BackgroundServer server_{echo::Config{.listen = GetParam().v6 ? "::1" : "127.0.0.1"}};
};

// 10,000 cycles through a one-slot table (and at flows 16, one slot a flow): every echo verified, nothing
// stale, and afterwards the slot holds exactly the last cycle's socket (its
// close or disconnect heads the next chain); finish() runs that tail:
// fresh_close's slot is empty then, reuse_unspec's holds its disconnected
// socket.
TEST_P(UringUdpStrategies, TenThousandVerifiedEchoesAndNoDirectDescriptorLeaked) {
  constexpr int kUdpCycles = 10'000;
  const UdpCase c = GetParam();
  const std::size_t fds = test::open_fds();
  const std::uint16_t port = server_.ports().udp;
  auto ex = make_udp(c.strategy, c.v6 ? loopback_v6(port) : loopback_v4(port), c.payload, kRingTimeout, c.flows);
  for (int i = 0; i < kUdpCycles; ++i) {
    const Outcome o = ex->exchange();
    ASSERT_TRUE(o.ok()) << "cycle " << i << ": " << o.describe();
  }
  EXPECT_EQ(ex->stale(), 0u);
  EXPECT_EQ(ex->ring().file_slots(), c.flows);
  ex->finish();
  for (unsigned slot = 0; slot < c.flows; ++slot) {
    EXPECT_EQ(close_slot(*ex, slot), std::string(c.strategy) == "fresh_close" ? "EBADF" : "0") << "flow " << slot;
    EXPECT_EQ(close_slot(*ex, slot), "EBADF") << "flow " << slot;
  }
  ex->finish();  // nothing left to do: no error, no exception
  ex.reset();
  EXPECT_EQ(test::open_fds(), fds);
}

std::string udp_case_name(const ::testing::TestParamInfo<UdpCase>& info) {
  return std::string(info.param.strategy) + "_" + std::to_string(info.param.payload) + (info.param.v6 ? "_v6" : "") +
         (info.param.flows != 1 ? "_flows_" + std::to_string(info.param.flows) : "");
}

INSTANTIATE_TEST_SUITE_P(Udp, UringUdpStrategies,
                         ::testing::Values(UdpCase{"fresh_close"}, UdpCase{"reuse_unspec"}, UdpCase{"reconnect"},
                                           UdpCase{"sendto"}, UdpCase{"fresh_close", 1},
                                           UdpCase{"reuse_unspec", 60000}, UdpCase{"sendto", 60000},
                                           UdpCase{"fresh_close", 64, true}, UdpCase{"reuse_unspec", 64, true},
                                           UdpCase{"sendto", 64, true}, UdpCase{"fresh_close", 64, false, 16},
                                           UdpCase{"reuse_unspec", 64, false, 16}, UdpCase{"reconnect", 64, false, 16},
                                           UdpCase{"sendto", 64, false, 16}),
                         udp_case_name);

using test::exchange_with;
using test::ScriptedPeer;

class UringUdpScripted : public test::NeedsUring<::testing::TestWithParam<const char*>> {
 protected:
  ScriptedPeer peer;
};

// An intact copy of another cycle's message (another sequence number) queued
// before this cycle's echo: counted as stale, and the echo is received after
// it on the same socket.
TEST_P(UringUdpScripted, EarlierCyclesEchoIsStaleAndTheEchoAfterItCompletesTheCycle) {
  auto ex = make_udp(GetParam(), peer.addr);
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
  auto ex = make_udp(GetParam(), peer.addr);
  Outcome o = exchange_with(*ex, peer.serve_once([&](auto& d, const Endpoint& client) {
    peer.send(d, client);
    peer.send(d, client);
  }));
  ASSERT_TRUE(o.ok()) << o.describe();
  EXPECT_EQ(ex->stale(), 0u);
  o = exchange_with(*ex, peer.echo_once());
  EXPECT_TRUE(o.ok()) << o.describe();
  EXPECT_EQ(ex->stale(), std::string(GetParam()) == "fresh_close" ? 0u : 1u);
}

TEST_P(UringUdpScripted, CorruptedEchoIsAMismatchNotStaleAndTheNextCycleWorks) {
  auto ex = make_udp(GetParam(), peer.addr);
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
    auto ex = make_udp(GetParam(), peer.addr);
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
  auto ex = make_udp(GetParam(), peer.addr, 64, kBound);
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
  auto ex = make_udp(GetParam(), refused);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(ex->exchange().describe(), "recv: ECONNREFUSED (Connection refused)") << i;
  // fresh closed its socket; reuse keeps its (disconnected) one.
  EXPECT_EQ(close_slot(*ex), std::string(GetParam()) == "fresh_close" ? "EBADF" : "0");
}

// sendto is left out: an unconnected socket gets no ICMP error and its
// stale datagrams are those of the blocking engine's (test_udp_stale.cpp).
INSTANTIATE_TEST_SUITE_P(Udp, UringUdpScripted, ::testing::Values("fresh_close", "reuse_unspec", "reconnect"),
                         [](const ::testing::TestParamInfo<const char*>& info) { return std::string(info.param); });

}  // namespace
}  // namespace sockchurn
