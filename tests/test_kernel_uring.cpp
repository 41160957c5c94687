// What the kernel does with the socket operations of the io_uring engine,
// above all IORING_OP_CONNECT to an AF_UNSPEC address (the ring's
// connect(AF_UNSPEC), "ring disconnect" below): on a normal file descriptor
// and on a direct descriptor (IOSQE_FIXED_FILE, the socket created by
// IORING_OP_SOCKET into the ring's registered file table). Then how one
// exchange is linked into one submission, and that direct descriptors do not
// leak.
//
// Everything the client does goes through the ring; the peer is a plain
// socket observed with syscalls. Every test runs for IPv4 (127.0.0.1) and
// IPv6 (::1); where io_uring or an opcode is missing, each test is skipped
// with what is missing (uring_support()).
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "net/endpoint.hpp"
#include "net/fd.hpp"
#include "net/sockops.hpp"
#include "support/loopback_family.hpp"
#include "support/socket_timeouts.hpp"
#include "support/tcp_observe.hpp"
#include "observe/tcp_states.hpp"
#include "engines/uring/uring_ring.hpp"

namespace sockchurn {
namespace {

using test::entry;
using test::read_once;
using test::tcp_counter;

using Strings = std::vector<std::string>;

constexpr auto kIoTimeout = std::chrono::seconds(2);
constexpr unsigned kSlots = 64;  // the registered file table of every test

enum class Descriptor { fd, direct };

// A completion's res as text: "0", "<n>" or the errno name.
std::string res_text(int res) { return res < 0 ? errno_name(-res) : std::to_string(res); }

Strings res_texts(std::span<const int> results) {
  Strings texts;
  for (const int res : results) texts.push_back(res_text(res));
  return texts;
}

// The socket the ring operates on: a file descriptor, or a slot of the
// registered table (slot >= 0).
struct RingSocket {
  Fd fd;
  int slot = -1;
  int target() const { return slot >= 0 ? slot : fd.get(); }
};

// An all-zero address of family AF_UNSPEC, as sockchurn::disconnect() uses.
sockaddr_storage unspec_address() {
  sockaddr_storage unspec{};
  unspec.ss_family = AF_UNSPEC;
  return unspec;
}

// What the tests of one family share: the ring with its table of kSlots
// direct descriptors, a listener, and the ports the test used.
class UringFixture {
 protected:
  // False (and the reason in `skip`) when io_uring cannot run the tests.
  bool start(int family) {
    family_ = family;
    skip = uring_support();
    if (!skip.empty()) return false;
    ring.emplace(64);
    ring->register_sparse_files(kSlots);
    listener = tcp_socket();
    bind_to(listener.get(), loopback(0));
    check(::listen(listener.get(), 64), "listen");
    server = local_endpoint(listener.get());
    ports.push_back(server.port());
    return true;
  }

  int family() const { return family_; }
  Endpoint loopback(std::uint16_t port) const { return test::loopback(family_, port); }
  Endpoint wildcard(std::uint16_t port = 0) const {
    return with_port(parse_host(family_ == AF_INET ? "0.0.0.0" : "::"), port);
  }

  Fd tcp_socket() const {
    Fd s = make_socket(family_, SOCK_STREAM);
    test::set_io_timeouts(s.get(), kIoTimeout);
    return s;
  }

  // The next operation of the ring's batch, aimed at `s`.
  io_uring_sqe& on(const RingSocket& s, void (*prep)(io_uring_sqe&, int)) {
    io_uring_sqe& sqe = ring->prepare();
    prep(sqe, s.target());
    if (s.slot >= 0) use_direct(sqe);
    return sqe;
  }

  // The batch prepared so far, submitted and waited for: the results as text.
  Strings run() { return res_texts(ring->run()); }
  std::string run_one() { return res_text(ring->run()[0]); }

  // IORING_OP_SOCKET into a slot the kernel picks (socket_direct_alloc):
  // the slot, or a failure and -1.
  int alloc_direct(int type) {
    io_uring_prep_socket_direct_alloc(&ring->prepare(), family_, type, 0, 0);
    const int res = ring->run()[0];
    EXPECT_GE(res, 0) << "IORING_OP_SOCKET: " << res_text(res);
    return res;
  }

