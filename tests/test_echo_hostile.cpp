// The echo server against hostile clients: RST storms, slowloris peers,
// connection floods, descriptor exhaustion, odd and flooding datagrams, and a
// SIGTERM in the middle of it all. Each case prints one "[ report ]" line with
// what it did and saw. Run by hand inside `unshare -n` (docs/echo-server.md).
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "echo_server.hpp"
#include "net/endpoint.hpp"
#include "net/fd.hpp"
#include "net/sockops.hpp"
#include "support/echo_client.hpp"

namespace {

using namespace std::chrono_literals;
namespace echo = sockchurn::echo;
using sockchurn::Endpoint;
using sockchurn::error_name;
using sockchurn::Fd;
using Clock = std::chrono::steady_clock;
using namespace sockchurn::test;

// --- timing and reports ----------------------------------------------------------

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

void report(const std::string& line) { std::printf("[ report   ] %s\n", line.c_str()); }

// The counters of a --stats line, for reports.
std::string stats_part(const std::string& err) {
  const auto at = err.find("stats ");
  return at == std::string::npos ? "(no stats line)" : err.substr(at, err.find('\n', at) - at);
}

// --- sockchurn-echo as a child ------------------------------------------------

// Started with port 0; stdout and stderr go to memory files we can read at any
// time; killed if a test leaves it running.
class EchoChild {
 public:
  explicit EchoChild(const std::vector<std::string>& args, std::optional<rlim_t> nofile = std::nullopt)
      : out_(memory_file("stdout")), err_(memory_file("stderr")), pid_(spawn_echo(args, out_, err_, nofile)) {
    const std::optional<echo::Ports> ports = wait_for_ready_line(out_, [&] { return exited(); });
    if (!ports) throw std::runtime_error("sockchurn-echo did not get ready: " + read_all(err_.get()));
    ports_ = *ports;
  }
  EchoChild(const EchoChild&) = delete;
  EchoChild& operator=(const EchoChild&) = delete;
  ~EchoChild() {
    if (!exited()) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status_, 0);
    }
  }

  const echo::Ports& ports() const { return ports_; }
  Endpoint tcp() const { return sockchurn::loopback_v4(ports_.tcp); }
  Endpoint tcp_once() const { return sockchurn::loopback_v4(ports_.tcp_once); }
  Endpoint udp() const { return sockchurn::loopback_v4(ports_.udp); }
  std::string err() const { return read_all(err_.get()); }
  std::size_t fds() const { return count_fds(std::to_string(pid_)); }

  // utime + stime in clock ticks.
  long cpu_ticks() const {
    std::ifstream in("/proc/" + std::to_string(pid_) + "/stat");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::istringstream fields(text.substr(text.rfind(')') + 2));  // after "pid (comm) "
    std::string skip;
    for (int i = 3; i < 14; ++i) fields >> skip;  // state .. cmajflt
    long utime = 0, stime = 0;
    fields >> utime >> stime;
    return utime + stime;
  }
  // A "Vm..." line of /proc/PID/status, in KiB.
  long vm_kib(const std::string& key) const {
    std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
    for (std::string line; std::getline(in, line);)
      if (line.starts_with(key + ":")) return std::stol(line.substr(key.size() + 1));
    return -1;
  }

  bool exited() {
    if (!running_) return true;
    if (::waitpid(pid_, &status_, WNOHANG) == pid_) running_ = false;
    return !running_;
  }
  // SIGTERM, then the exit code (128 + signal if killed, -1 if still running
  // after `grace`).
  int terminate(std::chrono::milliseconds grace = 10s) {
    if (!exited()) ::kill(pid_, SIGTERM);
    if (!eventually([&] { return exited(); }, grace)) return -1;
    return exit_code(status_);
  }

 private:
  Fd out_, err_;
  pid_t pid_ = -1;
  bool running_ = true;
  int status_ = 0;
  echo::Ports ports_;
};

