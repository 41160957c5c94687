// The in-process echo server that fuzz_echo_tcp and fuzz_echo_udp talk to,
// with small limits that short inputs reach, and what both check after every
// input: the server is bounded (every connection ended, no socket left
// behind) and alive (each target then checks its ports still echo). It
// defines LLVMFuzzerInitialize, which starts the server: include it in one
// file of a target.
// As root the process runs in a network namespace of its own, with loopback
// up: tests/support/private_netns.cpp, linked in as into every test binary.
#pragma once

#include <dirent.h>
#include <fuzzer/FuzzedDataProvider.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "check.hpp"
#include "echo_server.hpp"
#include "net/endpoint.hpp"
#include "net/fd.hpp"
#include "net/sockops.hpp"

namespace sockchurn::fuzz {

inline constexpr std::size_t kMaxConnections = 4;  // a few more client connections get refused
inline constexpr std::size_t kMaxMessage = 2048;   // echo-once read size and UDP datagram limit
// No wait for the server is longer than this: a hang is a finding with a
// message, not a timeout of the whole run.
inline constexpr std::chrono::seconds kDeadline{5};

using Clock = std::chrono::steady_clock;

inline echo::Config fuzz_config() {
  echo::Config cfg;
  cfg.listen = "127.0.0.1";
  cfg.threads = 2;  // two threads on the TCP ports, two UDP sockets sharing the port
  cfg.max_connections = kMaxConnections;
  cfg.max_message = kMaxMessage;
  // Far longer than an input lasts: its sweep runs, but an idle or slow close
  // only comes from a stalled machine (and is then accounted for).
  cfg.idle_timeout = std::chrono::seconds(10);
  return cfg;
}

// Started on first use (LLVMFuzzerInitialize), stopped at exit.
inline echo::BackgroundServer& server() {
  static echo::BackgroundServer s(fuzz_config());
  return s;
}

// Open sockets of this process. Other descriptors come and go with
// libFuzzer and the sanitizers (pipes to llvm-symbolizer, /dev/null).
inline std::size_t open_sockets() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) fail("opendir(/proc/self/fd): " + errno_name(errno));
  std::size_t n = 0;
  while (const dirent* e = ::readdir(dir)) {
    char target[64] = {};
    const std::string path = std::string("/proc/self/fd/") + e->d_name;
    if (e->d_name[0] != '.' && ::readlink(path.c_str(), target, sizeof target - 1) > 0)
      n += std::string_view(target).starts_with("socket:");
  }
  ::closedir(dir);
  return n;
}

// Sockets open with the server running and no client socket: its listeners
// and UDP sockets.
inline std::size_t& baseline_sockets() {
  static std::size_t n = 0;
  return n;
}


// How a target's input sizes and fills a payload (payload()).
struct PayloadRule {
  std::size_t limit_if_true;   // the most bytes when the input's next bool is true
  std::size_t limit_if_false;  // ... when it is false
  std::size_t max_pattern;     // the longest pattern the input chooses
  char fallback;               // the pattern when the input has no bytes left
};

// A payload of at most `budget` bytes: its size the input chooses up to the
// rule's limit, then a pattern of 1 to max_pattern bytes the input chooses,
// repeated: large payloads from little input.
inline std::string payload(FuzzedDataProvider& in, std::size_t budget, const PayloadRule& rule) {
  const std::size_t limit = std::min(budget, in.ConsumeBool() ? rule.limit_if_true : rule.limit_if_false);
  const std::size_t size = in.ConsumeIntegralInRange<std::size_t>(0, limit);
  std::string pattern = in.ConsumeBytesAsString(in.ConsumeIntegralInRange<std::size_t>(1, rule.max_pattern));
  if (pattern.empty()) pattern = std::string(1, rule.fallback);
  std::string out;
  out.reserve(size);
  while (out.size() < size) out.append(pattern, 0, std::min(pattern.size(), size - out.size()));
  return out;
}