  // A socket of `type` for the ring: socket() for Descriptor::fd, a direct
  // descriptor from IORING_OP_SOCKET for Descriptor::direct.
  RingSocket open(Descriptor d, int type) {
    RingSocket s;
    if (d == Descriptor::fd)
      s.fd = make_socket(family_, type);
    else if ((s.slot = alloc_direct(type)) < 0)
      throw std::runtime_error("no direct descriptor");
    return s;
  }

  std::string ring_connect(const RingSocket& s, const Endpoint& to) {
    io_uring_sqe& sqe = ring->prepare();
    io_uring_prep_connect(&sqe, s.target(), to.sa(), to.len);
    if (s.slot >= 0) use_direct(sqe);
    return run_one();
  }

  // IORING_OP_CONNECT to unspec_address(), `len` bytes of it.
  std::string ring_disconnect(const RingSocket& s, socklen_t len = sizeof(sockaddr_storage)) {
    const sockaddr_storage unspec = unspec_address();
    io_uring_sqe& sqe = ring->prepare();
    io_uring_prep_connect(&sqe, s.target(), reinterpret_cast<const sockaddr*>(&unspec), len);
    if (s.slot >= 0) use_direct(sqe);
    return run_one();
  }

  // IORING_OP_SEND with MSG_NOSIGNAL: "<n> bytes" or the errno name.
  std::string ring_send(const RingSocket& s, const std::string& text) {
    io_uring_sqe& sqe = ring->prepare();
    io_uring_prep_send(&sqe, s.target(), text.data(), text.size(), MSG_NOSIGNAL);
    if (s.slot >= 0) use_direct(sqe);
    const int res = ring->run()[0];
    return res < 0 ? errno_name(-res) : std::to_string(res) + " bytes";
  }

  // IORING_OP_RECV: the bytes, "EOF" or the errno name.
  std::string ring_recv(const RingSocket& s) {
    char buf[512];
    io_uring_sqe& sqe = ring->prepare();
    io_uring_prep_recv(&sqe, s.target(), buf, sizeof buf, 0);
    if (s.slot >= 0) use_direct(sqe);
    const int res = ring->run()[0];
    if (res < 0) return errno_name(-res);
    return res == 0 ? "EOF" : std::string(buf, static_cast<std::size_t>(res));
  }

  // IORING_OP_CLOSE of the fd or the slot.
  std::string ring_close(RingSocket& s) {
    io_uring_sqe& sqe = ring->prepare();
    if (s.slot >= 0)
      io_uring_prep_close_direct(&sqe, static_cast<unsigned>(std::exchange(s.slot, -1)));
    else
      io_uring_prep_close(&sqe, s.fd.release());
    return run_one();
  }

  std::string close_slot(unsigned slot) {
    io_uring_prep_close_direct(&ring->prepare(), slot);
    return run_one();
  }

  // accept() on the listener; the client's endpoint in `client`, its port
  // recorded as one this test used.
  Fd accept_peer(Endpoint& client) {
    client.len = sizeof client.storage;
    Fd s(check(::accept4(listener.get(), client.sa(), &client.len, SOCK_CLOEXEC), "accept4"));
    set_recv_timeout(s.get(), kIoTimeout);
    ports.push_back(client.port());
    return s;
  }
  Fd accept_peer() {
    Endpoint client;
    return accept_peer(client);
  }

  void expect_sockets(Strings expected) const { test::expect_tcp_sockets(ports, std::move(expected)); }
  std::string listening() const { return entry(TcpState::listen, server, wildcard()); }

  std::string skip;
  std::optional<Ring> ring;
  Fd listener;
  Endpoint server;
  std::vector<std::uint16_t> ports;  // every port this test listened or connected on

