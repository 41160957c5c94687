// list_tcp_sockets() / count_tcp_sockets() against sockets whose states the
// test itself creates on loopback. Only entries on the test's own ports are
// looked at, so other sockets on the host do not matter.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <ostream>
#include <thread>
#include <vector>

#include "net/endpoint.hpp"
#include "net/fd.hpp"
#include "net/sockops.hpp"
#include "observe/tcp_states.hpp"

namespace sockchurn {

// So that gtest prints "127.0.0.1:41000" and "time_wait", not bytes and "6".
void PrintTo(const Endpoint& ep, std::ostream* os) { *os << ep.to_string(); }

void PrintTo(TcpState s, std::ostream* os) {
  static constexpr const char* names[] = {"?",         "established", "syn_sent",   "syn_recv",
                                          "fin_wait1", "fin_wait2",   "time_wait",  "close",
                                          "close_wait", "last_ack",   "listen",     "closing"};
  const int i = static_cast<int>(s);
  *os << (i > 0 && i < 12 ? names[i] : "?") << "(" << i << ")";
}

namespace {

Endpoint loopback(int family, std::uint16_t port) {
  return family == AF_INET ? loopback_v4(port) : loopback_v6(port);
}

Endpoint wildcard(int family) { return parse_host(family == AF_INET ? "0.0.0.0" : "::"); }

// Polls `pred` for up to 2 s (loopback delivers in microseconds; this only
// absorbs scheduling noise).
template <typename Pred>
bool eventually(Pred pred) {
  for (int i = 0; i < 2000; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return pred();
}

class TcpStates : public ::testing::TestWithParam<int> {
 protected:
  int family() const { return GetParam(); }

  void SetUp() override {
    listener = make_socket(family(), SOCK_STREAM);
    bind_to(listener.get(), loopback(family(), 0));
    check(::listen(listener.get(), 8), "listen");
    server_port = local_endpoint(listener.get()).port();
  }

  // Connects client to the listener and accepts it as `server`.
  void connect_pair() {
    client = make_socket(family(), SOCK_STREAM);
    ASSERT_EQ(connect_to(client.get(), loopback(family(), server_port)), 0);
    server = Fd(check(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC), "accept4"));
    client_port = local_endpoint(client.get()).port();
  }

  // This test's sockets: both ports are the test's own (or 0). A host may
  // hold older sockets that share one port number with them, never both.
  std::vector<TcpSocketInfo> ours() const {
    const auto mine = [&](std::uint16_t p) { return p == server_port || p == client_port || p == 0; };
    std::vector<TcpSocketInfo> found;
    for (const auto& s : list_tcp_sockets())
      if (mine(s.local.port()) && mine(s.remote.port())) found.push_back(s);
    return found;
  }

  // count_tcp_sockets() agrees with list_tcp_sockets() taken just before and
  // after it (retried while other sockets on the host change in between).
  void expect_count_matches_list(TcpState state, std::uint16_t port) const {
    const auto listed = [&] {
      int n = 0;
      for (const auto& s : list_tcp_sockets())
        if (s.state == state && (s.local.port() == port || s.remote.port() == port)) ++n;
      return n;
    };
    for (int attempt = 0; attempt < 20; ++attempt) {
      const int before = listed();
      const int counted = count_tcp_sockets(state, port);
      if (before == listed()) {
        EXPECT_EQ(counted, before);
        EXPECT_GE(counted, 1);
        return;
      }
    }
    ADD_FAILURE() << "the socket table did not hold still for 20 attempts";
  }

  Fd listener, client, server;
  std::uint16_t server_port = 0, client_port = 0;
};

TEST_P(TcpStates, SeesListener) {
  const auto found = ours();
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].state, TcpState::listen);
  EXPECT_EQ(found[0].local, loopback(family(), server_port));
  EXPECT_EQ(found[0].remote, wildcard(family()));
  expect_count_matches_list(TcpState::listen, server_port);
}

TEST_P(TcpStates, SeesBothEndsOfAnEstablishedConnection) {
  connect_pair();
  const auto found = ours();
  ASSERT_EQ(found.size(), 3u);
  int clients = 0, servers = 0, listeners = 0;
  for (const auto& s : found) {
    if (s.state == TcpState::listen) {
      ++listeners;
      continue;
    }
    EXPECT_EQ(s.state, TcpState::established);
    if (s.local.port() == client_port) {
      ++clients;
      EXPECT_EQ(s.local, loopback(family(), client_port));
      EXPECT_EQ(s.remote, loopback(family(), server_port));
    } else {
      ++servers;
      EXPECT_EQ(s.local, loopback(family(), server_port));
      EXPECT_EQ(s.remote, loopback(family(), client_port));
    }
  }
  EXPECT_EQ(clients, 1);
  EXPECT_EQ(servers, 1);
  EXPECT_EQ(listeners, 1);
  expect_count_matches_list(TcpState::established, client_port);
  expect_count_matches_list(TcpState::established, server_port);
}

TEST_P(TcpStates, SeesTimeWaitOnTheSideThatClosedFirst) {
  connect_pair();
  client.reset();  // client FIN first: the client end goes to TIME_WAIT
  ASSERT_EQ(read_eof(server.get()), 0);
  server.reset();
  ASSERT_TRUE(eventually([&] { return ours().size() == 2; }));
  const auto found = ours();
  ASSERT_EQ(found.size(), 2u);
  const auto& tw = found[0].state == TcpState::listen ? found[1] : found[0];
  EXPECT_EQ(tw.state, TcpState::time_wait);
  EXPECT_EQ(tw.local, loopback(family(), client_port));
  EXPECT_EQ(tw.remote, loopback(family(), server_port));
  expect_count_matches_list(TcpState::time_wait, client_port);
  expect_count_matches_list(TcpState::time_wait, server_port);
}

// A bound socket that neither listens nor connects is listed too, in state
// close (the kernel dumps such "bound inactive" sockets since Linux 6.8).
TEST_P(TcpStates, SeesBoundInactiveSocketAsClose) {
  Fd bound = make_socket(family(), SOCK_STREAM);
  bind_to(bound.get(), loopback(family(), 0));
  client_port = local_endpoint(bound.get()).port();
  const auto found = ours();
  ASSERT_EQ(found.size(), 2u);
  const auto& b = found[0].state == TcpState::listen ? found[1] : found[0];
  EXPECT_EQ(b.state, TcpState::close);
  EXPECT_EQ(b.local, loopback(family(), client_port));
  EXPECT_EQ(b.remote, wildcard(family()));
}

INSTANTIATE_TEST_SUITE_P(Loopback, TcpStates, ::testing::Values(AF_INET, AF_INET6),
                         [](const auto& info) { return info.param == AF_INET ? "v4" : "v6"; });

}  // namespace
}  // namespace sockchurn