// Polls `done` (first at once, then every 100 us) until it holds or kDeadline passes.
inline bool eventually(const std::function<bool()>& done) {
  const auto deadline = Clock::now() + kDeadline;
  while (!done()) {
    if (Clock::now() > deadline) return done();
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  return true;
}

// Runs the input as a small program of at most `max_ops` operations over the
// client handles it opens, at most `max_open` at once: an operation that
// opens one (`opens(op)`) adds `open(op, id)`, ids counting from 1, while
// there is room; any other acts on the open handle the input picks next,
// `act(op, index)`, and is passed over while none is open. `act` may erase
// the handle. fuzz/make_seeds.py writes its seeds in this form.
template <class Op, class Handle, class Opens, class Open, class Act>
void run_program(FuzzedDataProvider& in, std::size_t max_ops, std::vector<Handle>& handles, std::size_t max_open,
                 Opens opens, Open open, Act act) {
  int next_id = 1;
  for (std::size_t ops = 0; ops < max_ops && in.remaining_bytes() > 0; ++ops) {
    const Op op = in.ConsumeEnum<Op>();
    if (opens(op)) {
      if (handles.size() < max_open) handles.push_back(open(op, next_id++));
      continue;
    }
    if (handles.empty()) continue;
    act(op, in.ConsumeIntegralInRange<std::size_t>(0, handles.size() - 1));
  }
}

// The server's counters, for messages.
inline std::string stats_text() {
  const echo::Stats s = server().stats();
  return "accepted=" + std::to_string(s.accepted) + " active=" + std::to_string(s.active) +
         " refused=" + std::to_string(s.refused) + " closed_idle=" + std::to_string(s.closed_idle) +
         " closed_slow=" + std::to_string(s.closed_slow) + " udp_datagrams=" + std::to_string(s.udp_datagrams) +
         " udp_oversized=" + std::to_string(s.udp_oversized) + " accept_errors=" + std::to_string(s.accept_errors);
}

// TCP connections whose handshake completed since the start: the server must
// accept (or refuse) each of them, even those closed while still queued.
inline std::uint64_t& tcp_handshakes() {
  static std::uint64_t n = 0;
  return n;
}

// After an input whose client sockets are all closed.
inline void require_bounded() {
  require(eventually([] {
            const echo::Stats s = server().stats();
            return s.accepted + s.refused == tcp_handshakes();
          }),
          std::to_string(tcp_handshakes()) + " TCP handshakes, but the server accepted or refused only " +
              std::to_string(server().stats().accepted + server().stats().refused) + " connections after " +
              std::to_string(kDeadline.count()) + " s; server: " + stats_text());
  require(eventually([] { return server().stats().active == 0; }),
          "server still has " + std::to_string(server().stats().active) + " connections " +
              std::to_string(kDeadline.count()) + " s after the clients closed theirs");
  require(eventually([] { return open_sockets() == baseline_sockets(); }),
          "process holds " + std::to_string(open_sockets()) + " sockets, " + std::to_string(baseline_sockets()) +
              " before the first input");
}

// Milliseconds left until `deadline` (at least 1), or fail with `what`.
inline int ms_left(Clock::time_point deadline, const std::string& what) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  if (left <= 0) fail(what + ": nothing after " + std::to_string(kDeadline.count()) + " s");
  return static_cast<int>(left) + 1;
}

// Waits until `fd` has one of `events`, at most until `deadline`.
inline short wait_for(int fd, short events, Clock::time_point deadline, const std::string& what) {
  for (;;) {
    pollfd p{fd, events, 0};
    const int r = ::poll(&p, 1, ms_left(deadline, what));
    if (r > 0) return p.revents;
    if (r < 0 && errno != EINTR) fail("poll: " + errno_name(errno));
  }
}

}  // namespace sockchurn::fuzz

// libFuzzer calls this once, before the first input: the server starts, and
// the sockets it holds are the baseline. Defined here, as every echo target
// includes this file once.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  std::signal(SIGPIPE, SIG_IGN);
  sockchurn::fuzz::server();
  sockchurn::fuzz::baseline_sockets() = sockchurn::fuzz::open_sockets();
  return 0;
}
