// The bundled echo server: what it echoes on each port, that churn leaves no
// descriptors behind, the ready line, and the sockchurn-echo binary's exit
// codes. Run by hand inside `unshare -n` (see docs/echo-server.md).
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "echo_process.hpp"
#include "echo_server.hpp"
#include "endpoint.hpp"
#include "fd.hpp"
#include "ready_line.hpp"
#include "sockops.hpp"
#include "support/echo_client.hpp"

namespace {

using namespace std::chrono_literals;
namespace echo = sockchurn::echo;
using sockchurn::Endpoint;
using sockchurn::error_name;
using sockchurn::Fd;
using namespace sockchurn::test;

bool ipv6_loopback_available() {
  Fd s(::socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  const Endpoint any = sockchurn::loopback_v6(0);
  return s && ::bind(s.get(), any.sa(), any.len) == 0;
}

// --- ready line ------------------------------------------------------------

TEST(ReadyLine, IsTheDocumentedText) {
  EXPECT_EQ(sockchurn::ready_line({41234, 41235, 41236}), "sockchurn-echo ready tcp=41234 tcp_once=41235 udp=41236");
}

TEST(ReadyLine, RoundTrips) {
  for (const echo::Ports p : {echo::Ports{1, 2, 3}, echo::Ports{41234, 41235, 41236}, echo::Ports{65535, 65535, 1}}) {
    const std::string line = sockchurn::ready_line(p);
    EXPECT_EQ(sockchurn::parse_ready_line(line), p) << line;
    EXPECT_EQ(sockchurn::parse_ready_line(line + "\n"), p) << line;
    EXPECT_EQ(sockchurn::parse_ready_line(line + "\r\n"), p) << line;
  }
}

TEST(ReadyLine, RejectsMalformedLines) {
  for (const char* line : {
           "",
           "sockchurn-echo ready",
           "sockchurn-echo ready ",
           "sockchurn-echo ready tcp=1 tcp_once=2",
           "sockchurn-echo ready tcp=1 tcp_once=2 udp=3 extra=4",
           "sockchurn-echo ready tcp=1 tcp_once=2 udp=3 ",
           "sockchurn-echo ready tcp=1  tcp_once=2 udp=3",
           "sockchurn-echo ready tcp_once=2 tcp=1 udp=3",
           "sockchurn-echo ready tcp=0 tcp_once=2 udp=3",
           "sockchurn-echo ready tcp=1 tcp_once=2 udp=65536",
           "sockchurn-echo ready tcp=1 tcp_once=-2 udp=3",
           "sockchurn-echo ready tcp=+1 tcp_once=2 udp=3",
           "sockchurn-echo ready tcp=1 tcp_once=2 udp=3x",
           "sockchurn-echo ready tcp= tcp_once=2 udp=3",
           "sockchurn-echo ready tcp=1 tcp_once=2 udp=99999999999999999999",
           "sockchurn-echo  ready tcp=1 tcp_once=2 udp=3",
           "sockchurn-echo starting tcp=1 tcp_once=2 udp=3",
           " sockchurn-echo ready tcp=1 tcp_once=2 udp=3",
           "sockchurn-echo ready tcp=1 tcp_once=2 udp=3\n\n",
       }) {
    EXPECT_EQ(sockchurn::parse_ready_line(line), std::nullopt) << "'" << line << "'";
  }
}

// --- echo on each port -----------------------------------------------------

class EchoServer : public ::testing::Test {
 protected:
  Endpoint tcp() const { return sockchurn::loopback_v4(server_.ports().tcp); }
  Endpoint tcp_once() const { return sockchurn::loopback_v4(server_.ports().tcp_once); }
  Endpoint udp() const { return sockchurn::loopback_v4(server_.ports().udp); }

  echo::BackgroundServer server_{echo::Config{.max_message = 1000}};
};

TEST_F(EchoServer, ListensOnThreeDistinctPorts) {
  const echo::Ports p = server_.ports();
  EXPECT_NE(p.tcp, 0);
  EXPECT_NE(p.tcp_once, 0);
  EXPECT_NE(p.udp, 0);
  EXPECT_NE(p.tcp, p.tcp_once);
}

TEST_F(EchoServer, TcpEchoesOneByte) {
  Fd s = connect_tcp(tcp());
  EXPECT_EQ(error_name(tcp_round_trip(s.get(), pattern(1))), "ok");
}

TEST_F(EchoServer, TcpEchoesSixtyFourBytesRepeatedly) {
  Fd s = connect_tcp(tcp());
  for (unsigned i = 0; i < 100; ++i) ASSERT_EQ(error_name(tcp_round_trip(s.get(), pattern(64, i))), "ok") << i;
}

TEST_F(EchoServer, TcpEchoesOneMebibyteByteForByte) {
  // More than the socket buffers hold: write and read at the same time.
  constexpr std::size_t kSize = 1 << 20;
  const std::vector<char> data = pattern(kSize, 7);
  Fd s = connect_tcp(tcp());
  int write_error = 0;
  std::thread writer([&] { write_error = sockchurn::write_all(s.get(), data.data(), data.size()); });
  std::vector<char> back(kSize);
  const int read_error = sockchurn::read_exact(s.get(), back.data(), back.size());
  writer.join();
  EXPECT_EQ(error_name(write_error), "ok");
  ASSERT_EQ(error_name(read_error), "ok");
  EXPECT_TRUE(back == data) << "first difference at byte "
                            << std::mismatch(back.begin(), back.end(), data.begin()).first - back.begin();
}

TEST_F(EchoServer, TcpEchoesUntilThePeerCloses) {
  Fd s = connect_tcp(tcp());
  ASSERT_EQ(error_name(tcp_round_trip(s.get(), pattern(10))), "ok");
  sockchurn::check(::shutdown(s.get(), SHUT_WR), "shutdown");
  EXPECT_EQ(error_name(sockchurn::read_eof(s.get())), "ok");  // the server closes after our FIN
}

TEST_F(EchoServer, EchoOnceEchoesThenClosesFirst) {
  Fd s = connect_tcp(tcp_once());
  ASSERT_EQ(error_name(tcp_round_trip(s.get(), pattern(100))), "ok");
  EXPECT_EQ(error_name(sockchurn::read_eof(s.get())), "ok");
  EXPECT_TRUE(eventually([&] { return server_.stats().active == 0; }));
}

TEST_F(EchoServer, EchoOnceEchoesAtMostMaxMessageBytes) {
  Fd s = connect_tcp(tcp_once());
  const std::vector<char> data = pattern(1500);  // max_message is 1000
  ASSERT_EQ(error_name(sockchurn::write_all(s.get(), data.data(), data.size())), "ok");
  std::vector<char> back(1000);
  ASSERT_EQ(error_name(sockchurn::read_exact(s.get(), back.data(), back.size())), "ok");
  EXPECT_TRUE(std::equal(back.begin(), back.end(), data.begin()));
  // Closed with 500 bytes unread: the kernel sends RST rather than FIN.
  const int end = sockchurn::read_eof(s.get());
  EXPECT_TRUE(closed_by_server(end)) << error_name(end);
}

TEST_F(EchoServer, UdpEchoesEachDatagramFromItsPort) {
  Fd s = client_socket(AF_INET, SOCK_DGRAM);
  for (std::size_t size : {1, 64, 1000}) {
    EXPECT_EQ(error_name(udp_round_trip(s.get(), udp(), pattern(size, static_cast<unsigned>(size)))), "ok") << size;
  }
  EXPECT_EQ(server_.stats().udp_datagrams, 3u);
}

TEST_F(EchoServer, UdpDropsDatagramsOverMaxMessage) {
  Fd s = client_socket(AF_INET, SOCK_DGRAM);
  const std::vector<char> big = pattern(1001);
  ASSERT_EQ(::sendto(s.get(), big.data(), big.size(), 0, udp().sa(), udp().len), 1001);
  ASSERT_TRUE(eventually([&] { return server_.stats().udp_oversized == 1; }));
  EXPECT_EQ(error_name(udp_round_trip(s.get(), udp(), pattern(1000))), "ok");  // the next one is answered
}

TEST(EchoServerIpv6, TcpAndUdpEcho) {
  if (!ipv6_loopback_available()) GTEST_SKIP() << "no IPv6 loopback";
  echo::BackgroundServer server(echo::Config{.listen = "::1"});
  Fd t = connect_tcp(sockchurn::loopback_v6(server.ports().tcp));
  EXPECT_EQ(error_name(tcp_round_trip(t.get(), pattern(64))), "ok");
  Fd once = connect_tcp(sockchurn::loopback_v6(server.ports().tcp_once));
  EXPECT_EQ(error_name(tcp_round_trip(once.get(), pattern(64))), "ok");
  EXPECT_EQ(error_name(sockchurn::read_eof(once.get())), "ok");
  Fd u = client_socket(AF_INET6, SOCK_DGRAM);
  EXPECT_EQ(error_name(udp_round_trip(u.get(), sockchurn::loopback_v6(server.ports().udp), pattern(64))), "ok");
}

TEST(EchoServerConfig, RejectsBadSettings) {
  EXPECT_THROW(echo::Server(echo::Config{.listen = "127.0.0.300"}), std::invalid_argument);
  EXPECT_THROW(echo::Server(echo::Config{.threads = 0}), std::invalid_argument);
  EXPECT_THROW(echo::Server(echo::Config{.max_connections = 0}), std::invalid_argument);
  EXPECT_THROW(echo::Server(echo::Config{.max_message = 0}), std::invalid_argument);
}

TEST(EchoServerConfig, NamesTheAddressWhenThePortIsTaken) {
  echo::BackgroundServer first;
  try {
    echo::Server second(echo::Config{.tcp_port = first.ports().tcp});
    FAIL() << "bound a port in use";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), EADDRINUSE);
    EXPECT_NE(std::string(e.what()).find("127.0.0.1:" + std::to_string(first.ports().tcp)), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("EADDRINUSE"), std::string::npos) << e.what();
  }
}