 private:
  int family_ = AF_INET;
};

// --- TCP: the ring's connect(AF_UNSPEC), on a file and on a direct descriptor ----------

class UringTcp : public ::testing::TestWithParam<std::tuple<int, Descriptor>>, protected UringFixture {
 protected:
  void SetUp() override {
    if (!start(std::get<0>(GetParam()))) GTEST_SKIP() << skip;
  }
  Descriptor descriptor() const { return std::get<1>(GetParam()); }
  RingSocket open_tcp() { return open(descriptor(), SOCK_STREAM); }
};

TEST_P(UringTcp, RingDisconnectReturnsZeroSendsRstAndPeerReadsEconnreset) {
  RingSocket client = open_tcp();
  ASSERT_EQ(ring_connect(client, server), "0");
  Fd peer = accept_peer();
  const long rsts = tcp_counter("OutRsts");
  EXPECT_EQ(ring_disconnect(client), "0");
  EXPECT_GE(tcp_counter("OutRsts") - rsts, 1);
  // A FIN would read as EOF: the peer got an RST.
  EXPECT_EQ(read_once(peer.get()), "ECONNRESET");
  EXPECT_EQ(read_once(peer.get()), "EOF");
}

TEST_P(UringTcp, RingDisconnectLeavesNoTimeWaitOnEitherSide) {
  RingSocket client = open_tcp();
  ASSERT_EQ(ring_connect(client, server), "0");
  Endpoint c;
  Fd peer = accept_peer(c);
  expect_sockets({listening(), entry(TcpState::established, c, server), entry(TcpState::established, server, c)});
  ASSERT_EQ(ring_disconnect(client), "0");
  ASSERT_EQ(read_once(peer.get()), "ECONNRESET");
  expect_sockets({listening()});
  // Closing both ends afterwards sends nothing and leaves nothing.
  EXPECT_EQ(ring_close(client), "0");
  peer.reset();
  expect_sockets({listening()});
}

TEST_P(UringTcp, RingDisconnectReleasesPortAndNextRingConnectGetsNewPort) {
  RingSocket client = open_tcp();
  ASSERT_EQ(ring_connect(client, server), "0");
  Endpoint c1;
  Fd peer1 = accept_peer(c1);
  ASSERT_EQ(ring_disconnect(client), "0");
  // Nothing holds the old port: another socket can bind it.
  EXPECT_EQ(test::bind_result(family(), SOCK_STREAM, c1.port()), "0");
  // getsockname() of a file descriptor shows the old port number with the
  // wildcard address, as after the syscall (a direct descriptor has none).
  if (descriptor() == Descriptor::fd) {
    EXPECT_EQ(local_endpoint(client.fd.get()), wildcard(c1.port()));
  }

  // The same socket connects again through the ring, from a new port.
  ASSERT_EQ(ring_connect(client, server), "0");
  Endpoint c2;
  Fd peer2 = accept_peer(c2);
  EXPECT_NE(c2.port(), 0);
  EXPECT_NE(c2.port(), c1.port());
  EXPECT_EQ(ring_send(client, "ping"), "4 bytes");
  char buf[4];
  ASSERT_EQ(read_exact(peer2.get(), buf, sizeof buf), 0);
  EXPECT_EQ(std::string(buf, sizeof buf), "ping");
  ASSERT_EQ(write_all(peer2.get(), "pong", 4), 0);
  EXPECT_EQ(ring_recv(client), "pong");
  expect_sockets({listening(), entry(TcpState::established, c2, server), entry(TcpState::established, server, c2)});
  EXPECT_EQ(read_once(peer1.get()), "ECONNRESET");
}

TEST_P(UringTcp, RingDisconnectAddressLengthOfSaFamilyWorksShorterIsEinval) {
  RingSocket client = open_tcp();
  ASSERT_EQ(ring_connect(client, server), "0");
  Fd peer = accept_peer();
  EXPECT_EQ(ring_disconnect(client, 0), "EINVAL");
  EXPECT_EQ(ring_disconnect(client, 1), "EINVAL");
  // Still connected after the two failures.
  EXPECT_EQ(ring_send(client, "x"), "1 bytes");
  EXPECT_EQ(read_once(peer.get()), "1 bytes");
  EXPECT_EQ(ring_disconnect(client, sizeof(sa_family_t)), "0");
  EXPECT_EQ(read_once(peer.get()), "ECONNRESET");
}

TEST_P(UringTcp, AfterRingDisconnectSendGivesEconnresetOnceThenEpipeAndRecvEnotconn) {
  RingSocket client = open_tcp();
  ASSERT_EQ(ring_connect(client, server), "0");
  Fd peer = accept_peer();
  ASSERT_EQ(ring_disconnect(client), "0");
  // As after the syscall: the pending error goes to the first call.
  EXPECT_EQ(ring_send(client, "x"), "ECONNRESET");
  EXPECT_EQ(ring_send(client, "x"), "EPIPE");
  EXPECT_EQ(ring_recv(client), "ENOTCONN");
}

TEST_P(UringTcp, RingCloseOfConnectedClientSendsFinAndLeavesTimeWaitOnClient) {
  RingSocket client = open_tcp();
  ASSERT_EQ(ring_connect(client, server), "0");
  Endpoint c;
  Fd peer = accept_peer(c);
  EXPECT_EQ(ring_close(client), "0");
  EXPECT_EQ(read_once(peer.get()), "EOF");
  peer.reset();
  expect_sockets({listening(), entry(TcpState::time_wait, c, server)});
}

// SO_LINGER {1,0} through the ring: IORING_OP_URING_CMD with
// SOCKET_URING_OP_SETSOCKOPT (kernel 6.7+), an SQE liburing 2.3 cannot
// prepare itself (prep_setsockopt fills it by hand).
TEST_P(UringTcp, Linger0ThroughRingSetsockoptThenRingCloseSendsRstAndLeavesNoTimeWait) {
  RingSocket client = open_tcp();
  ASSERT_EQ(ring_connect(client, server), "0");
  Fd peer = accept_peer();
  const linger lg{1, 0};
  io_uring_sqe& sqe = ring->prepare();
  prep_setsockopt(sqe, client.target(), SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  if (client.slot >= 0) use_direct(sqe);
  const std::string set = run_one();
  if (set == "EOPNOTSUPP") GTEST_SKIP() << "SOCKET_URING_OP_SETSOCKOPT: EOPNOTSUPP (needs kernel 6.7+)";
  ASSERT_EQ(set, "0");
  if (descriptor() == Descriptor::fd) {
    linger now{};
    socklen_t len = sizeof now;
    check(::getsockopt(client.fd.get(), SOL_SOCKET, SO_LINGER, &now, &len), "getsockopt(SO_LINGER)");
    EXPECT_EQ(now.l_onoff, 1);
    EXPECT_EQ(now.l_linger, 0);
  }
  EXPECT_EQ(ring_close(client), "0");
  EXPECT_EQ(read_once(peer.get()), "ECONNRESET");
  peer.reset();
  expect_sockets({listening()});
}

// The same without SOCKET_URING_OP_SETSOCKOPT: setsockopt() on a file
// descriptor, then (direct) the descriptor installed into a slot with
// io_uring_register_files_update and closed, so the slot holds the socket.
TEST_P(UringTcp, Linger0BySyscallThenRingCloseSendsRst) {
  RingSocket client;
  client.fd = make_socket(family(), SOCK_STREAM);
  set_linger0(client.fd.get());
  if (descriptor() == Descriptor::direct) {
    client.slot = static_cast<int>(kSlots - 1);
    const int fd = client.fd.get();
    ASSERT_EQ(res_text(io_uring_register_files_update(ring->raw(), kSlots - 1, &fd, 1)), "1");
    client.fd.reset();
  }
  ASSERT_EQ(ring_connect(client, server), "0");
  Fd peer = accept_peer();
  EXPECT_EQ(ring_close(client), "0");
  EXPECT_EQ(read_once(peer.get()), "ECONNRESET");
  peer.reset();
  expect_sockets({listening()});
}

std::string uring_param_name(const ::testing::TestParamInfo<std::tuple<int, Descriptor>>& info) {
  return std::string(std::get<0>(info.param) == AF_INET ? "v4" : "v6") + "_" +
         (std::get<1>(info.param) == Descriptor::fd ? "fd" : "direct");
}

INSTANTIATE_TEST_SUITE_P(Loopback, UringTcp,
                         ::testing::Combine(::testing::Values(AF_INET, AF_INET6),
                                            ::testing::Values(Descriptor::fd, Descriptor::direct)),
                         uring_param_name);

// --- UDP: the ring's connect(AF_UNSPEC) ------------------------------------------------

class UringUdp : public ::testing::TestWithParam<std::tuple<int, Descriptor>>, protected UringFixture {
 protected:
  void SetUp() override {
    if (!start(std::get<0>(GetParam()))) GTEST_SKIP() << skip;
    peer = make_socket(family(), SOCK_DGRAM);
    set_recv_timeout(peer.get(), kIoTimeout);
    bind_to(peer.get(), loopback(0));
    peer_ep = local_endpoint(peer.get());
  }
  Descriptor descriptor() const { return std::get<1>(GetParam()); }

  // One datagram at the peer: its text (or the errno name), and its source.
  std::string receive(Endpoint& from) {
    char buf[512];
    from.len = sizeof from.storage;
    const ssize_t n = ::recvfrom(peer.get(), buf, sizeof buf, 0, from.sa(), &from.len);
    return n < 0 ? errno_name(errno) : std::string(buf, static_cast<std::size_t>(n));
  }

  // IORING_OP_RECVMSG: the datagram's text (or the errno name), its source
  // from msg_name / msg_namelen in `from`.
  std::string ring_recvmsg(const RingSocket& s, Endpoint& from) {
    char buf[512];
    iovec iov{buf, sizeof buf};
    msghdr hdr{};
    from = Endpoint{};
    hdr.msg_name = &from.storage;
    hdr.msg_namelen = sizeof from.storage;
    hdr.msg_iov = &iov;
    hdr.msg_iovlen = 1;
    io_uring_sqe& sqe = ring->prepare();
    io_uring_prep_recvmsg(&sqe, s.target(), &hdr, 0);
    if (s.slot >= 0) use_direct(sqe);
    const int res = ring->run()[0];
    from.len = hdr.msg_namelen;
    return res < 0 ? errno_name(-res) : std::string(buf, static_cast<std::size_t>(res));
  }

  Fd peer;
  Endpoint peer_ep;
};

TEST_P(UringUdp, RingDisconnectReturnsZeroAndReleasesPort) {
  RingSocket client = open(descriptor(), SOCK_DGRAM);
  ASSERT_EQ(ring_connect(client, peer_ep), "0");
  EXPECT_EQ(ring_send(client, "hello"), "5 bytes");
  Endpoint from;
  ASSERT_EQ(receive(from), "hello");
  EXPECT_EQ(test::bind_result(family(), SOCK_DGRAM, from.port()), "EADDRINUSE");
  EXPECT_EQ(ring_disconnect(client), "0");
  EXPECT_EQ(test::bind_result(family(), SOCK_DGRAM, from.port()), "0");
  if (descriptor() == Descriptor::fd) {
    EXPECT_EQ(local_endpoint(client.fd.get()), wildcard(0));
  }
}

TEST_P(UringUdp, AfterRingDisconnectSendGivesEdestaddrreqAndRingConnectWorksAgain) {
  RingSocket client = open(descriptor(), SOCK_DGRAM);
  ASSERT_EQ(ring_connect(client, peer_ep), "0");
  ASSERT_EQ(ring_disconnect(client), "0");
  EXPECT_EQ(ring_send(client, "lost"), "EDESTADDRREQ");
  EXPECT_EQ(ring_connect(client, peer_ep), "0");
  EXPECT_EQ(ring_send(client, "back"), "4 bytes");
  Endpoint from;
  EXPECT_EQ(receive(from), "back");
  EXPECT_EQ(from.family(), family());
  EXPECT_NE(from.port(), 0);
  // The peer answers; the reconnected socket receives it.
  ASSERT_EQ(::sendto(peer.get(), "ok", 2, 0, from.sa(), from.len), 2);
  EXPECT_EQ(ring_recv(client), "ok");
}

// What makes a stale datagram possible for the io_uring reuse_unspec: the
// ring disconnect releases the port but keeps the receive queue, and a
// reconnect to any peer delivers what was queued, its source intact.
TEST_P(UringUdp, DatagramQueuedBeforeRingDisconnectIsReadAfterRingReconnectWithItsSource) {
  RingSocket client = open(descriptor(), SOCK_DGRAM);
  ASSERT_EQ(ring_connect(client, peer_ep), "0");
  ASSERT_EQ(ring_send(client, "one"), "3 bytes");
  Endpoint client_ep;
  ASSERT_EQ(receive(client_ep), "one");
  ASSERT_EQ(::sendto(peer.get(), "old", 3, 0, client_ep.sa(), client_ep.len), 3);
  ASSERT_EQ(ring_disconnect(client), "0");
  EXPECT_EQ(test::bind_result(family(), SOCK_DGRAM, client_ep.port()), "0");  // port released
  // Another peer now; the queued datagram still comes first, from the old one.
  const Fd other = make_socket(family(), SOCK_DGRAM);
  bind_to(other.get(), loopback(0));
  ASSERT_EQ(ring_connect(client, local_endpoint(other.get())), "0");
  Endpoint from;
  EXPECT_EQ(ring_recvmsg(client, from), "old");
  EXPECT_EQ(from, peer_ep);
  EXPECT_EQ(from.len, family() == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6));
}

// A connected UDP socket whose peer port has no socket: the ring send
// succeeds, the ICMP port unreachable comes back as the recv's ECONNREFUSED
// (what the io_uring UDP strategies report for a missing echo server).
TEST_P(UringUdp, RingSendToPortWithoutSocketSucceedsAndRecvGivesEconnrefused) {
  RingSocket client = open(descriptor(), SOCK_DGRAM);
  const Endpoint nobody = loopback(find_free_port(loopback(0), SOCK_DGRAM));
  ASSERT_EQ(ring_connect(client, nobody), "0");
  EXPECT_EQ(ring_send(client, "anyone?"), "7 bytes");
  Endpoint from;
  EXPECT_EQ(ring_recvmsg(client, from), "ECONNREFUSED");
  // The error was reported once; the socket works on.
  EXPECT_EQ(ring_connect(client, peer_ep), "0");
  EXPECT_EQ(ring_send(client, "ok"), "2 bytes");
  EXPECT_EQ(receive(from), "ok");
}

INSTANTIATE_TEST_SUITE_P(Loopback, UringUdp,
                         ::testing::Combine(::testing::Values(AF_INET, AF_INET6),
                                            ::testing::Values(Descriptor::fd, Descriptor::direct)),
                         uring_param_name);

// --- one exchange as one linked chain of direct-descriptor operations ----------------

// The peer of the chain tests, on its own thread: accepts `count`
// connections one after another, echoes one read on each, and records how
// each ended ("EOF", "ECONNRESET") and the client's port.
class EchoPeer {
 public:
  EchoPeer(int listener, int count) : thread_([this, listener, count] { serve(listener, count); }) {}
  ~EchoPeer() { join(); }
  EchoPeer(const EchoPeer&) = delete;
  EchoPeer& operator=(const EchoPeer&) = delete;