// The counter `name` from the --stats line, or -1.
long stat_from(const std::string& err, const std::string& name) {
  const auto at = err.find(" " + name + "=");
  return at == std::string::npos ? -1 : std::stol(err.substr(at + name.size() + 2));
}

// --- the cases ------------------------------------------------------------------

class Hostile : public ::testing::Test {
 protected:
  void SetUp() override { raise_fd_limit(8192); }
};

// Clients that connect, send and reset mid-echo, half with SO_LINGER {1,0}
// + close(), half with connect(AF_UNSPEC); some send more than one read's
// worth so the server is often writing when the RST lands.
TEST_F(Hostile, RstStormLeavesNothingBehind) {
  constexpr unsigned kClients = 2400;
  EchoChild server({"--threads=2", "--stats"});
  Fd steady = connect_tcp(server.tcp());  // a well-behaved client throughout
  ASSERT_EQ(error_name(tcp_round_trip(steady.get(), pattern(64))), "ok");
  const std::size_t idle_fds = server.fds();
  const std::vector<char> big = pattern(256 * 1024);
  double worst_steady_ms = 0;
  for (unsigned i = 0; i < kClients; ++i) {
    Fd s = connect_tcp(i % 2 ? server.tcp() : server.tcp_once());
    // As much as fits without blocking; the server echoes while we reset.
    (void)::send(s.get(), big.data(), i % 4 == 0 ? big.size() : 64, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (i % 3 == 0) {
      ASSERT_EQ(sockchurn::disconnect(s.get()), 0) << error_name(errno);
    } else {
      sockchurn::set_linger0(s.get());
    }
    if (i % 100 == 0) {
      const auto start = Clock::now();
      ASSERT_EQ(error_name(tcp_round_trip(steady.get(), pattern(64, i))), "ok") << "during the storm, client " << i;
      worst_steady_ms = std::max(worst_steady_ms, ms_since(start));
    }
  }
  EXPECT_TRUE(eventually([&] { return server.fds() == idle_fds; }))
      << server.fds() << " fds, " << idle_fds << " before the storm";
  const std::size_t fds_after = server.fds();
  EXPECT_EQ(server.err(), "");  // nothing per connection
  Fd fresh = connect_tcp(server.tcp());
  EXPECT_EQ(error_name(tcp_round_trip(fresh.get(), pattern(64))), "ok");
  const long peak_rss = server.vm_kib("VmHWM");
  EXPECT_EQ(server.terminate(), 0) << server.err();
  const std::string err = server.err();
  EXPECT_EQ(stat_from(err, "accepted"), kClients + 2) << err;
  EXPECT_EQ(stat_from(err, "refused"), 0) << err;
  report("rst storm: " + std::to_string(kClients) + " clients reset mid-echo (1/3 AF_UNSPEC, 2/3 linger0); fds " +
         std::to_string(idle_fds) + " -> " + std::to_string(fds_after) + "; steady client worst round trip " +
         std::to_string(worst_steady_ms) + " ms; peak RSS " + std::to_string(peak_rss) + " KiB; " +
         stats_part(err));
}

// Idle peers and peers that send one byte and then nothing are closed after
// the idle timeout; peers that drip a byte every 50 ms (slowloris: never idle,
// yet fewer than min_bytes per timeout) are closed as slow; peers that send
// 64 bytes every 50 ms are live echo clients and stay; a good client is served
// promptly all along.
TEST_F(Hostile, SlowlorisPeersAreClosedAfterTheIdleTimeout) {
  constexpr auto kTimeout = 300ms;
  echo::BackgroundServer server(echo::Config{.threads = 2, .idle_timeout = kTimeout, .min_bytes = 64});
  const Endpoint tcp = sockchurn::loopback_v4(server.ports().tcp);
  const Endpoint once = sockchurn::loopback_v4(server.ports().tcp_once);

  enum class Kind { idle, one_byte, drip, live };
  struct Peer {
    Fd fd;
    Kind kind = Kind::idle;
    Clock::time_point last = Clock::now();  // connected, or its one round trip began
    Clock::time_point connected = Clock::now();
    double closed_after_ms = -1;            // since `last`
    double lived_ms = -1;                   // since `connected`
    int end = -1;
  };
  std::vector<Peer> peers;
  for (int i = 0; i < 20; ++i) peers.push_back({connect_tcp(tcp)});                   // idle
  for (int i = 0; i < 20; ++i) peers.push_back({connect_tcp(once)});                  // idle on echo-once
  for (int i = 0; i < 10; ++i) peers.push_back({connect_tcp(tcp), Kind::one_byte});   // one byte, then silence
  for (int i = 0; i < 5; ++i) peers.push_back({connect_tcp(tcp), Kind::drip});        // a byte every 50 ms
  for (int i = 0; i < 5; ++i) peers.push_back({connect_tcp(tcp), Kind::live});        // 64 bytes every 50 ms

  std::atomic<bool> done{false};
  std::vector<std::thread> threads;
  for (auto& peer : peers) {
    threads.emplace_back([&, p = &peer] {
      if (p->kind == Kind::drip || p->kind == Kind::live) {
        const std::size_t size = p->kind == Kind::live ? 64 : 1;
        for (int n = 0; !done && n < 40; ++n) {  // bounded: 4 s at most
          if ((p->end = tcp_round_trip(p->fd.get(), pattern(size, n))) != 0) break;
          std::this_thread::sleep_for(kTimeout / 6);
        }
        p->lived_ms = ms_since(p->connected);
        return;
      }
      if (p->kind == Kind::one_byte) {
        // The server's last activity (its read, its echo) comes after this
        // instant; taken after the round trip instead, a client thread that
        // runs late (60 of them, under a sanitizer) shortens the idle time
        // it measures below the server's.
        p->last = Clock::now();
        if ((p->end = tcp_round_trip(p->fd.get(), pattern(1))) != 0) return;
      }
      p->end = sockchurn::read_eof(p->fd.get());  // blocks until the server closes (5 s at most)
      p->closed_after_ms = ms_since(p->last);
    });
  }

  Fd good = connect_tcp(tcp);
  double worst_good_ms = 0;
  const auto start = Clock::now();
  for (unsigned n = 0; Clock::now() - start < 4 * kTimeout; ++n) {
    const auto t = Clock::now();
    ASSERT_EQ(error_name(tcp_round_trip(good.get(), pattern(64, n))), "ok");
    worst_good_ms = std::max(worst_good_ms, ms_since(t));
    std::this_thread::sleep_for(10ms);
  }
  const auto stats_mid = server.stats();
  done = true;
  for (auto& t : threads) t.join();

  double first = 1e9, last = 0, drip_first = 1e9, drip_last = 0;
  for (std::size_t i = 0; i < peers.size(); ++i) {
    const Peer& p = peers[i];
    switch (p.kind) {
      case Kind::live:
        EXPECT_EQ(error_name(p.end), "ok") << "live peer " << i << " was cut off";
        break;
      case Kind::drip:
        // Closed by the minimum rate, a timeout or so after connecting; the
        // drip's next round trip reads EOF or the reset, or its write finds
        // the connection gone (EPIPE).
        EXPECT_TRUE(p.end == sockchurn::kEof || p.end == ECONNRESET || p.end == EPIPE)
            << "drip peer " << i << ": " << error_name(p.end);
        EXPECT_GE(p.lived_ms, 300) << "drip peer " << i << " closed before a timeout";
        EXPECT_LT(p.lived_ms, 1500) << "drip peer " << i;
        drip_first = std::min(drip_first, p.lived_ms);
        drip_last = std::max(drip_last, p.lived_ms);
        break;
      default:
        EXPECT_TRUE(closed_by_server(p.end)) << "peer " << i << ": " << error_name(p.end);
        EXPECT_GE(p.closed_after_ms, 300) << "peer " << i << " closed before the idle timeout";
        EXPECT_LT(p.closed_after_ms, 1500) << "peer " << i;
        first = std::min(first, p.closed_after_ms);
        last = std::max(last, p.closed_after_ms);
    }
  }
  EXPECT_EQ(stats_mid.closed_idle, 50u);
  EXPECT_EQ(stats_mid.closed_slow, 5u);
  EXPECT_LT(worst_good_ms, 250) << "the good client waited";
  report("slowloris: 40 idle + 10 one-byte peers closed " + std::to_string(first) + ".." + std::to_string(last) +
         " ms after their last byte (idle timeout 300 ms); 5 peers dripping a byte every 50 ms closed as slow " +
         std::to_string(drip_first) + ".." + std::to_string(drip_last) + " ms after connecting; 5 peers sending 64 B every 50 ms kept; good client worst " +
         std::to_string(worst_good_ms) + " ms; closed_idle=" + std::to_string(stats_mid.closed_idle) +
         " closed_slow=" + std::to_string(stats_mid.closed_slow));
}

TEST_F(Hostile, FloodPastMaxConnectionsIsResetWhileServedClientsGoOn) {
  constexpr std::size_t kMax = 20, kFlood = 300;
  echo::BackgroundServer server(echo::Config{.max_connections = kMax});
  const Endpoint tcp = sockchurn::loopback_v4(server.ports().tcp);
  const std::size_t idle_fds = open_fds();
  std::vector<Fd> served;
  for (std::size_t i = 0; i < kMax; ++i) {
    served.push_back(connect_tcp(i % 2 ? tcp : sockchurn::loopback_v4(server.ports().tcp_once)));
    // Echo-once clients wait before sending, so they stay open.
    if (i % 2) {
      ASSERT_EQ(error_name(tcp_round_trip(served.back().get(), pattern(64))), "ok");
    }
  }
  ASSERT_TRUE(eventually([&] { return server.stats().active == kMax; })) << server.stats().active;

  const auto start = Clock::now();
  std::vector<Fd> flood;
  unsigned resets = 0, fins = 0;
  for (std::size_t i = 0; i < kFlood; ++i) {
    Fd f = client_socket(tcp.family(), SOCK_STREAM);
    const int err = sockchurn::connect_to(f.get(), tcp);
    // The server accepts and resets at once: on two CPUs its RST can come
    // before this connect() returns, which then says ECONNRESET.
    if (err == ECONNRESET) {
      ++resets;
      continue;
    }
    ASSERT_EQ(error_name(err), "ok") << "flood connection " << i;
    flood.push_back(std::move(f));
  }
  double slowest_ms = 0;
  for (Fd& f : flood) {
    const int end = sockchurn::read_eof(f.get());
    ASSERT_TRUE(closed_by_server(end)) << error_name(end);
    (end == 0 ? fins : resets)++;
    slowest_ms = std::max(slowest_ms, ms_since(start));
  }
  EXPECT_EQ(server.stats().refused, kFlood);
  for (std::size_t i = 0; i < kMax; ++i) {
    ASSERT_EQ(error_name(tcp_round_trip(served[i].get(), pattern(64, static_cast<unsigned>(i)))), "ok")
        << "served client " << i;
  }
  flood.clear();
  for (Fd& s : served) sockchurn::set_linger0(s.get());
  served.clear();
  ASSERT_TRUE(eventually([&] { return server.stats().active == 0; }));
  Fd after = connect_tcp(tcp);
  EXPECT_EQ(error_name(tcp_round_trip(after.get(), pattern(64))), "ok");
  after.reset();
  EXPECT_TRUE(eventually([&] { return open_fds() == idle_fds; }));
  report("flood: " + std::to_string(kFlood) + " connections over max_connections=" + std::to_string(kMax) + ": " +
         std::to_string(resets) + " reset, " + std::to_string(fins) + " FIN, all within " +
         std::to_string(slowest_ms) + " ms; the " + std::to_string(kMax) + " served clients echoed; refused=" +
         std::to_string(server.stats().refused));
}

TEST_F(Hostile, DescriptorExhaustionBacksOffWithoutSpinning) {
  constexpr rlim_t kLimit = 64;
  constexpr std::size_t kClients = 100;
  EchoChild server({"--stats"}, kLimit);
  const std::size_t idle_fds = server.fds();
  std::vector<Fd> clients;
  for (std::size_t i = 0; i < kClients; ++i) clients.push_back(connect_tcp(server.tcp()));
  // The first ones are served; the rest wait in the listen queue.
  ASSERT_EQ(error_name(tcp_round_trip(clients[0].get(), pattern(64))), "ok");
  ASSERT_TRUE(eventually([&] { return server.err().find("EMFILE") != std::string::npos; })) << server.err();
  const std::size_t fds_full = server.fds();
  const long cpu_before = server.cpu_ticks();
  std::this_thread::sleep_for(1s);
  const long cpu_ticks = server.cpu_ticks() - cpu_before;
  EXPECT_LE(cpu_ticks, 10) << "CPU ticks in 1 s of EMFILE: a busy loop?";
  const std::string err = server.err();
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << "one line per episode, not per retry:\n" << err;
  EXPECT_NE(err.find("accept on tcp 127.0.0.1:"), std::string::npos) << err;
  ASSERT_EQ(error_name(tcp_round_trip(clients[1].get(), pattern(64))), "ok") << "served clients go on";

  for (Fd& c : clients) sockchurn::set_linger0(c.get());
  clients.clear();
  const auto start = Clock::now();
  Fd fresh = connect_tcp(server.tcp());
  EXPECT_EQ(error_name(tcp_round_trip(fresh.get(), pattern(64))), "ok");
  const double recovery_ms = ms_since(start);
  fresh.reset();
  EXPECT_TRUE(eventually([&] { return server.fds() == idle_fds; })) << server.fds() << " vs " << idle_fds;
  const std::size_t fds_after = server.fds();
  const long peak_rss = server.vm_kib("VmHWM");
  EXPECT_EQ(server.terminate(), 0) << server.err();
  const std::string final_err = server.err();
  EXPECT_GT(stat_from(final_err, "accept_errors"), 0) << final_err;
  report("EMFILE: RLIMIT_NOFILE " + std::to_string(kLimit) + ", " + std::to_string(kClients) + " clients; fds " +
         std::to_string(idle_fds) + " idle, " + std::to_string(fds_full) + " full, " + std::to_string(fds_after) +
         " after; " + std::to_string(cpu_ticks) + " CPU ticks in 1 s of EMFILE; new client echoed after " +
         std::to_string(recovery_ms) + " ms; peak RSS " + std::to_string(peak_rss) + " KiB; " +
         stats_part(final_err));
}

TEST_F(Hostile, UdpEmptyAndLargestDatagramsComeBackExactly) {
  echo::BackgroundServer server;
  const Endpoint udp = sockchurn::loopback_v4(server.ports().udp);
  Fd s = client_socket(AF_INET, SOCK_DGRAM);
  EXPECT_EQ(error_name(udp_round_trip(s.get(), udp, {})), "ok");
  EXPECT_EQ(error_name(udp_round_trip(s.get(), udp, pattern(65'507))), "ok");
  EXPECT_EQ(error_name(udp_round_trip(s.get(), udp, pattern(1))), "ok");
  EXPECT_EQ(server.stats().udp_datagrams, 3u);
}

TEST_F(Hostile, UdpFloodFromManyPortsDoesNotGrowTheServer) {
  constexpr int kSockets = 200, kRounds = 50;
  EchoChild server({"--threads=2", "--stats"});  // two UDP sockets sharing the port
  std::vector<Fd> sockets;
  for (int i = 0; i < kSockets; ++i) {
    sockets.push_back(client_socket(AF_INET, SOCK_DGRAM));
    ASSERT_EQ(sockchurn::connect_to(sockets.back().get(), server.udp()), 0);
  }
  Fd probe = client_socket(AF_INET, SOCK_DGRAM);
  ASSERT_EQ(error_name(udp_round_trip(probe.get(), server.udp(), pattern(512))), "ok");
  const long rss_before = server.vm_kib("VmRSS");
  const std::size_t fds_before = server.fds();

  const std::vector<char> data = pattern(512);
  long sent = 0, echoed = 0;
  std::vector<char> buf(2048);
  for (int round = 0; round < kRounds; ++round) {
    for (Fd& s : sockets) sent += ::send(s.get(), data.data(), data.size(), MSG_DONTWAIT) == 512;
    // Collect what came back so far; loss under a burst is allowed.
    for (Fd& s : sockets)
      while (::recv(s.get(), buf.data(), buf.size(), MSG_DONTWAIT) == 512) ++echoed;
  }
  const auto drain_until = Clock::now() + 500ms;
  while (Clock::now() < drain_until) {
    long got = 0;
    for (Fd& s : sockets)
      while (::recv(s.get(), buf.data(), buf.size(), MSG_DONTWAIT) == 512) ++got;
    echoed += got;
    if (got == 0) std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(error_name(udp_round_trip(probe.get(), server.udp(), pattern(512, 2))), "ok") << "still answering";
  const long rss_after = server.vm_kib("VmRSS");
  const long peak_rss = server.vm_kib("VmHWM");
  EXPECT_LT(rss_after - rss_before, 4096) << "KiB of RSS growth";
  const std::size_t fds_after = server.fds();
  EXPECT_EQ(fds_after, fds_before);
  EXPECT_GT(echoed, 0);  // how many depends on scheduling: reported, not asserted
  EXPECT_EQ(server.terminate(), 0) << server.err();
  report("udp flood: " + std::to_string(kSockets) + " sockets x " + std::to_string(kRounds) + " datagrams, " +
         std::to_string(sent) + " sent, " + std::to_string(echoed) + " echoed; RSS " + std::to_string(rss_before) +
         " -> " + std::to_string(rss_after) + " KiB (peak " + std::to_string(peak_rss) + "); fds " +
         std::to_string(fds_before) + " -> " + std::to_string(fds_after));
}

// SIGTERM while connections are idle, half-closed, blocked writing to a peer
// that does not read, and waiting on echo-once: exit 0 at once (and, in
// sanitizer builds, no leak report).
TEST_F(Hostile, SigtermWithConnectionsInFlightExitsZero) {
  EchoChild server({"--threads=2"});
  std::vector<Fd> clients;
  for (int i = 0; i < 20; ++i) clients.push_back(connect_tcp(server.tcp()));       // idle
  for (int i = 0; i < 20; ++i) clients.push_back(connect_tcp(server.tcp_once()));  // echo-once, nothing sent
  for (int i = 0; i < 10; ++i) {                                                   // half-closed by us
    clients.push_back(connect_tcp(server.tcp()));
    ::shutdown(clients.back().get(), SHUT_WR);
  }
  const std::vector<char> big = pattern(1 << 20);
  for (int i = 0; i < 10; ++i) {  // the server is stuck writing: we never read
    clients.push_back(connect_tcp(server.tcp()));
    for (int n = 0; n < 16; ++n) (void)::send(clients.back().get(), big.data(), big.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  }
  Fd u = client_socket(AF_INET, SOCK_DGRAM);
  ASSERT_EQ(error_name(udp_round_trip(u.get(), server.udp(), pattern(64))), "ok");
  std::this_thread::sleep_for(100ms);
  const std::size_t fds_busy = server.fds();
  const auto start = Clock::now();
  EXPECT_EQ(server.terminate(5s), 0) << server.err();
  const double exit_ms = ms_since(start);
  EXPECT_EQ(server.err(), "");
  report("sigterm: " + std::to_string(clients.size()) + " connections in flight (" + std::to_string(fds_busy) +
         " server fds), exit 0 after " + std::to_string(exit_ms) + " ms");
}

}  // namespace