// --- churn: every connection served, no descriptor left behind ---------------

class EchoChurn : public ::testing::TestWithParam<unsigned> {  // server threads
 protected:
  void SetUp() override { raise_fd_limit(4096); }
};

TEST_P(EchoChurn, TenThousandSequentialConnections) {
  echo::BackgroundServer server(echo::Config{.threads = GetParam()});
  const Endpoint ep = sockchurn::loopback_v4(server.ports().tcp);
  const std::size_t idle_fds = open_fds();
  for (unsigned i = 0; i < 10'000; ++i) {
    Fd s = connect_tcp(ep);
    ASSERT_EQ(error_name(tcp_round_trip(s.get(), pattern(64, i))), "ok") << "connection " << i;
    sockchurn::set_linger0(s.get());  // RST: no TIME_WAIT piles up
  }
  EXPECT_TRUE(eventually([&] { return open_fds() == idle_fds; })) << open_fds() << " fds, " << idle_fds << " idle";
  EXPECT_TRUE(eventually([&] { return server.stats().active == 0; }));
  EXPECT_EQ(server.stats().accepted, 10'000u);
  EXPECT_EQ(server.stats().refused, 0u);
}

TEST_P(EchoChurn, FiveHundredConcurrentConnections) {
  echo::BackgroundServer server(echo::Config{.threads = GetParam()});
  const Endpoint ep = sockchurn::loopback_v4(server.ports().tcp);
  const std::size_t idle_fds = open_fds();
  std::vector<Fd> clients;
  for (unsigned i = 0; i < 500; ++i) clients.push_back(connect_tcp(ep));
  ASSERT_TRUE(eventually([&] { return server.stats().active == 500; })) << server.stats().active;
  for (unsigned i = 0; i < clients.size(); ++i) {
    const auto data = pattern(64, i);
    ASSERT_EQ(error_name(sockchurn::write_all(clients[i].get(), data.data(), data.size())), "ok");
  }
  for (unsigned i = 0; i < clients.size(); ++i) {
    std::vector<char> back(64);
    ASSERT_EQ(error_name(sockchurn::read_exact(clients[i].get(), back.data(), back.size())), "ok") << i;
    ASSERT_TRUE(back == pattern(64, i)) << i;
  }
  EXPECT_EQ(open_fds(), idle_fds + 1000);  // ours and the server's
  for (Fd& c : clients) sockchurn::set_linger0(c.get());
  clients.clear();
  EXPECT_TRUE(eventually([&] { return open_fds() == idle_fds; })) << open_fds() << " fds, " << idle_fds << " idle";
  EXPECT_TRUE(eventually([&] { return server.stats().active == 0; }));
}

INSTANTIATE_TEST_SUITE_P(Threads, EchoChurn, ::testing::Values(1u, 2u),
                         [](const auto& info) { return "threads" + std::to_string(info.param); });

// --- the sockchurn-echo binary ----------------------------------------------

struct Exit {
  int status = -1;
  std::string out, err;
};

// Runs sockchurn-echo to completion, bounded: killed after 10 s. With
// `while_ready`, waits for the ready line, calls it with the ports, then sends
// SIGTERM.
Exit run_echo_binary(const std::vector<std::string>& args,
                     const std::function<void(const echo::Ports&)>& while_ready = {}) {
  const Fd out = memory_file("stdout");
  const Fd err = memory_file("stderr");
  const pid_t pid = spawn_echo(args, out, err);
  Exit e;
  bool exited = false;
  const auto reap = [&] { return exited || (exited = ::waitpid(pid, &e.status, WNOHANG) == pid); };
  if (while_ready) {
    const std::optional<echo::Ports> ports = wait_for_ready_line(out, reap);
    if (ports) while_ready(*ports);
    if (!reap()) ::kill(pid, SIGTERM);
  }
  if (!eventually(reap, 10s)) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &e.status, 0);
  }
  e.out = read_all(out.get());
  e.err = read_all(err.get());
  return e;
}