  void join() {
    if (thread_.joinable()) thread_.join();
  }
  // After join().
  const Strings& ends() const { return ends_; }
  const std::vector<Endpoint>& clients() const { return clients_; }

 private:
  void serve(int listener, int count) {
    for (int i = 0; i < count; ++i) {
      Endpoint client;
      client.len = sizeof client.storage;
      Fd s(::accept4(listener, client.sa(), &client.len, SOCK_CLOEXEC));
      if (!s) {
        ends_.push_back("accept4: " + errno_name(errno));
        return;
      }
      clients_.push_back(client);
      set_recv_timeout(s.get(), kIoTimeout);
      char buf[512];
      const ssize_t n = ::read(s.get(), buf, sizeof buf);
      if (n > 0 && write_all(s.get(), buf, static_cast<std::size_t>(n)) != 0) {
        ends_.push_back("write: " + errno_name(errno));
        continue;
      }
      ends_.push_back(n <= 0 ? "first read: " + (n == 0 ? std::string("EOF") : errno_name(errno))
                             : read_once(s.get()));
    }
  }

  Strings ends_;
  std::vector<Endpoint> clients_;
  std::thread thread_;  // last: starts after the members it fills exist
};

class UringChain : public ::testing::TestWithParam<int>, protected UringFixture {
 protected:
  void SetUp() override {
    if (!start(GetParam())) GTEST_SKIP() << skip;
  }

