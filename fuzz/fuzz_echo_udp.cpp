// The echo server's UDP port against arbitrary datagrams, in-process. The
// input is a small program (FuzzedDataProvider): open a client socket
// (connected to the server or not), send one datagram of any size and content
// and wait for its echo, send a burst of up to 8 and then collect the echoes,
// close a socket; up to 4 sockets. Checked:
//  - each datagram of at most max_message bytes (2048 here) comes back once,
//    byte for byte and in order, from the server's address; an empty one too;
//  - larger ones are never echoed (a marker datagram sent after them on the
//    same socket is the next thing that comes back) and each is counted in
//    udp_oversized; udp_datagrams counts exactly the echoed ones;
//  - after the input the process holds no socket it did not hold before, and
//    the server still echoes (the markers, and a fresh socket's datagram).
// Bursts are kept under 64 KiB, and each operation ends once its echoes came
// and its oversized datagrams were counted, so that no socket buffer can
// overflow: on loopback every datagram then arrives, and a missing echo or
// count is a finding.
#include <fuzzer/FuzzedDataProvider.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

#include "check.hpp"
#include "echo_fixture.hpp"
#include "echo_server.hpp"
#include "net/endpoint.hpp"
#include "net/fd.hpp"
#include "net/sockops.hpp"

namespace {

using namespace sockchurn;
using namespace sockchurn::fuzz;

constexpr std::size_t kMaxOps = 64;
constexpr std::size_t kMaxSockets = 4;
constexpr std::size_t kMaxBurst = 8;
constexpr std::size_t kBurstBytes = 64 * 1024;
constexpr std::size_t kLargest = 65'507;  // the largest IPv4 UDP payload
// A datagram: mostly around the limit, sometimes up to the largest.
constexpr PayloadRule kDatagram{kMaxMessage + 16, kLargest, 64, 'u'};

enum class Op : std::uint8_t {
  kOpen,           // an unconnected socket: sendto() / recvfrom()
  kOpenConnected,  // connect()ed to the server: send() / recv()
  kRoundTrip,      // one datagram, then its echo (if it is due)
  kBurst,          // up to 8 datagrams, then their echoes
  kClose,
  kMaxValue = kClose
};

struct Client {
  Fd fd;
  bool connected = false;
  std::string name;
  std::deque<std::string> due;  // echoes expected, in order
};

struct Counts {
  std::uint64_t echoed = 0;
  std::uint64_t oversized = 0;
  std::uint64_t oversized_before = 0;  // the server's udp_oversized when the input began
};

Endpoint server_udp() { return loopback_v4(server().ports().udp); }

Client open_client(bool connected, int id) {
  Client c;
  c.connected = connected;
  c.name = "udp socket #" + std::to_string(id) + (connected ? " (connected)" : "");
  c.fd = make_socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK);
  if (connected) {
    const int err = connect_to(c.fd.get(), server_udp());
    require(err == 0, c.name + ": connect: " + errno_name(err));
  }
  return c;
}

void send_datagram(Client& c, const std::string& bytes, Counts& counts) {
  const Endpoint to = server_udp();
  const ssize_t n = c.connected ? ::send(c.fd.get(), bytes.data(), bytes.size(), 0)
                                : ::sendto(c.fd.get(), bytes.data(), bytes.size(), 0, to.sa(), to.len);
  require(n == static_cast<ssize_t>(bytes.size()), c.name + ": sending " + std::to_string(bytes.size()) +
                                                       " bytes returned " + std::to_string(n) + ", " +
                                                       errno_name(errno));
  if (bytes.size() <= kMaxMessage) {
    c.due.push_back(bytes);
    ++counts.echoed;
  } else {
    ++counts.oversized;
  }
}

