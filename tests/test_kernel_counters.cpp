// The kernel's counters (kernel_counters.hpp) against what known socket
// operations must do to them: each test counts exactly, so it needs a
// network namespace of its own (tests/support/private_netns.cpp, as root),
// where no other program opens connections meanwhile; elsewhere it skips.
// And the parser of /proc/net/snmp and /proc/net/netstat on literal text.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "net/endpoint.hpp"
#include "net/fd.hpp"
#include "observe/kernel_counters.hpp"
#include "net/sockops.hpp"
#include "support/loopback_family.hpp"
#include "support/socket_timeouts.hpp"

namespace sockchurn {
namespace {

using test::result;

constexpr int kConnections = 50;
constexpr auto kIoTimeout = std::chrono::seconds(2);

// Why exact counts cannot be asserted here, or empty if they can: the test
// process must have moved into a network namespace of its own (as
// support/private_netns.cpp does before main), away from its parent's.
std::string why_not_private() {
  if (std::getenv("SOCKCHURN_TESTS_SHARED_NETNS") != nullptr) return "SOCKCHURN_TESTS_SHARED_NETNS is set";
  const std::string parent = "/proc/" + std::to_string(::getppid()) + "/ns/net";
  struct stat self {}, outside {};
  if (::stat("/proc/self/ns/net", &self) != 0 || ::stat(parent.c_str(), &outside) != 0)
    return "cannot compare this process's network namespace with its parent's (" + parent + ")";
  if (self.st_ino == outside.st_ino && self.st_dev == outside.st_dev)
    return "not in a private network namespace (needs root): other programs' connections would change the counts";
  return {};
}

// The message of the std::runtime_error that `fn` throws, or "no error".
template <typename Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "no error";
}

class KernelCounters : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const std::string why = why_not_private(); !why.empty()) GTEST_SKIP() << why;
    listener = tcp_socket();
    bind_to(listener.get(), loopback_v4(0));
    check(::listen(listener.get(), 2 * kConnections), "listen");
    server = local_endpoint(listener.get());
  }

  static Fd tcp_socket() {
    Fd s = make_socket(AF_INET, SOCK_STREAM);
    test::set_io_timeouts(s.get(), kIoTimeout);
    return s;
  }

  Fd accept_one() {
    Fd peer(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!peer) throw_errno("accept4");
    test::set_io_timeouts(peer.get(), kIoTimeout);
    return peer;
  }

  // `kConnections` established client sockets and their accepted peers.
  void open_pairs() {
    for (int i = 0; i < kConnections; ++i) {
      clients.push_back(tcp_socket());
      ASSERT_EQ(connect_to(clients.back().get(), server), 0);
      peers.push_back(accept_one());
    }
  }

  // The change of each named counter while `action` runs.
  template <typename Action>
  CounterSnapshot delta_of(Action&& action) {
    const CounterSnapshot before = read_kernel_counters();
    action();
    return counter_delta(before, read_kernel_counters());
  }

  Fd listener;
  Endpoint server;
  std::vector<Fd> clients, peers;
};

// One read(): "EOF", "<n> bytes" or the errno name.
std::string read_once(int fd) {
  char buf[64];
  const ssize_t n = ::read(fd, buf, sizeof buf);
  if (n < 0) return errno_name(errno);
  return n == 0 ? "EOF" : std::to_string(n) + " bytes";
}

TEST_F(KernelCounters, EachConnectionIsOneActiveAndOnePassiveOpen) {
  const CounterSnapshot d = delta_of([&] { open_pairs(); });
  EXPECT_EQ(d.at("Tcp.ActiveOpens"), kConnections);
  EXPECT_EQ(d.at("Tcp.PassiveOpens"), kConnections);
  EXPECT_EQ(d.at("Tcp.OutRsts"), 0);
  EXPECT_EQ(d.at("Tcp.AttemptFails"), 0);
}

