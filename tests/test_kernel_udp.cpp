// Re-observes each UDP row of docs/kernel-behaviour.md (the brief's "Linux behaviour
// being measured"): what connect() to an AF_UNSPEC address (sockchurn::disconnect)
// and a direct re-connect() do to a UDP socket's port and queue.
//
// Every test runs for IPv4 (127.0.0.1) and IPv6 (::1); ports come from bind()
// to port 0, so the tests need no network namespace.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>

#include "net/endpoint.hpp"
#include "net/fd.hpp"
#include "net/sockops.hpp"
#include "support/loopback_family.hpp"

namespace sockchurn {
namespace {

using test::result;
using test::sent;

struct Datagram {
  std::string text;  // the payload, or the errno name if recvfrom failed
  Endpoint from;
};

// One recvfrom(), waiting at most the socket's receive timeout.
Datagram receive(int fd, int flags = 0) {
  char buf[512];
  Datagram d;
  d.from.len = sizeof d.from.storage;
  const ssize_t n = ::recvfrom(fd, buf, sizeof buf, flags, d.from.sa(), &d.from.len);
  d.text = n < 0 ? errno_name(errno) : std::string(buf, static_cast<std::size_t>(n));
  return d;
}

std::string send_text(int fd, const std::string& text) {
  return sent(::send(fd, text.data(), text.size(), MSG_NOSIGNAL));
}

std::string send_text_to(int fd, const std::string& text, const Endpoint& to) {
  return sent(::sendto(fd, text.data(), text.size(), MSG_NOSIGNAL, to.sa(), to.len));
}

class KernelUdp : public test::LoopbackFamilyTest {
 protected:
  void SetUp() override {
    peer1 = bound_socket(loopback(0));
    peer2 = bound_socket(loopback(0));
    peer1_ep = local_endpoint(peer1.get());
    peer2_ep = local_endpoint(peer2.get());
  }

  Fd udp_socket() {
    Fd s = make_socket(family(), SOCK_DGRAM);
    set_recv_timeout(s.get(), std::chrono::seconds(2));
    return s;
  }

  Fd bound_socket(const Endpoint& local) {
    Fd s = udp_socket();
    bind_to(s.get(), local);
    return s;
  }

  std::uint16_t bind_explicit_port(int s) { return test::bind_explicit_port(s, family(), SOCK_DGRAM); }
  std::string bind_result(std::uint16_t port) { return test::bind_result(family(), SOCK_DGRAM, port); }

  // Connects `s` to peer1 and checks that peer1 hears from it; returns the
  // port the socket sends from.
  std::uint16_t connect_to_peer1(int s) {
    EXPECT_EQ(errno_name(connect_to(s, peer1_ep)), errno_name(0));
    EXPECT_EQ(send_text(s, "hello"), "5 bytes");
    const Datagram d = receive(peer1.get());
    EXPECT_EQ(d.text, "hello");
    EXPECT_EQ(d.from, local_endpoint(s));
    return local_endpoint(s).port();
  }

  // Queues a datagram from peer1 on `s` (connected to peer1), re-points `s`
  // at peer2 with `reconnect`, then shows what `s` reads.
  void expect_old_datagram_survives(int s, const std::function<void()>& reconnect) {
    ASSERT_EQ(send_text_to(peer1.get(), "old", local_endpoint(s)), "3 bytes");
    reconnect();
    // Sent after the reconnect: the one from peer1 is filtered out, the one
    // from peer2 arrives (loopback keeps the order of the two sends).
    const Endpoint s_now = local_endpoint(s);
    EXPECT_EQ(send_text_to(peer1.get(), "late", s_now), "4 bytes");
    EXPECT_EQ(send_text_to(peer2.get(), "new", s_now), "3 bytes");
    const Datagram first = receive(s);
    EXPECT_EQ(first.text, "old");
    EXPECT_EQ(first.from, peer1_ep);
    const Datagram second = receive(s);
    EXPECT_EQ(second.text, "new");
    EXPECT_EQ(second.from, peer2_ep);
    EXPECT_EQ(receive(s, MSG_DONTWAIT).text, "EAGAIN");
  }