// Reads every echo that is due, each within kDeadline.
void collect(Client& c) {
  static std::vector<char> buf(kLargest + 1);
  const Endpoint expected_from = server_udp();
  while (!c.due.empty()) {
    const std::string& want = c.due.front();
    const std::string what = c.name + ", the echo of " + std::to_string(want.size()) + " bytes";
    wait_for(c.fd.get(), POLLIN, Clock::now() + kDeadline, what);
    Endpoint from;
    from.len = sizeof from.storage;
    const ssize_t n = ::recvfrom(c.fd.get(), buf.data(), buf.size(), 0, from.sa(), &from.len);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    require(n >= 0, what + ": recvfrom: " + errno_name(errno));
    require(from == expected_from, what + " came from " + from.to_string());
    require(static_cast<std::size_t>(n) == want.size(),
            what + ": " + std::to_string(n) + " bytes came (an oversized datagram echoed, or one lost?)");
    require(std::memcmp(buf.data(), want.data(), want.size()) == 0, what + ": the bytes differ");
    c.due.pop_front();
  }
}

// Reads the echoes that are due, then waits until the server has counted
// every oversized datagram sent so far: then nothing of ours is in flight,
// and no later send can overflow a socket buffer with what came before.
void settle(Client& c, const Counts& counts) {
  collect(c);
  require(eventually([&] { return server().stats().udp_oversized - counts.oversized_before == counts.oversized; }),
          c.name + ": " + std::to_string(counts.oversized) + " oversized datagrams sent, the server counted " +
              std::to_string(server().stats().udp_oversized - counts.oversized_before) + " after " +
              std::to_string(kDeadline.count()) + " s");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const echo::Stats before = server().stats();
  std::vector<Client> clients;
  Counts counts;
  counts.oversized_before = before.udp_oversized;

  const auto opens = [](Op op) { return op == Op::kOpen || op == Op::kOpenConnected; };
  const auto client = [](Op op, int id) { return open_client(op == Op::kOpenConnected, id); };
  run_program<Op>(in, kMaxOps, clients, kMaxSockets, opens, client, [&](Op op, std::size_t index) {
    Client& c = clients[index];
    switch (op) {
      case Op::kRoundTrip:
        send_datagram(c, payload(in, kLargest, kDatagram), counts);
        settle(c, counts);
        break;
      case Op::kBurst: {
        const std::size_t n = in.ConsumeIntegralInRange<std::size_t>(1, kMaxBurst);
        std::size_t budget = kBurstBytes;
        for (std::size_t i = 0; i < n && budget > 0; ++i) {
          const std::string bytes = payload(in, budget, kDatagram);
          budget -= bytes.size();
          send_datagram(c, bytes, counts);
        }
        settle(c, counts);
        break;
      }
      case Op::kClose:
        // Echoes still due would arrive after close(): none are, collect() ran.
        clients.erase(clients.begin() + static_cast<std::ptrdiff_t>(index));
        break;
      default:
        break;
    }
  });

  // A marker on every socket, and on a fresh one: the next (and last) thing
  // each receives, so nothing oversized was echoed late.
  clients.push_back(open_client(false, 0));
  clients.back().name = "udp liveness check";
  for (Client& c : clients) {
    send_datagram(c, "marker of " + c.name, counts);
    settle(c, counts);
    char byte = 0;
    const ssize_t n = ::recv(c.fd.get(), &byte, 1, MSG_DONTWAIT);
    require(n < 0 && errno == EAGAIN, c.name + ": a datagram came after the marker's echo");
  }
  clients.clear();
  require_bounded();

  const echo::Stats after = server().stats();
  require(after.udp_datagrams - before.udp_datagrams == counts.echoed,
          "udp_datagrams went up by " + std::to_string(after.udp_datagrams - before.udp_datagrams) + ", " +
              std::to_string(counts.echoed) + " echoes came");
  require(after.udp_oversized - before.udp_oversized == counts.oversized,
          "udp_oversized went up by " + std::to_string(after.udp_oversized - before.udp_oversized) + ", " +
              std::to_string(counts.oversized) + " oversized datagrams sent");
  return 0;
}
