// Re-observes each TCP row of docs/kernel-behaviour.md (the brief's "Linux behaviour
// being measured"): what connect() to an AF_UNSPEC address (sockchurn::disconnect)
// does to a TCP socket in each state, against close() and SO_LINGER {1,0}.
//
// Every test runs for IPv4 (127.0.0.1) and IPv6 (::1). Ports come from bind()
// to port 0; socket lists are filtered to the ports this test used, so the
// tests also pass on a busy host loopback (no network namespace needed).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <ostream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "net/endpoint.hpp"
#include "net/fd.hpp"
#include "net/sockops.hpp"
#include "support/loopback_family.hpp"
#include "support/socket_timeouts.hpp"
#include "support/tcp_observe.hpp"
#include "observe/tcp_states.hpp"

namespace sockchurn {
namespace {

using test::entry;
using test::read_once;
using test::result;
using test::tcp_counter;

using Strings = std::vector<std::string>;

constexpr auto kIoTimeout = std::chrono::seconds(2);

// One non-blocking 1-byte send() without SIGPIPE: "1 bytes" or the errno name.
std::string write_once(int fd) { return test::sent(::send(fd, "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT)); }

// getsockopt(SO_ERROR), which also clears it: "none" or the errno name.
std::string take_so_error(int fd) {
  int err = 0;
  socklen_t len = sizeof err;
  check(::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len), "getsockopt(SO_ERROR)");
  return err == 0 ? "none" : errno_name(err);
}

// How many segments `action` sent. Other programs on a shared host may send
// segments meanwhile, so callers that expect none retry a few times; in a
// private network namespace the first try decides.
template <typename Action>
long segments_sent_by(Action&& action) {
  const long before = tcp_counter("OutSegs");
  action();
  return tcp_counter("OutSegs") - before;
}

bool readable_within(int fd, std::chrono::milliseconds timeout) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(timeout.count())) == 1;
}

// Pins the calling thread to the CPU it is on for its lifetime.
class PinToCurrentCpu {
 public:
  PinToCurrentCpu() {
    check(::sched_getaffinity(0, sizeof saved_, &saved_), "sched_getaffinity");
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(::sched_getcpu(), &one);
    check(::sched_setaffinity(0, sizeof one, &one), "sched_setaffinity");
  }
  ~PinToCurrentCpu() { ::sched_setaffinity(0, sizeof saved_, &saved_); }
  PinToCurrentCpu(const PinToCurrentCpu&) = delete;
  PinToCurrentCpu& operator=(const PinToCurrentCpu&) = delete;

 private:
  cpu_set_t saved_;
};

class KernelTcp : public test::LoopbackFamilyTest {
 protected:
  void SetUp() override {
    listener = listen_on(0, 16);
    server_port = local_endpoint(listener.get()).port();
  }

  // A socket whose blocking calls (connect and accept included) give up
  // after kIoTimeout.
  Fd tcp_socket() {
    Fd s = make_socket(family(), SOCK_STREAM);
    test::set_io_timeouts(s.get(), kIoTimeout);
    return s;
  }

  Fd listen_on(std::uint16_t port, int backlog) {
    Fd s = tcp_socket();
    bind_to(s.get(), loopback(port));
    check(::listen(s.get(), backlog), "listen");
    ports.push_back(local_endpoint(s.get()).port());
    return s;
  }

  // test::bind_explicit_port, the port recorded as one this test used.
  std::uint16_t bind_explicit_port(int s) {
    const std::uint16_t port = test::bind_explicit_port(s, family(), SOCK_STREAM);
    if (port != 0) ports.push_back(port);
    return port;
  }
  std::string bind_result(std::uint16_t port) { return test::bind_result(family(), SOCK_STREAM, port); }

  // Connects `client` to the listener and accepts the server end.
  Fd connect_and_accept(const Fd& client) { return connect_and_accept(client, listener); }
  Fd connect_and_accept(const Fd& client, const Fd& to) {
    const int err = connect_to(client.get(), local_endpoint(to.get()));
    EXPECT_EQ(errno_name(err), errno_name(0)) << "connect failed";
    ports.push_back(local_endpoint(client.get()).port());
    Fd server(check(::accept4(to.get(), nullptr, nullptr, SOCK_CLOEXEC), "accept4"));
    set_recv_timeout(server.get(), kIoTimeout);
    return server;
  }