TEST_F(KernelCounters, Linger0CloseSendsOneRstPerConnection) {
  open_pairs();
  for (Fd& c : clients) set_linger0(c.get());
  const CounterSnapshot d = delta_of([&] {
    clients.clear();  // close() with SO_LINGER {1,0}
    // The RST has arrived once the peer reads ECONNRESET.
    for (Fd& p : peers) EXPECT_EQ(read_once(p.get()), "ECONNRESET");
  });
  EXPECT_EQ(d.at("Tcp.OutRsts"), kConnections);
  // An established connection aborted: counted on the side that sends the RST
  // and on the side that receives it.
  EXPECT_EQ(d.at("Tcp.EstabResets"), 2 * kConnections);
  EXPECT_EQ(d.at("Tcp.ActiveOpens"), 0);
}

TEST_F(KernelCounters, PlainCloseSendsNoRst) {
  open_pairs();
  const CounterSnapshot d = delta_of([&] {
    clients.clear();  // close(): FIN
    for (Fd& p : peers) EXPECT_EQ(read_once(p.get()), "EOF");
    peers.clear();  // the peer's FIN: the clients go to TIME_WAIT
  });
  EXPECT_EQ(d.at("Tcp.OutRsts"), 0);
  EXPECT_EQ(d.at("Tcp.EstabResets"), 0);
}

TEST_F(KernelCounters, DisconnectCyclesAreOneActiveOpenAndOneRstEach) {
  Fd s = tcp_socket();
  const CounterSnapshot d = delta_of([&] {
    for (int i = 0; i < kConnections; ++i) {
      ASSERT_EQ(connect_to(s.get(), server), 0) << "cycle " << i;
      Fd peer = accept_one();
      ASSERT_EQ(result(disconnect(s.get())), "0") << "cycle " << i;
      ASSERT_EQ(read_once(peer.get()), "ECONNRESET") << "cycle " << i;
    }
  });
  EXPECT_EQ(d.at("Tcp.ActiveOpens"), kConnections);
  EXPECT_EQ(d.at("Tcp.PassiveOpens"), kConnections);
  EXPECT_EQ(d.at("Tcp.OutRsts"), kConnections);
}

TEST_F(KernelCounters, ConnectedUdpSendsAreCountedOnceEach) {
  constexpr int kDatagrams = 20;
  Fd receiver = make_socket(AF_INET, SOCK_DGRAM);
  bind_to(receiver.get(), loopback_v4(0));
  test::set_io_timeouts(receiver.get(), kIoTimeout);
  Fd sender = make_socket(AF_INET, SOCK_DGRAM);
  ASSERT_EQ(connect_to(sender.get(), local_endpoint(receiver.get())), 0);
  const CounterSnapshot d = delta_of([&] {
    for (int i = 0; i < kDatagrams; ++i) ASSERT_EQ(test::sent(::send(sender.get(), "datagram", 8, 0)), "8 bytes");
    for (int i = 0; i < kDatagrams; ++i) ASSERT_EQ(read_once(receiver.get()), "8 bytes");
  });
  EXPECT_EQ(d.at("Udp.OutDatagrams"), kDatagrams);
  EXPECT_EQ(d.at("Udp.InDatagrams"), kDatagrams);
  EXPECT_EQ(d.at("Udp.InErrors"), 0);
  EXPECT_EQ(d.at("Udp.RcvbufErrors"), 0);
}

TEST(KernelCounterList, EveryReportedCounterExistsAndIsNamedForItsFile) {
  const CounterSnapshot now = read_kernel_counters();
  for (const ReportedCounter& c : reported_counters()) {
    EXPECT_EQ(now.count(c.key), 1u) << c.key << " is not a counter of this kernel";
    const std::string key = c.key;
    const std::string section = key.substr(0, key.find('.'));
    const std::string name = key.substr(key.find('.') + 1);
    // snmp_<Section><Name> for /proc/net/snmp, netstat_<Name> for TcpExt.
    const std::string expected = section == "TcpExt" ? "netstat_" + name : "snmp_" + section + name;
    EXPECT_EQ(c.row_name, expected);
    EXPECT_EQ(section == "Udp", c.protocol == Protocol::udp) << c.row_name;
  }
  EXPECT_EQ(reported_counters().size(), 11u);
}

