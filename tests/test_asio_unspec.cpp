// What Boost.Asio's reactor (epoll, Boost 1.74 / Asio 1.18) does with a TCP
// socket that is disconnected with connect(AF_UNSPEC) through
// native_handle(), the Asio engine's reuse_unspec: the return value, whether
// async_connect on the same socket object works again (and from which port),
// what pending and later reads complete with, which readiness events the
// disconnect raises and whether Asio's own epoll instance wakes for them, and
// what the peer reads. Rows of docs/kernel-behaviour.md, "Boost.Asio's
// reactor after connect(AF_UNSPEC)".
//
// The peer is the in-process echo server (BackgroundServer) on 127.0.0.1,
// except where the peer's own reads are the question: there a plain
// listening socket stands in, so its read() results can be asserted.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio.hpp>

#include "echo_server.hpp"
#include "net/endpoint.hpp"
#include "net/fd.hpp"
#include "net/sockops.hpp"
#include "support/socket_timeouts.hpp"
#include "observe/tcp_states.hpp"

namespace sockchurn {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;
using namespace std::chrono_literals;

constexpr auto kOpTimeout = 5s;  // no single operation here takes longer

// An error_code as the tests compare it: "ok", "EOF", or the errno name
// (ECONNRESET, ENOTCONN, ...); "pending" for an operation that has not
// completed.
std::string name(const error_code& ec) {
  if (!ec) return "ok";
  if (ec == asio::error::eof) return "EOF";
  if (ec.category() == boost::system::system_category()) return errno_name(ec.value());
  return std::string(ec.category().name()) + ":" + std::to_string(ec.value());
}

// connect() to an AF_UNSPEC address, as the Asio engine's reuse_unspec does
// through native_handle(): "0" or the errno name.
std::string connect_unspec(int fd) {
  sockaddr_storage unspec{};
  unspec.ss_family = AF_UNSPEC;
  const int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&unspec), sizeof unspec);
  return rc == 0 ? "0" : errno_name(errno);
}

// EPOLL* bits as text, "OUT|ERR|HUP", in a fixed order; "none" for 0.
std::string epoll_bits(std::uint32_t events) {
  static constexpr std::pair<std::uint32_t, const char*> kBits[] = {
      {EPOLLIN, "IN"},   {EPOLLPRI, "PRI"},     {EPOLLOUT, "OUT"}, {EPOLLERR, "ERR"},
      {EPOLLHUP, "HUP"}, {EPOLLRDHUP, "RDHUP"}, {EPOLLET, "ET"}};
  std::string text;
  for (const auto& [bit, label] : kBits) {
    if (events & bit) text += (text.empty() ? "" : "|") + std::string(label);
    events &= ~bit;
  }
  if (events != 0) text += (text.empty() ? "" : "|") + std::to_string(events);
  return text.empty() ? "none" : text;
}

// What one epoll_wait(timeout 0) on `epfd` returns: the masks of the ready
// items as epoll_bits() text, or "none".
std::string ready_now(int epfd) {
  epoll_event events[8];
  const int n = ::epoll_wait(epfd, events, 8, 0);
  if (n < 0) return errno_name(errno);
  std::string text;
  for (int i = 0; i < n; ++i) text += (i ? " " : "") + epoll_bits(events[i].events);
  return n == 0 ? "none" : text;
}

// Every epoll instance of this process that watches descriptor `fd`, with
// the events it is registered for (from /proc/self/fdinfo): how Asio's
// reactor registered the socket.
std::vector<std::pair<int, std::uint32_t>> epoll_registrations_of(int fd) {
  std::vector<std::pair<int, std::uint32_t>> found;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    if (std::filesystem::read_symlink(entry.path(), ec).string() != "anon_inode:[eventpoll]") continue;
    const std::string epfd = entry.path().filename().string();
    std::ifstream info("/proc/self/fdinfo/" + epfd);
    std::string line;
    while (std::getline(info, line)) {
      // "tfd:        7 events:       1b data: ..."
      std::istringstream in(line);
      std::string tag, events_tag;
      int target = -1;
      std::uint32_t events = 0;
      if (in >> tag >> target >> events_tag >> std::hex >> events && tag == "tfd:" && target == fd)
        found.emplace_back(std::stoi(epfd), events);
    }
  }
  return found;
}

