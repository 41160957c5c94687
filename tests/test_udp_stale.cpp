// The UDP reuse strategy must not take a datagram queued from an earlier
// peer, or an earlier cycle's late echo, for this cycle's echo (docs/design.md:
// datagrams queued before a reconnect are still delivered). A scripted peer
// in the test sends exactly what each case needs.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <functional>
#include <thread>
#include <vector>

#include "net/sockops.hpp"
#include "model/exchange.hpp"
#include "support/scripted_peer.hpp"
#include "support/strategy_cases.hpp"

using namespace sockchurn;

namespace {

using test::exchange_with;
using test::ScriptedPeer;

std::unique_ptr<Exchanger> udp_reuse(const Endpoint& server, std::size_t payload = 64) {
  return make_exchanger({test::variant_of(Protocol::udp, "reuse_unspec", Closer::client, LocalPort::bound), payload, server});
}

}  // namespace

// Between cycles the socket is disconnected, so anyone may queue a datagram
// on its (explicitly bound, kept) port; the next cycle reads it first.
TEST(UdpStale, DatagramQueuedWhileDisconnectedIsDiscarded) {
  ScriptedPeer peer;
  auto ex = udp_reuse(peer.addr);
  Endpoint client;
  ASSERT_TRUE(exchange_with(*ex, peer.serve_once([&](auto& d, const Endpoint& from) {
                client = from;
                peer.send(d, from);
              })).ok());
  // The cycle ended with connect(AF_UNSPEC): a stranger's datagram is queued.
  ScriptedPeer::send_from(peer.other.get(), std::vector<unsigned char>(64, 0x5a), client);
  const Outcome o = exchange_with(*ex, peer.echo_once());
  EXPECT_TRUE(o.ok()) << o.describe();
  EXPECT_EQ(ex->stale(), 1u);
}

TEST(UdpStale, EarlierCyclesEchoIsDiscarded) {
  ScriptedPeer peer;
  auto ex = udp_reuse(peer.addr);
  const Outcome o = exchange_with(*ex, peer.serve_once([&](auto& d, const Endpoint& client) {
    auto old = d;
    old[0] ^= 0x01;  // another sequence number, same body: a late echo
    peer.send(old, client);
    peer.send(d, client);
  }));
  EXPECT_TRUE(o.ok()) << o.describe();
  EXPECT_EQ(ex->stale(), 1u);
}

TEST(UdpStale, CorruptedEchoIsAMismatchNotStale) {
  ScriptedPeer peer;
  auto ex = udp_reuse(peer.addr);
  const Outcome o = exchange_with(*ex, peer.serve_once([&](auto& d, const Endpoint& client) {
    d.back() ^= 0xff;  // the body differs: not any cycle's message
    peer.send(d, client);
  }));
  EXPECT_EQ(o.err, kEchoMismatch);
  EXPECT_EQ(o.describe(), "recv: echo mismatch");
  EXPECT_EQ(ex->stale(), 0u);
}

TEST(UdpStale, TruncatedEchoIsAMismatch) {
  ScriptedPeer peer;
  auto ex = udp_reuse(peer.addr);
  const Outcome o = exchange_with(*ex, peer.serve_once([&](auto& d, const Endpoint& client) {
    d.pop_back();
    peer.send(d, client);
  }));
  EXPECT_EQ(o.err, kEchoMismatch);
}

TEST(Strategies, InvalidConfigsAreRejected) {
  // Strategies exist per protocol: there is no UDP keepalive, no TCP sendto.
  EXPECT_EQ(find_strategy(Protocol::udp, "keepalive"), nullptr);
  EXPECT_EQ(find_strategy(Protocol::tcp, "sendto"), nullptr);
  EXPECT_THROW(test::variant_of(Protocol::udp, "keepalive"), std::invalid_argument);
  ExchangeConfig cfg;
  cfg.server = loopback_v4(9);
  EXPECT_THROW(make_exchanger(cfg), std::invalid_argument);  // no strategy
  cfg.variant = test::variant_of(Protocol::tcp, "fresh_close");
  cfg.payload = 0;
  EXPECT_THROW(make_exchanger(cfg), std::invalid_argument);
  cfg.variant = test::variant_of(Protocol::udp, "fresh_close");
  cfg.payload = kMaxUdpPayload + 1;
  EXPECT_THROW(make_exchanger(cfg), std::invalid_argument);
  cfg.payload = kMaxUdpPayload;
  EXPECT_NO_THROW(make_exchanger(cfg));
}

TEST(Strategies, UnreachableServerIsAnErrorValue) {
  // A port with nothing listening: connect fails with ECONNREFUSED, reported
  // as an outcome, not an exception and not a success.
  Fd holder = make_socket(AF_INET, SOCK_STREAM);
  bind_to(holder.get(), loopback_v4(0));
  const Endpoint server = local_endpoint(holder.get());  // bound, not listening
  for (const Variant& v : variants(Protocol::tcp)) {
    auto ex = make_exchanger({v, 64, server});
    const Outcome o = ex->exchange();
    EXPECT_EQ(o.err, ECONNREFUSED) << v.name() << ": " << o.describe();
    EXPECT_STREQ(o.op, "connect");
  }
}