constexpr const char* kSample =
    "Tcp: RtoAlgorithm MaxConn ActiveOpens\n"
    "Tcp: 1 -1 42\n"
    "Udp: InDatagrams OutDatagrams\n"
    "Udp: 7 9223372036854775807\n";

TEST(KernelCounterParser, ReadsEveryPairOfLines) {
  const CounterSnapshot s = parse_kernel_counters(kSample, "sample");
  const CounterSnapshot expected = {{"Tcp.RtoAlgorithm", 1},
                                    {"Tcp.MaxConn", -1},
                                    {"Tcp.ActiveOpens", 42},
                                    {"Udp.InDatagrams", 7},
                                    {"Udp.OutDatagrams", 9223372036854775807}};
  EXPECT_EQ(s, expected);
  // Without the final newline too.
  EXPECT_EQ(parse_kernel_counters("Tcp: A B\nTcp: 1 2", "sample"), (CounterSnapshot{{"Tcp.A", 1}, {"Tcp.B", 2}}));
}

TEST(KernelCounterParser, MalformedTextNamesTheFileAndLine) {
  const auto error = [](const char* text) { return error_of([&] { parse_kernel_counters(text, "snmp-sample"); }); };
  EXPECT_EQ(error("Tcp: A B\nTcp: 1\n"), "snmp-sample line 2: 1 values for the 2 counters of section Tcp");
  EXPECT_EQ(error("Tcp: A B\nTcp: 1 x\n"), "snmp-sample line 2: value 'x' of B is not a whole number in range");
  EXPECT_EQ(error("Tcp: A\nTcp: 99999999999999999999\n"),
            "snmp-sample line 2: value '99999999999999999999' of A is not a whole number in range");
  EXPECT_EQ(error("Tcp: A B\nUdp: 1 2\n"), "snmp-sample line 2: expected the values of section Tcp, got 'Udp: 1 2'");
  EXPECT_EQ(error("Tcp: A B\nTcp: 1 2\nUdp: C\n"), "snmp-sample line 3: header 'Udp: C' has no line of values after it");
  EXPECT_EQ(error("Tcp A B\nTcp 1 2\n"), "snmp-sample line 1: expected a header 'Section: Name ...', got 'Tcp A B'");
  EXPECT_EQ(error("Tcp:\nTcp:\n"), "snmp-sample line 1: header 'Tcp:' names no counter");
  EXPECT_EQ(error("Tcp: A\nTcp: 1\n\n"), "snmp-sample line 3: empty line where a header line was expected");
  EXPECT_EQ(error("Tcp: A A\nTcp: 1 2\n"), "snmp-sample line 1: counter Tcp.A appears twice");
  EXPECT_EQ(error(""), "snmp-sample: no counters");
}

TEST(KernelCounterParser, AMissingFileIsNamed) {
  EXPECT_EQ(error_of([] { read_counter_file("/proc/net/no-such-counters"); }),
            "cannot open /proc/net/no-such-counters: ENOENT");
}

TEST(KernelCounterDelta, SubtractsAndCountsANewCounterFromZero) {
  const CounterSnapshot before = {{"Tcp.OutRsts", 10}, {"Tcp.CurrEstab", 5}};
  const CounterSnapshot after = {{"Tcp.OutRsts", 15}, {"Tcp.CurrEstab", 3}, {"IcmpMsg.OutType3", 2}};
  EXPECT_EQ(counter_delta(before, after),
            (CounterSnapshot{{"Tcp.OutRsts", 5}, {"Tcp.CurrEstab", -2}, {"IcmpMsg.OutType3", 2}}));
}

}  // namespace
}  // namespace sockchurn