// A client socket object of the Asio engine's shape on its own io_context,
// run one operation at a time from the test thread.
class AsioUnspec : public ::testing::Test {
 protected:
  // Runs the io_context until `done` holds, at most `limit`.
  template <typename Done>
  void run_until(Done&& done, std::chrono::seconds limit = kOpTimeout) {
    ioc_.restart();
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done() && std::chrono::steady_clock::now() < deadline) ioc_.run_one_for(10ms);
  }

  std::string connect(const tcp::endpoint& to) {
    std::optional<error_code> result;
    socket_.async_connect(to, [&](const error_code& ec) { result = ec; });
    run_until([&] { return result.has_value(); });
    return result ? name(*result) : "pending";
  }

  // One echo exchange of `text`: "ok", or what failed.
  std::string exchange(const std::string& text) {
    std::optional<error_code> wrote, read;
    std::string back(text.size(), '\0');
    asio::async_write(socket_, asio::buffer(text), [&](const error_code& ec, std::size_t) { wrote = ec; });
    asio::async_read(socket_, asio::buffer(back), [&](const error_code& ec, std::size_t) { read = ec; });
    run_until([&] { return wrote.has_value() && read.has_value(); });
    if (!wrote || *wrote) return "write " + (wrote ? name(*wrote) : "pending");
    if (!read || *read) return "read " + (read ? name(*read) : "pending");
    return back == text ? "ok" : "echo differs";
  }

  // Starts an async_read of `size` bytes; its result lands in `out`.
  void start_read(std::size_t size, std::optional<error_code>& out, std::string& into) {
    into.assign(size, '\0');
    asio::async_read(socket_, asio::buffer(into), [&out](const error_code& ec, std::size_t) { out = ec; });
  }

  std::uint16_t local_port() const { return socket_.local_endpoint().port(); }

  // `n` reuse cycles as the Asio engine's coroutine does them: connect, echo,
  // disconnect, and the next connect at once. Returns the first failed step,
  // "" if none; `ports` gets each connection's local port.
  asio::awaitable<std::string> cycles(int n, std::vector<std::uint16_t>& ports) {
    const auto as_value = [](error_code& ec) { return asio::redirect_error(asio::use_awaitable, ec); };
    error_code ec;
    std::string back(4, '\0');
    for (int i = 0; i < n; ++i) {
      co_await socket_.async_connect(echo_, as_value(ec));
      if (ec) co_return "connect " + name(ec);
      ports.push_back(local_port());
      co_await asio::async_write(socket_, asio::buffer("ping", 4), as_value(ec));
      if (ec) co_return "write " + name(ec);
      co_await asio::async_read(socket_, asio::buffer(back), as_value(ec));
      if (ec || back != "ping") co_return "read " + name(ec);
      const std::string disconnected = connect_unspec(socket_.native_handle());
      if (disconnected != "0") co_return "connect(AF_UNSPEC) " + disconnected;
    }
    co_return "";
  }

  echo::BackgroundServer server_;
  const tcp::endpoint echo_{asio::ip::make_address_v4("127.0.0.1"), server_.ports().tcp};
  asio::io_context ioc_{1};
  // Keeps the io_context's reactor running in poll() and run_one_for() when
  // no operation is pending, as a client's loop with other connections does.
  asio::executor_work_guard<asio::io_context::executor_type> work_{ioc_.get_executor()};
  tcp::socket socket_{ioc_};
};

// (a) After Asio's own async_connect, async_write and async_read, connect()
// to AF_UNSPEC on native_handle() returns 0. Asio's socket object stays open
// and knows nothing of it: is_open() holds, remote_endpoint() fails with
// ENOTCONN, local_endpoint() shows the wildcard address with the old port
// (the kernel's stale getsockname(), docs/kernel-behaviour.md).
TEST_F(AsioUnspec, ConnectUnspecAfterAsyncExchangeReturnsZero) {
  ASSERT_EQ(connect(echo_), "ok");
  ASSERT_EQ(exchange("ping"), "ok");
  const std::uint16_t port = local_port();
  EXPECT_EQ(connect_unspec(socket_.native_handle()), "0");
  EXPECT_TRUE(socket_.is_open());
  error_code ec;
  socket_.remote_endpoint(ec);
  EXPECT_EQ(name(ec), "ENOTCONN");
  EXPECT_EQ(socket_.local_endpoint(), tcp::endpoint(asio::ip::address_v4::any(), port));
}