TEST(EchoBinary, ServesAndExitsZeroOnSigterm) {
  sockchurn::EchoProcess child(SOCKCHURN_ECHO_BINARY, {"--threads=2", "--stats"});
  Fd t = connect_tcp(sockchurn::loopback_v4(child.ports().tcp));
  EXPECT_EQ(error_name(tcp_round_trip(t.get(), pattern(64))), "ok");
  Fd once = connect_tcp(sockchurn::loopback_v4(child.ports().tcp_once));
  EXPECT_EQ(error_name(tcp_round_trip(once.get(), pattern(64))), "ok");
  EXPECT_EQ(error_name(sockchurn::read_eof(once.get())), "ok");
  Fd u = client_socket(AF_INET, SOCK_DGRAM);
  EXPECT_EQ(error_name(udp_round_trip(u.get(), sockchurn::loopback_v4(child.ports().udp), pattern(64))), "ok");
  // `t` is still connected: the server must not wait for it.
  EXPECT_EQ(exit_code(child.stop()), 0);
}

TEST(EchoBinary, ExitsZeroOnSigint) {
  sockchurn::EchoProcess child(SOCKCHURN_ECHO_BINARY, {});
  ASSERT_EQ(::kill(child.pid(), SIGINT), 0);
  EXPECT_TRUE(eventually([&] { return !child.alive(); }));
  EXPECT_EQ(exit_code(child.stop()), 0);
}