  // Prepares connect -> send -> recv -> close_direct on `slot`, each linked
  // to the next with `link` (IOSQE_IO_LINK or IOSQE_IO_HARDLINK).
  void prepare_exchange(unsigned slot, const Endpoint& to, unsigned link) {
    io_uring_sqe* sqe = &ring->prepare();
    io_uring_prep_connect(sqe, static_cast<int>(slot), to.sa(), to.len);
    sqe->flags |= IOSQE_FIXED_FILE | link;
    sqe = &ring->prepare();
    io_uring_prep_send(sqe, static_cast<int>(slot), kPing.data(), kPing.size(), MSG_NOSIGNAL);
    sqe->flags |= IOSQE_FIXED_FILE | link;
    sqe = &ring->prepare();
    io_uring_prep_recv(sqe, static_cast<int>(slot), echo, sizeof echo, 0);
    sqe->flags |= IOSQE_FIXED_FILE | link;
    io_uring_prep_close_direct(&ring->prepare(), slot);
  }

  // IORING_OP_SOCKET into `slot` (liburing's socket_direct: an explicit
  // slot), linked to what comes next with `link`.
  void prepare_socket_into(unsigned slot, unsigned link) {
    io_uring_sqe& sqe = ring->prepare();
    io_uring_prep_socket_direct(&sqe, family(), SOCK_STREAM, 0, slot, 0);
    sqe.flags |= link;
  }