  // Asserts the TCP sockets on the ports this test used (test::expect_tcp_sockets).
  void expect_sockets(Strings expected) const { test::expect_tcp_sockets(ports, std::move(expected)); }

  std::string listening() const { return entry(TcpState::listen, loopback(server_port), wildcard()); }

  Fd listener;
  std::uint16_t server_port = 0;
  std::vector<std::uint16_t> ports;  // every port this test bound or connected from
};

// --- TCP established -> disconnect ---------------------------------------------

TEST_P(KernelTcp, DisconnectEstablishedReturnsZeroSendsRstAndPeerReadsEconnreset) {
  Fd client = tcp_socket();
  Fd server = connect_and_accept(client);
  const long rsts = tcp_counter("OutRsts");
  EXPECT_EQ(result(disconnect(client.get())), "0");
  EXPECT_GE(tcp_counter("OutRsts") - rsts, 1);
  EXPECT_EQ(read_once(server.get()), "ECONNRESET");
  // The RST killed the server end: an RST'd socket then reads as closed.
  EXPECT_EQ(read_once(server.get()), "EOF");
}

TEST_P(KernelTcp, DisconnectedSocketReadsEconnresetOnceThenEnotconn) {
  Fd client = tcp_socket();
  Fd server = connect_and_accept(client);
  ASSERT_EQ(result(disconnect(client.get())), "0");
  EXPECT_EQ(read_once(client.get()), "ECONNRESET");
  EXPECT_EQ(read_once(client.get()), "ENOTCONN");
  EXPECT_EQ(read_once(client.get()), "ENOTCONN");
}

TEST_P(KernelTcp, DisconnectedSocketWriteGivesEpipeOnceTheErrorIsRead) {
  Fd client = tcp_socket();
  Fd server = connect_and_accept(client);
  ASSERT_EQ(result(disconnect(client.get())), "0");
  // The pending ECONNRESET is reported by whichever call comes first, a
  // write included; after it, writes give EPIPE.
  EXPECT_EQ(write_once(client.get()), "ECONNRESET");
  EXPECT_EQ(write_once(client.get()), "EPIPE");
  EXPECT_EQ(read_once(client.get()), "ENOTCONN");
  EXPECT_EQ(write_once(client.get()), "EPIPE");
}

TEST_P(KernelTcp, DisconnectEstablishedLeavesNoTimeWaitOnEitherSide) {
  Fd client = tcp_socket();
  Fd server = connect_and_accept(client);
  ASSERT_EQ(result(disconnect(client.get())), "0");
  ASSERT_EQ(read_once(server.get()), "ECONNRESET");
  // Both ends are gone from the kernel's tables while their fds are open...
  expect_sockets({listening()});
  // ...and closing the fds sends nothing and leaves nothing.
  client.reset();
  server.reset();
  expect_sockets({listening()});
}

TEST_P(KernelTcp, DisconnectReleasesEphemeralPortAndReconnectGetsNewPortAndClearsError) {
  Fd client = tcp_socket();
  Fd server = connect_and_accept(client);
  const std::uint16_t old_port = local_endpoint(client.get()).port();
  ASSERT_EQ(result(disconnect(client.get())), "0");
  // getsockname() drops the address but still shows the old port number...
  EXPECT_EQ(local_endpoint(client.get()), wildcard(old_port));
  // ...which nothing holds any more: another socket can bind it.
  EXPECT_EQ(bind_result(old_port), "0");
  expect_sockets({listening()});

  // The same fd connects again, without reading the pending ECONNRESET first.
  Fd server2 = connect_and_accept(client);
  const std::uint16_t new_port = local_endpoint(client.get()).port();
  EXPECT_NE(new_port, 0);
  EXPECT_NE(new_port, old_port);
  EXPECT_EQ(peer_endpoint(server2.get()), loopback(new_port));
  EXPECT_EQ(take_so_error(client.get()), "none");
  ASSERT_EQ(write_all(client.get(), "ping", 4), 0);
  char buf[4];
  ASSERT_EQ(read_exact(server2.get(), buf, 4), 0);
  EXPECT_EQ(std::string(buf, 4), "ping");
  expect_sockets({listening(), entry(TcpState::established, loopback(new_port), loopback(server_port)),
                  entry(TcpState::established, loopback(server_port), loopback(new_port))});
}

// --- after the peer's FIN -> disconnect ------------------------------------------

TEST_P(KernelTcp, DisconnectAfterPeerShutdownSendsRstNotFin) {
  Fd client = tcp_socket();
  Fd server = connect_and_accept(client);
  check(::shutdown(server.get(), SHUT_WR), "shutdown");
  ASSERT_EQ(read_once(client.get()), "EOF");  // the seed's advice: disconnect after EOF
  EXPECT_EQ(result(disconnect(client.get())), "0");
  // A FIN would give the server EOF; it reads ECONNRESET: an RST came.
  EXPECT_EQ(read_once(server.get()), "ECONNRESET");
  expect_sockets({listening()});
  client.reset();
  server.reset();
  expect_sockets({listening()});
}

TEST_P(KernelTcp, DisconnectAfterPeerCloseKillsPeerAtOnceAndLeavesNoTimeWait) {
  Fd client = tcp_socket();
  Fd server = connect_and_accept(client);
  const Endpoint c = local_endpoint(client.get()), s = loopback(server_port);
  server.reset();  // server closes first: FIN; its orphan waits in FIN_WAIT2
  ASSERT_EQ(read_once(client.get()), "EOF");
  expect_sockets({listening(), entry(TcpState::close_wait, c, s), entry(TcpState::fin_wait2, s, c)});
  EXPECT_EQ(result(disconnect(client.get())), "0");
  expect_sockets({listening()});
  client.reset();
  expect_sockets({listening()});
}

// --- close() orders ----------------------------------------------------------------

TEST_P(KernelTcp, ServerClosesFirstThenClientCloseLeavesTimeWaitOnServer) {
  Fd client = tcp_socket();
  Fd server = connect_and_accept(client);
  const Endpoint c = local_endpoint(client.get()), s = loopback(server_port);
  server.reset();
  ASSERT_EQ(read_once(client.get()), "EOF");
  client.reset();
  expect_sockets({listening(), entry(TcpState::time_wait, s, c)});
}

TEST_P(KernelTcp, ClientClosesFirstLeavesTimeWaitOnClient) {
  Fd client = tcp_socket();
  Fd server = connect_and_accept(client);
  const Endpoint c = local_endpoint(client.get()), s = loopback(server_port);
  client.reset();
  ASSERT_EQ(read_once(server.get()), "EOF");
  server.reset();
  expect_sockets({listening(), entry(TcpState::time_wait, c, s)});
}

TEST_P(KernelTcp, Linger0CloseSendsRstAndLeavesNoTimeWait) {
  Fd client = tcp_socket();
  Fd server = connect_and_accept(client);
  set_linger0(client.get());
  client.reset();
  EXPECT_EQ(read_once(server.get()), "ECONNRESET");
  server.reset();
  expect_sockets({listening()});
}

// --- disconnect with data in flight ------------------------------------------------

TEST_P(KernelTcp, DisconnectWithUnreadDataSendsRstAndDropsIt) {
  Fd client = tcp_socket();
  Fd server = connect_and_accept(client);
  ASSERT_EQ(write_all(server.get(), "unread", 6), 0);
  ASSERT_TRUE(readable_within(client.get(), std::chrono::milliseconds(2000)));
  EXPECT_EQ(result(disconnect(client.get())), "0");
  EXPECT_EQ(read_once(server.get()), "ECONNRESET");
  // The 6 bytes are gone: reads report the reset, never the data.
  EXPECT_EQ(read_once(client.get()), "ECONNRESET");
  EXPECT_EQ(read_once(client.get()), "ENOTCONN");
  server.reset();
  client.reset();
  expect_sockets({listening()});
}

TEST_P(KernelTcp, DisconnectWithUnsentDataSendsRstAndDropsIt) {
  // Tiny buffers and a server that does not read: the server's window closes
  // and the client's send queue holds bytes that cannot be sent yet.
  const int small = 4096;
  check(::setsockopt(listener.get(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small), "SO_RCVBUF");
  Fd client = tcp_socket();
  check(::setsockopt(client.get(), SOL_SOCKET, SO_SNDBUF, &small, sizeof small), "SO_SNDBUF");
  Fd server = connect_and_accept(client);
  std::size_t written = 0;
  const std::string chunk(1024, 'u');
  for (int i = 0; i < 100'000; ++i) {  // bounded: ends at EAGAIN long before
    const ssize_t n = ::send(client.get(), chunk.data(), chunk.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      ASSERT_EQ(errno_name(errno), "EAGAIN");
      break;
    }
    written += static_cast<std::size_t>(n);
  }
  int unsent = 0;
  check(::ioctl(client.get(), SIOCOUTQNSD, &unsent), "ioctl(SIOCOUTQNSD)");
  ASSERT_GT(unsent, 0) << "nothing left in the client's send queue";

  EXPECT_EQ(result(disconnect(client.get())), "0");
  // The server reads what had arrived, then the reset; the rest never comes.
  std::size_t received = 0;
  std::string last;
  std::vector<char> buf(64 * 1024);
  for (int i = 0; i < 100'000; ++i) {
    const ssize_t n = ::read(server.get(), buf.data(), buf.size());
    if (n <= 0) {
      last = n == 0 ? "EOF" : errno_name(errno);
      break;
    }
    received += static_cast<std::size_t>(n);
  }
  EXPECT_EQ(last, "ECONNRESET");
  EXPECT_LT(received, written);
  EXPECT_GT(written - received, 0u) << "written " << written << ", received " << received;
  server.reset();
  client.reset();
  expect_sockets({listening()});
}

// --- disconnect on a listening socket ----------------------------------------------

TEST_P(KernelTcp, DisconnectListenerStopsListeningKeepsExplicitPortAndListenWorksAgain) {
  Fd l = tcp_socket();
  const std::uint16_t port = bind_explicit_port(l.get());
  check(::listen(l.get(), 16), "listen");
  Fd queued = tcp_socket();  // connected, waiting in the accept queue
  ASSERT_EQ(connect_to(queued.get(), loopback(port)), 0);
  ports.push_back(local_endpoint(queued.get()).port());

  EXPECT_EQ(result(disconnect(l.get())), "0");
  EXPECT_EQ(read_once(queued.get()), "ECONNRESET");  // the accept queue is reset
  Fd refused = tcp_socket();
  EXPECT_EQ(errno_name(connect_to(refused.get(), loopback(port))), "ECONNREFUSED");
  EXPECT_EQ(local_endpoint(l.get()), loopback(port));
  EXPECT_EQ(bind_result(port), "EADDRINUSE");
  expect_sockets({listening(), entry(TcpState::close, loopback(port), wildcard())});

  EXPECT_EQ(result(::listen(l.get(), 16)), "0");
  Fd again = tcp_socket();
  Fd accepted = connect_and_accept(again, l);
  EXPECT_EQ(local_endpoint(accepted.get()), loopback(port));
}

TEST_P(KernelTcp, DisconnectListenerBoundToPortZeroReleasesItsPort) {
  // The fixture's listener was bound to port 0: the kernel picked the port, so
  // a disconnect releases it like an ephemeral one (unlike the founding brief's row,
  // which holds only for a listener bound to an explicit port).
  EXPECT_EQ(result(disconnect(listener.get())), "0");
  Fd refused = tcp_socket();
  EXPECT_EQ(errno_name(connect_to(refused.get(), loopback(server_port))), "ECONNREFUSED");
  // getsockname() still shows the port, but nothing holds it.
  EXPECT_EQ(local_endpoint(listener.get()), loopback(server_port));
  expect_sockets({});
  EXPECT_EQ(bind_result(server_port), "0");
  EXPECT_EQ(result(::listen(listener.get(), 16)), "0");  // listens again, on a new port
  const std::uint16_t new_port = local_endpoint(listener.get()).port();
  EXPECT_NE(new_port, 0);
  EXPECT_NE(new_port, server_port);
}

// --- never-connected and connecting sockets ----------------------------------------

TEST_P(KernelTcp, DisconnectNeverConnectedReturnsZeroAndSendsNothing) {
  Fd s = tcp_socket();
  EXPECT_EQ(result(disconnect(s.get())), "0");
  EXPECT_EQ(take_so_error(s.get()), "none");
  long sent = 1;
  for (int attempt = 0; attempt < 20 && sent != 0; ++attempt) {
    Fd fresh = tcp_socket();
    sent = segments_sent_by([&] { ASSERT_EQ(result(disconnect(fresh.get())), "0"); });
  }
  EXPECT_EQ(sent, 0);
  EXPECT_EQ(local_endpoint(s.get()), wildcard());
  Fd server = connect_and_accept(s);  // still usable
  EXPECT_EQ(peer_endpoint(s.get()), loopback(server_port));
}

TEST_P(KernelTcp, DisconnectConnectingSocketReturnsZeroSetsEconnresetAndSendsNothing) {
  // A listener with a full accept queue drops SYNs, so a connect to it stays
  // in SYN_SENT (until the SYN retransmit, 1 s later).
  Fd full = listen_on(0, 0);
  const Endpoint full_ep = local_endpoint(full.get());
  Fd first = tcp_socket();
  ASSERT_EQ(connect_to(first.get(), full_ep), 0);  // fills the queue of 1
  const Endpoint first_ep = local_endpoint(first.get());
  ports.push_back(first_ep.port());
  const Strings before = {listening(), entry(TcpState::listen, full_ep, wildcard()),
                          entry(TcpState::established, first_ep, full_ep),
                          entry(TcpState::established, full_ep, first_ep)};

  long sent = 1;
  for (int attempt = 0; attempt < 20 && sent != 0; ++attempt) {  // retried only for "sent"
    Fd s = tcp_socket();
    check(::fcntl(s.get(), F_SETFL, O_NONBLOCK), "fcntl");
    ASSERT_EQ(result(::connect(s.get(), full_ep.sa(), full_ep.len)), "EINPROGRESS");
    const Endpoint c = local_endpoint(s.get());
    ports.push_back(c.port());
    Strings connecting = before;
    connecting.push_back(entry(TcpState::syn_sent, c, full_ep));
    expect_sockets(connecting);

    sent = segments_sent_by([&] { EXPECT_EQ(result(disconnect(s.get())), "0"); });
    EXPECT_EQ(take_so_error(s.get()), "ECONNRESET");
    EXPECT_EQ(take_so_error(s.get()), "none");
    expect_sockets(before);
    if (HasFailure()) return;
  }
  EXPECT_EQ(sent, 0) << "a disconnect in SYN_SENT sent a segment in each of 20 tries";
}

// --- explicitly bound client ---------------------------------------------------------

TEST_P(KernelTcp, DisconnectExplicitlyBoundKeepsPortAndReconnectsFromItAtOnce) {
  // Client and server ends on one CPU: the RST and the new SYN are handled in
  // order (docs/kernel-behaviour.md: across CPUs the SYN is sometimes dropped).
  PinToCurrentCpu pin;
  Fd client = tcp_socket();
  const std::uint16_t port = bind_explicit_port(client.get());
  Fd server = connect_and_accept(client);
  ASSERT_EQ(local_endpoint(client.get()), loopback(port));

  ASSERT_EQ(result(disconnect(client.get())), "0");
  EXPECT_EQ(local_endpoint(client.get()), loopback(port));
  EXPECT_EQ(bind_result(port), "EADDRINUSE");
  // Listed as a bound, inactive socket. The kernel clears the peer's port but
  // leaves its address.
  expect_sockets({listening(), entry(TcpState::close, loopback(port), loopback(0))});

  const auto start = std::chrono::steady_clock::now();
  Fd server2 = connect_and_accept(client);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_LT(took, std::chrono::milliseconds(500)) << "the SYN waited for a retransmit";
  EXPECT_EQ(peer_endpoint(server2.get()), loopback(port));
  EXPECT_EQ(read_once(server.get()), "ECONNRESET");  // the old server end got the RST
}

// --- address length -------------------------------------------------------------------

TEST_P(KernelTcp, DisconnectAddressLengthOfSaFamilyWorksShorterIsEinval) {
  Fd client = tcp_socket();
  Fd server = connect_and_accept(client);
  EXPECT_EQ(result(disconnect(client.get(), 0)), "EINVAL");
  EXPECT_EQ(result(disconnect(client.get(), 1)), "EINVAL");
  // Still connected after the two failures.
  ASSERT_EQ(write_all(client.get(), "x", 1), 0);
  EXPECT_EQ(read_once(server.get()), "1 bytes");
  EXPECT_EQ(result(disconnect(client.get(), sizeof(sa_family_t))), "0");
  EXPECT_EQ(read_once(server.get()), "ECONNRESET");
}

// --- the next initial sequence number -------------------------------------------------

// Reads write_seq (the next sequence number to send) and the largest window the
// peer ever advertised, through TCP_REPAIR (needs CAP_NET_ADMIN). Leaving
// repair mode sends a window probe, harmless here.
struct SendSeq {
  std::uint32_t write_seq;
  std::uint32_t max_window;
};
std::optional<SendSeq> read_send_seq(int fd) {
  int on = 1;
  if (::setsockopt(fd, IPPROTO_TCP, TCP_REPAIR, &on, sizeof on) != 0) {
    if (errno == EPERM) return std::nullopt;
    throw_errno("setsockopt(TCP_REPAIR)");
  }
  int queue = TCP_SEND_QUEUE;
  check(::setsockopt(fd, IPPROTO_TCP, TCP_REPAIR_QUEUE, &queue, sizeof queue), "TCP_REPAIR_QUEUE");
  SendSeq seq{};
  socklen_t len = sizeof seq.write_seq;
  check(::getsockopt(fd, IPPROTO_TCP, TCP_QUEUE_SEQ, &seq.write_seq, &len), "TCP_QUEUE_SEQ");
  tcp_repair_window window{};
  len = sizeof window;
  check(::getsockopt(fd, IPPROTO_TCP, TCP_REPAIR_WINDOW, &window, &len), "TCP_REPAIR_WINDOW");
  seq.max_window = window.max_window;
  int off = TCP_REPAIR_OFF;
  check(::setsockopt(fd, IPPROTO_TCP, TCP_REPAIR, &off, sizeof off), "setsockopt(TCP_REPAIR off)");
  return seq;
}

// A disconnected socket does not draw a fresh random ISN on its next
// connect(): tcp_disconnect() sets write_seq = old write_seq + max_window + 2
// and connect() keeps a non-zero write_seq. A security caveat for reuse.
TEST_P(KernelTcp, NextInitialSequenceNumberAfterDisconnectIsOldWriteSeqPlusWindowPlus2) {
  Fd client = tcp_socket();
  Fd server = connect_and_accept(client);
  ASSERT_EQ(write_all(client.get(), "some bytes", 10), 0);
  char buf[10];
  ASSERT_EQ(read_exact(server.get(), buf, sizeof buf), 0);
  const auto before = read_send_seq(client.get());
  if (!before) GTEST_SKIP() << "TCP_REPAIR needs CAP_NET_ADMIN";
  ASSERT_GT(before->max_window, 0u);

  ASSERT_EQ(result(disconnect(client.get())), "0");
  Fd server2 = connect_and_accept(client);
  const auto after = read_send_seq(client.get());
  ASSERT_TRUE(after);
  const std::uint32_t isn = after->write_seq - 1;  // the SYN took one number
  EXPECT_EQ(isn, before->write_seq + before->max_window + 2)
      << "old write_seq " << before->write_seq << ", max_window " << before->max_window;
  // The connection works normally after the repair-mode reads.
  ASSERT_EQ(write_all(client.get(), "ok", 2), 0);
  EXPECT_EQ(read_once(server2.get()), "2 bytes");
}

INSTANTIATE_TEST_SUITE_P(Loopback, KernelTcp, ::testing::Values(AF_INET, AF_INET6), test::family_name);

}  // namespace
}  // namespace sockchurn