  Fd peer1, peer2;
  Endpoint peer1_ep, peer2_ep;
};

// --- UDP connected -> disconnect ------------------------------------------------

TEST_P(KernelUdp, DisconnectUnboundReturnsZeroAndReleasesPort) {
  Fd s = udp_socket();
  const std::uint16_t old_port = connect_to_peer1(s.get());
  EXPECT_EQ(local_endpoint(s.get()), loopback(old_port));
  EXPECT_EQ(result(disconnect(s.get())), "0");
  EXPECT_EQ(local_endpoint(s.get()), wildcard(0));
  EXPECT_EQ(bind_result(old_port), "0");
}

TEST_P(KernelUdp, DisconnectBoundToPortZeroReleasesPortToo) {
  Fd s = bound_socket(wildcard(0));
  const std::uint16_t bound_port = local_endpoint(s.get()).port();
  ASSERT_NE(bound_port, 0);
  EXPECT_EQ(connect_to_peer1(s.get()), bound_port);
  EXPECT_EQ(result(disconnect(s.get())), "0");
  EXPECT_EQ(local_endpoint(s.get()), wildcard(0));
  EXPECT_EQ(bind_result(bound_port), "0");
}

TEST_P(KernelUdp, DisconnectBoundToAddressAndPortZeroKeepsAddressReleasesPort) {
  Fd s = bound_socket(loopback(0));
  const std::uint16_t bound_port = local_endpoint(s.get()).port();
  EXPECT_EQ(connect_to_peer1(s.get()), bound_port);
  EXPECT_EQ(result(disconnect(s.get())), "0");
  EXPECT_EQ(local_endpoint(s.get()), loopback(0));
  EXPECT_EQ(bind_result(bound_port), "0");
}

TEST_P(KernelUdp, DisconnectExplicitlyBoundKeepsPort) {
  Fd s = udp_socket();
  const std::uint16_t port = bind_explicit_port(s.get());
  EXPECT_EQ(connect_to_peer1(s.get()), port);
  EXPECT_EQ(result(disconnect(s.get())), "0");
  EXPECT_EQ(local_endpoint(s.get()), loopback(port));
  EXPECT_EQ(bind_result(port), "EADDRINUSE");
  // sendto() goes out from the kept port.
  EXPECT_EQ(send_text_to(s.get(), "again", peer2_ep), "5 bytes");
  const Datagram d = receive(peer2.get());
  EXPECT_EQ(d.text, "again");
  EXPECT_EQ(d.from, loopback(port));
}

TEST_P(KernelUdp, AfterDisconnectSendGivesEdestaddrreqAndSendtoWorksFromNewPort) {
  Fd s = udp_socket();
  const std::uint16_t old_port = connect_to_peer1(s.get());
  ASSERT_EQ(result(disconnect(s.get())), "0");
  // Hold the old port elsewhere (this also proves it was released), so the
  // new port cannot be the old one by chance.
  Fd holder = udp_socket();
  ASSERT_EQ(result(::bind(holder.get(), loopback(old_port).sa(), loopback(old_port).len)), "0");

  EXPECT_EQ(send_text(s.get(), "nowhere"), "EDESTADDRREQ");
  EXPECT_EQ(send_text_to(s.get(), "sendto", peer2_ep), "6 bytes");
  const Datagram d = receive(peer2.get());
  EXPECT_EQ(d.text, "sendto");
  const std::uint16_t new_port = local_endpoint(s.get()).port();
  EXPECT_NE(new_port, 0);
  EXPECT_NE(new_port, old_port);
  EXPECT_EQ(d.from.port(), new_port);
}

TEST_P(KernelUdp, DisconnectAddressLengthOfSaFamilyWorksShorterIsEinval) {
  Fd s = udp_socket();
  const std::uint16_t port = connect_to_peer1(s.get());
  EXPECT_EQ(result(disconnect(s.get(), 0)), "EINVAL");
  EXPECT_EQ(result(disconnect(s.get(), 1)), "EINVAL");
  EXPECT_EQ(local_endpoint(s.get()), loopback(port));  // still connected
  EXPECT_EQ(peer_endpoint(s.get()), peer1_ep);
  EXPECT_EQ(result(disconnect(s.get(), sizeof(sa_family_t))), "0");
  Endpoint peer;
  peer.len = sizeof peer.storage;
  EXPECT_EQ(result(::getpeername(s.get(), peer.sa(), &peer.len)), "ENOTCONN");
}

// --- UDP connect to a new peer directly ------------------------------------------

TEST_P(KernelUdp, ConnectToNewPeerWithoutUnspecKeepsPort) {
  Fd s = udp_socket();
  const std::uint16_t port = connect_to_peer1(s.get());
  ASSERT_EQ(errno_name(connect_to(s.get(), peer2_ep)), errno_name(0));
  EXPECT_EQ(local_endpoint(s.get()), loopback(port));
  EXPECT_EQ(peer_endpoint(s.get()), peer2_ep);
  EXPECT_EQ(send_text(s.get(), "direct"), "6 bytes");
  const Datagram d = receive(peer2.get());
  EXPECT_EQ(d.text, "direct");
  EXPECT_EQ(d.from, loopback(port));
}

// --- datagrams queued from the old peer ----------------------------------------------

TEST_P(KernelUdp, DatagramQueuedFromOldPeerIsDeliveredAfterDirectReconnect) {
  Fd s = udp_socket();
  connect_to_peer1(s.get());
  expect_old_datagram_survives(s.get(), [&] { ASSERT_EQ(connect_to(s.get(), peer2_ep), 0); });
}

TEST_P(KernelUdp, DatagramQueuedFromOldPeerIsDeliveredAfterDisconnectAndConnect) {
  Fd s = udp_socket();
  const std::uint16_t port = bind_explicit_port(s.get());
  connect_to_peer1(s.get());
  expect_old_datagram_survives(s.get(), [&] {
    ASSERT_EQ(result(disconnect(s.get())), "0");
    ASSERT_EQ(connect_to(s.get(), peer2_ep), 0);
    ASSERT_EQ(local_endpoint(s.get()).port(), port);
  });
}

TEST_P(KernelUdp, DatagramQueuedFromOldPeerIsDeliveredAfterUnboundDisconnectAndConnect) {
  // The port changes, but the socket's receive queue goes with the socket.
  Fd s = udp_socket();
  connect_to_peer1(s.get());
  const Endpoint s_ep = local_endpoint(s.get());
  ASSERT_EQ(send_text_to(peer1.get(), "old", s_ep), "3 bytes");
  ASSERT_EQ(result(disconnect(s.get())), "0");
  ASSERT_EQ(connect_to(s.get(), peer2_ep), 0);
  EXPECT_EQ(send_text_to(peer2.get(), "new", local_endpoint(s.get())), "3 bytes");
  const Datagram first = receive(s.get());
  EXPECT_EQ(first.text, "old");
  EXPECT_EQ(first.from, peer1_ep);
  const Datagram second = receive(s.get());
  EXPECT_EQ(second.text, "new");
  EXPECT_EQ(second.from, peer2_ep);
}

INSTANTIATE_TEST_SUITE_P(Loopback, KernelUdp, ::testing::Values(AF_INET, AF_INET6), test::family_name);

}  // namespace
}  // namespace sockchurn