// (b) async_connect on the same socket object works again after the
// disconnect, without reading the pending ECONNRESET first, for 1000 cycles
// written as the Asio engine's coroutine does them (read the echo, disconnect,
// connect again in the same handler, no reactor pass in between). Each
// connection comes from a new ephemeral port, as with the blocking syscalls
// (KernelTcp.DisconnectReleasesEphemeralPortAndReconnectGetsNewPortAndClearsError):
// the kernel walks the port range from a per-destination offset that moves on
// by at least 2 after every connect, so no cycle gets the port of the cycle
// before. (Not every one of the 1000 is new: the offset table is shared by the
// whole machine, so other tests' connects move it too, and a port freed by an
// earlier cycle may come round again; CI saw 991 distinct of 1000.) The server
// served 1000 connections and none is left in TIME_WAIT. Asio's epoll
// registration of the socket is the same one throughout (registered once,
// EPOLLOUT added at the first connect).
TEST_F(AsioUnspec, AsyncConnectOnTheSameSocketWorksForAThousandCycles) {
  constexpr int kCycles = 1000;
  ASSERT_EQ(connect(echo_), "ok");
  const int fd = socket_.native_handle();
  const auto registered = epoll_registrations_of(fd);
  ASSERT_EQ(registered.size(), 1u);  // Asio's reactor, nothing else
  EXPECT_EQ(epoll_bits(registered[0].second), "IN|PRI|OUT|ERR|HUP|ET");
  ASSERT_EQ(connect_unspec(fd), "0");

  std::vector<std::uint16_t> ports;
  std::optional<std::string> failure;  // the first failed step, "" if none
  asio::co_spawn(ioc_, cycles(kCycles, ports), [&](const std::exception_ptr&, std::string f) { failure = f; });
  run_until([&] { return failure.has_value(); }, 120s);  // bounded; far less in practice

  ASSERT_EQ(failure.value_or("pending"), "");
  EXPECT_EQ(ports.size(), static_cast<std::size_t>(kCycles));
  EXPECT_EQ(socket_.native_handle(), fd);
  EXPECT_EQ(std::adjacent_find(ports.begin(), ports.end()), ports.end());  // no two cycles in a row share a port
  EXPECT_EQ(epoll_registrations_of(fd), registered);
  const auto deadline = std::chrono::steady_clock::now() + kOpTimeout;
  while (server_.stats().active != 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
  EXPECT_EQ(server_.stats().accepted, static_cast<std::uint64_t>(kCycles) + 1);
  EXPECT_EQ(server_.stats().active, 0u);
  EXPECT_EQ(count_tcp_sockets(TcpState::time_wait, echo_.port()), 0);
}

// (c) A read pending when another handler disconnects the socket completes
// with ECONNRESET: the disconnect's error report wakes the reactor, whose
// retried recv() takes the error.
//
// A read started afterwards does NOT complete: recv() would give ENOTCONN, but
// Asio does not try it. A read that transferred less than asked (here: an
// error, 0 bytes; likewise EOF) makes Asio's reactor mark the socket's read
// direction exhausted (try_speculative_ = false), so the next read waits for
// a readiness edge, and a disconnected socket raises none. It completes only
// when cancelled (ECANCELED). After a reconnect the next edge comes with the
// echo, so the engine's cycle is not affected (test (b)); a read must not be
// started on a disconnected socket.
TEST_F(AsioUnspec, PendingReadGetsEconnresetAReadStartedLaterNeverCompletes) {
  ASSERT_EQ(connect(echo_), "ok");
  ASSERT_EQ(exchange("ping"), "ok");
  std::optional<error_code> pending;
  std::string into;
  start_read(4, pending, into);  // nothing to read: waits in the reactor
  ioc_.restart();
  ioc_.poll();
  ASSERT_FALSE(pending.has_value());
  std::string disconnected;
  asio::post(ioc_, [&] { disconnected = connect_unspec(socket_.native_handle()); });
  run_until([&] { return pending.has_value(); });
  EXPECT_EQ(disconnected, "0");
  EXPECT_EQ(pending ? name(*pending) : "pending", "ECONNRESET");

  std::optional<error_code> later;
  start_read(4, later, into);
  ioc_.restart();
  ioc_.run_for(200ms);
  EXPECT_EQ(later ? name(*later) : "pending", "pending");
  char byte = 0;
  EXPECT_EQ(::recv(socket_.native_handle(), &byte, 1, MSG_DONTWAIT), -1);
  EXPECT_EQ(errno_name(errno), "ENOTCONN");  // what the kernel would have said
  socket_.cancel();
  run_until([&] { return later.has_value(); });
  EXPECT_EQ(later ? name(*later) : "pending", "ECANCELED");
}

// With no read pending at the disconnect, the first read afterwards is tried
// at once and takes the pending ECONNRESET. The second is not tried at once,
// but the disconnect's own readiness event is still unconsumed in Asio's
// epoll set: the next reactor pass retries it and it gets ENOTCONN. The third
// has no event left to wake it and never completes, as above.
TEST_F(AsioUnspec, ReadsAfterDisconnectGetEconnresetThenEnotconnThenNeverComplete) {
  ASSERT_EQ(connect(echo_), "ok");
  ASSERT_EQ(exchange("ping"), "ok");
  ASSERT_EQ(connect_unspec(socket_.native_handle()), "0");
  std::optional<error_code> first, second, third;
  std::string into;
  start_read(4, first, into);
  EXPECT_EQ(first ? name(*first) : "pending", "pending");  // completions are posted, never run inside the call
  run_until([&] { return first.has_value(); });
  EXPECT_EQ(first ? name(*first) : "pending", "ECONNRESET");
  start_read(4, second, into);
  run_until([&] { return second.has_value(); });
  EXPECT_EQ(second ? name(*second) : "pending", "ENOTCONN");
  start_read(4, third, into);
  ioc_.restart();
  ioc_.run_for(200ms);
  EXPECT_EQ(third ? name(*third) : "pending", "pending");
  socket_.cancel();
  run_until([&] { return third.has_value(); });
  EXPECT_EQ(third ? name(*third) : "pending", "ECANCELED");
}

TEST_F(AsioUnspec, WriteAfterDisconnectGetsEconnresetThenEpipe) {
  ASSERT_EQ(connect(echo_), "ok");
  ASSERT_EQ(exchange("ping"), "ok");
  ASSERT_EQ(connect_unspec(socket_.native_handle()), "0");
  EXPECT_EQ(exchange("ping"), "write ECONNRESET");
  EXPECT_EQ(exchange("ping"), "write EPIPE");
}

// A read left pending across the disconnect *and* the next async_connect
// (both in one handler, no reactor pass in between) is not completed: connect()
// clears the socket's pending error before the reactor retries the read, so
// the old read stays queued and takes the first bytes of the new connection.
// An engine must not leave a read pending when it disconnects (cancel() it
// first, or disconnect only after it completed).
TEST_F(AsioUnspec, ReadPendingAcrossDisconnectAndReconnectReadsTheNewConnection) {
  ASSERT_EQ(connect(echo_), "ok");
  ASSERT_EQ(exchange("ping"), "ok");
  std::optional<error_code> pending;
  std::string into;
  start_read(4, pending, into);
  ioc_.restart();
  ioc_.poll();
  ASSERT_FALSE(pending.has_value());
  std::string disconnected;
  std::optional<error_code> reconnected;
  asio::post(ioc_, [&] {
    disconnected = connect_unspec(socket_.native_handle());
    socket_.async_connect(echo_, [&](const error_code& ec) { reconnected = ec; });
  });
  run_until([&] { return reconnected.has_value(); });
  EXPECT_EQ(disconnected, "0");
  ASSERT_EQ(reconnected ? name(*reconnected) : "pending", "ok");
  ioc_.restart();
  ioc_.run_for(50ms);
  EXPECT_FALSE(pending.has_value()) << name(*pending);  // still waiting, on the new connection
  std::optional<error_code> wrote;
  asio::async_write(socket_, asio::buffer("pong", 4), [&](const error_code& ec, std::size_t) { wrote = ec; });
  run_until([&] { return wrote.has_value() && pending.has_value(); });
  EXPECT_EQ(wrote ? name(*wrote) : "pending", "ok");
  EXPECT_EQ(pending ? name(*pending) : "pending", "ok");
  EXPECT_EQ(into, "pong");
}

// (d) The readiness events of one reuse cycle, seen by an epoll instance of
// our own that watches the socket edge-triggered (as Asio's reactor does)
// for IN|OUT|RDHUP, polled after each step. The socket's own fd is added, not
// a dup: Asio does not remove a socket it opened from its epoll set before
// close() (it relies on close() doing it), so a dup that outlived the socket
// object would keep Asio's registration alive with freed reactor state.
//
// The disconnect raises one event, OUT|ERR|HUP: the socket is in TCP_CLOSE
// (HUP), writable (OUT), with the pending ECONNRESET (ERR); not IN, not RDHUP.
// Asio's own epoll instance becomes readable with it, and the next reactor
// pass takes it: io_context::poll() runs one operation, the socket's
// descriptor state (Asio's perform_io), which finds no operation queued and
// completes no handler. That is one extra reactor wake-up per reuse cycle; a
// closed socket raises none (it leaves the epoll set). The reconnect then
// raises OUT, and the echo one more event, reported as OUT because
// edge-triggered epoll reports the mask at epoll_wait() time and Asio has
// already read the data.
TEST_F(AsioUnspec, DisconnectRaisesOneEventOutErrHupAndWakesAsiosReactorOnce) {
  ASSERT_EQ(connect(echo_), "ok");
  ASSERT_EQ(exchange("ping"), "ok");
  const int fd = socket_.native_handle();
  const auto registered = epoll_registrations_of(fd);
  ASSERT_EQ(registered.size(), 1u);
  const int asio_epoll = registered[0].first;
  const auto asio_ready = [&] {
    pollfd p{asio_epoll, POLLIN, 0};
    return ::poll(&p, 1, 0);
  };

  Fd ours(check(::epoll_create1(EPOLL_CLOEXEC), "epoll_create1"));
  epoll_event ev{};
  ev.events = EPOLLET | EPOLLIN | EPOLLOUT | EPOLLRDHUP;
  check(::epoll_ctl(ours.get(), EPOLL_CTL_ADD, fd, &ev), "epoll_ctl");
  EXPECT_EQ(ready_now(ours.get()), "OUT");  // the state when added: writable
  EXPECT_EQ(ready_now(ours.get()), "none");
  ioc_.restart();
  ioc_.poll();  // a reactor pass takes what the exchange left in Asio's epoll
  ASSERT_EQ(asio_ready(), 0);

  ASSERT_EQ(connect_unspec(fd), "0");
  EXPECT_EQ(ready_now(ours.get()), "OUT|ERR|HUP");
  EXPECT_EQ(ready_now(ours.get()), "none");  // edge-triggered: once
  EXPECT_EQ(asio_ready(), 1);                // Asio's reactor will wake for it
  ioc_.restart();
  EXPECT_EQ(ioc_.poll(), 1u);  // the descriptor's perform_io, no handler: nothing was queued
  EXPECT_EQ(asio_ready(), 0);
  ioc_.restart();
  EXPECT_EQ(ioc_.poll(), 0u);

  ASSERT_EQ(connect(echo_), "ok");
  EXPECT_EQ(ready_now(ours.get()), "OUT");
  ASSERT_EQ(exchange("ping"), "ok");
  EXPECT_EQ(ready_now(ours.get()), "OUT");
  EXPECT_EQ(ready_now(ours.get()), "none");

  // A socket closed instead of disconnected leaves both epoll sets: no event,
  // no reactor work.
  ioc_.restart();
  ioc_.poll();
  ASSERT_EQ(asio_ready(), 0);
  socket_.close();
  EXPECT_EQ(ready_now(ours.get()), "none");
  EXPECT_EQ(asio_ready(), 0);
  ioc_.restart();
  EXPECT_EQ(ioc_.poll(), 0u);
}

// (e) The peer of an Asio socket disconnected through native_handle() reads
// ECONNRESET, then EOF, exactly as after the plain syscall: Asio adds no
// shutdown() or close of its own. A plain listening socket is the peer here,
// so that its reads can be asserted.
TEST_F(AsioUnspec, PeerReadsEconnresetThenEof) {
  Fd listener = make_socket(AF_INET, SOCK_STREAM);
  bind_to(listener.get(), loopback_v4(0));
  check(::listen(listener.get(), 4), "listen");
  const tcp::endpoint to(asio::ip::make_address_v4("127.0.0.1"), local_endpoint(listener.get()).port());
  ASSERT_EQ(connect(to), "ok");
  Fd peer(check(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC), "accept4"));
  test::set_io_timeouts(peer.get(), kOpTimeout);

  std::optional<error_code> wrote;
  asio::async_write(socket_, asio::buffer("ping", 4), [&](const error_code& ec, std::size_t) { wrote = ec; });
  run_until([&] { return wrote.has_value(); });
  ASSERT_EQ(wrote ? name(*wrote) : "pending", "ok");
  char buf[16];
  ASSERT_EQ(::read(peer.get(), buf, sizeof buf), 4);

  ASSERT_EQ(connect_unspec(socket_.native_handle()), "0");
  EXPECT_EQ(::read(peer.get(), buf, sizeof buf), -1);
  EXPECT_EQ(errno_name(errno), "ECONNRESET");
  EXPECT_EQ(::read(peer.get(), buf, sizeof buf), 0);
}

}  // namespace
}  // namespace sockchurn