  // A socket into slot 9, then an exchange with a port nobody listens on,
  // each step linked to the next with `link`: the chain's results.
  Strings chain_to_refused_port(unsigned link) {
    const Endpoint refused = loopback(find_free_port(loopback(0), SOCK_STREAM));
    prepare_socket_into(9, link);
    prepare_exchange(9, refused, link);
    return run();
  }

  static constexpr std::string_view kPing = "ping";
  char echo[64] = {};
};

TEST_P(UringChain, ExplicitSlotChainOfSocketConnectSendRecvCloseIsOneSubmission) {
  constexpr int kCycles = 20;
  EchoPeer peer(listener.get(), kCycles);
  for (int i = 0; i < kCycles; ++i) {
    prepare_socket_into(7, IOSQE_IO_LINK);
    prepare_exchange(7, server, IOSQE_IO_LINK);
    ASSERT_EQ(run(), (Strings{"0", "0", "4", "4", "0"})) << "cycle " << i;
    EXPECT_EQ(std::string(echo, 4), "ping");
  }
  peer.join();
  ASSERT_EQ(peer.ends(), Strings(kCycles, "EOF"));  // close_direct sent a FIN
  EXPECT_EQ(close_slot(7), "EBADF");                 // the chain emptied its slot
  // The client closed first: TIME_WAIT on the client side, one per cycle.
  Strings expected{listening()};
  for (const Endpoint& c : peer.clients()) {
    ports.push_back(c.port());
    expected.push_back(entry(TcpState::time_wait, c, server));
  }
  expect_sockets(expected);
}

TEST_P(UringChain, AllocatedSlotIsKnownOnlyFromItsCompletionSoTheRestFollowsInASecondSubmission) {
  // socket_direct_alloc's slot comes back in its cqe->res; an SQE linked in
  // the same submission was prepared before that and cannot name it.
  EchoPeer peer(listener.get(), 1);
  const int slot = alloc_direct(SOCK_STREAM);
  ASSERT_GE(slot, 0);
  ASSERT_LT(slot, static_cast<int>(kSlots));
  prepare_exchange(static_cast<unsigned>(slot), server, IOSQE_IO_LINK);
  EXPECT_EQ(run(), (Strings{"0", "4", "4", "0"}));
  peer.join();
  EXPECT_EQ(peer.ends(), Strings{"EOF"});
  EXPECT_EQ(close_slot(static_cast<unsigned>(slot)), "EBADF");
}

TEST_P(UringChain, LinkedChainStopsAtAFailedConnectAndLeavesTheSocketInItsSlot) {
  // The close_direct at the end of the chain was cancelled with the rest...
  EXPECT_EQ(chain_to_refused_port(IOSQE_IO_LINK), (Strings{"0", "ECONNREFUSED", "ECANCELED", "ECANCELED", "ECANCELED"}));
  // ...so the socket is still in slot 9 until it is closed on its own.
  EXPECT_EQ(close_slot(9), "0");
  EXPECT_EQ(close_slot(9), "EBADF");
}

TEST_P(UringChain, HardLinkedChainRunsItsCloseEvenAfterAFailedConnect) {
  // A hard link does not cancel what follows: send and recv run on the
  // refused socket and the close runs. The recv reads end of stream (0), not
  // an error (a socket whose non-blocking connect() was refused does the
  // same; after a blocking connect() recv gives ENOTCONN): only the connect's
  // result tells that the exchange failed.
  EXPECT_EQ(chain_to_refused_port(IOSQE_IO_HARDLINK), (Strings{"0", "ECONNREFUSED", "EPIPE", "0", "0"}));
  EXPECT_EQ(close_slot(9), "EBADF");
}

TEST_P(UringChain, ExplicitSlotReplacesASocketStillInIt) {
  // A socket left in a slot (a cancelled close) does not block the slot: the
  // next IORING_OP_SOCKET into it replaces (and closes) it.
  prepare_socket_into(3, 0);
  ASSERT_EQ(run(), Strings{"0"});
  RingSocket first{Fd(), 3};
  ASSERT_EQ(ring_connect(first, server), "0");
  Fd peer1 = accept_peer();
  prepare_socket_into(3, 0);
  EXPECT_EQ(run(), Strings{"0"});
  // The replaced socket was closed: its peer sees the FIN.
  EXPECT_EQ(read_once(peer1.get()), "EOF");
  EXPECT_EQ(close_slot(3), "0");
  EXPECT_EQ(close_slot(3), "EBADF");
}

// SO_LINGER {1,0} linked into the chain between socket and connect.
TEST_P(UringChain, Linger0ChainSendsRstAndLeavesNoTimeWait) {
  EchoPeer peer(listener.get(), 1);
  const linger lg{1, 0};
  prepare_socket_into(5, IOSQE_IO_LINK);
  io_uring_sqe& sqe = ring->prepare();
  prep_setsockopt(sqe, 5, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  sqe.flags |= IOSQE_FIXED_FILE | IOSQE_IO_LINK;
  prepare_exchange(5, server, IOSQE_IO_LINK);
  const Strings results = run();
  if (results[1] == "EOPNOTSUPP") {
    ::shutdown(listener.get(), SHUT_RDWR);  // ends the peer's accept
    GTEST_SKIP() << "SOCKET_URING_OP_SETSOCKOPT: EOPNOTSUPP (needs kernel 6.7+)";
  }
  EXPECT_EQ(results, (Strings{"0", "0", "0", "4", "4", "0"}));
  peer.join();
  EXPECT_EQ(peer.ends(), Strings{"ECONNRESET"});
  for (const Endpoint& c : peer.clients()) ports.push_back(c.port());
  expect_sockets({listening()});
}

// --- the registered file table does not leak ------------------------------------------

TEST_P(UringChain, TenThousandAllocAndCloseCyclesLeaveEverySlotFree) {
  constexpr int kCycles = 10'000;
  std::set<int> slots;
  int failed = 0;
  std::string first_failure;
  for (int i = 0; i < kCycles; ++i) {
    io_uring_prep_socket_direct_alloc(&ring->prepare(), family(), SOCK_STREAM, 0, 0);
    const int slot = ring->run()[0];
    if (slot < 0) {
      if (failed++ == 0) first_failure = "cycle " + std::to_string(i) + ": " + res_text(slot);
      continue;
    }
    slots.insert(slot);
    io_uring_prep_close_direct(&ring->prepare(), static_cast<unsigned>(slot));
    if (const int res = ring->run()[0]; res != 0) {
      if (failed++ == 0) first_failure = "cycle " + std::to_string(i) + ": close_direct " + res_text(res);
    }
  }
  EXPECT_EQ(failed, 0) << first_failure;
  // The kernel hands out the slot it freed last: always the same one.
  EXPECT_EQ(slots, std::set<int>{0});

  // All kSlots slots are free: kSlots allocations succeed, the next is ENFILE.
  std::set<int> all;
  for (unsigned i = 0; i < kSlots; ++i) all.insert(alloc_direct(SOCK_STREAM));
  EXPECT_EQ(all.size(), kSlots);
  EXPECT_EQ(*all.begin(), 0);
  EXPECT_EQ(*all.rbegin(), static_cast<int>(kSlots - 1));
  io_uring_prep_socket_direct_alloc(&ring->prepare(), family(), SOCK_STREAM, 0, 0);
  EXPECT_EQ(run_one(), "ENFILE");
  for (const int slot : all) {
    if (slot >= 0) {
      EXPECT_EQ(close_slot(static_cast<unsigned>(slot)), "0");
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Loopback, UringChain, ::testing::Values(AF_INET, AF_INET6), test::family_name);

}  // namespace
}  // namespace sockchurn