TEST(EchoBinary, PrintsTheReadyLineAndNothingElse) {
  std::string expected;
  const Exit e = run_echo_binary({"--listen=127.0.0.1"}, [&](const echo::Ports& ports) {
    expected = sockchurn::ready_line(ports) + "\n";
    for (int i = 0; i < 50; ++i) {
      Fd s = connect_tcp(sockchurn::loopback_v4(i % 2 ? ports.tcp : ports.tcp_once));
      ASSERT_EQ(error_name(tcp_round_trip(s.get(), pattern(64))), "ok");
      if (i % 3 == 0) sockchurn::set_linger0(s.get());
    }
  });
  EXPECT_EQ(exit_code(e.status), 0);
  EXPECT_EQ(e.out, expected);
  EXPECT_EQ(e.err, "");  // nothing logged per connection
}

TEST(EchoBinary, HelpSaysHowToServeOtherMachines) {
  const Exit e = run_echo_binary({"--help"});
  EXPECT_EQ(exit_code(e.status), 0);
  EXPECT_NE(e.out.find("--listen=ADDR"), std::string::npos);
  EXPECT_NE(e.out.find("Loopback only unless"), std::string::npos);
  EXPECT_EQ(e.err, "");
}

TEST(EchoBinary, BadFlagsExitTwoWithOneLineNamingThem) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--foo"}, "unknown flag '--foo'"},
      {{"--foo=1"}, "unknown flag '--foo=1'"},
      {{"--tcp-port=65536"}, "--tcp-port"},
      {{"--tcp-port", "abc"}, "--tcp-port"},
      {{"--threads=0"}, "--threads"},
      {{"--max-connections", "-1"}, "--max-connections"},
      {{"--idle-timeout=soon"}, "--idle-timeout"},
      {{"--max-message"}, "--max-message needs a value: --max-message=BYTES"},
      {{"--stats=yes"}, "--stats"},
      {{"--listen=not-an-address"}, "'not-an-address'"},
  };
  for (const auto& [args, expected] : cases) {
    const Exit e = run_echo_binary(args);
    EXPECT_EQ(exit_code(e.status), 2) << args[0];
    EXPECT_EQ(e.out, "") << args[0];
    EXPECT_EQ(std::count(e.err.begin(), e.err.end(), '\n'), 1) << e.err;
    EXPECT_TRUE(e.err.starts_with("sockchurn-echo: ")) << e.err;
    EXPECT_NE(e.err.find(expected), std::string::npos) << e.err;
  }
}

TEST(EchoBinary, BindFailureExitsOneNamingAddressAndErrno) {
  echo::BackgroundServer holder;  // holds a TCP port
  const std::string port = std::to_string(holder.ports().tcp);
  const Exit e = run_echo_binary({"--tcp-port", port});
  EXPECT_EQ(exit_code(e.status), 1);
  EXPECT_EQ(e.out, "");
  EXPECT_EQ(std::count(e.err.begin(), e.err.end(), '\n'), 1) << e.err;
  EXPECT_NE(e.err.find("127.0.0.1:" + port), std::string::npos) << e.err;
  EXPECT_NE(e.err.find("EADDRINUSE"), std::string::npos) << e.err;
}

}  // namespace
