// The echo server's two TCP ports against arbitrary byte streams, in-process.
// The input is a small program (FuzzedDataProvider): connect to the echo or
// the echo-once port, send a chunk of any size and content (waiting for its
// echo or not), read what is due, half-close, close with FIN, with RST, or
// dissolve with connect(AF_UNSPEC); up to 6 connections at once, more than the
// server's max_connections (4). Checked:
//  - echo port: what comes back is byte for byte what was sent, all of it,
//    then EOF after our FIN;
//  - echo-once port: what comes back is a prefix of what was sent, at most
//    max_message bytes, and not empty when we sent bytes and it ended in FIN;
//  - a connection ends otherwise only when the server counted why: refused
//    over max_connections (then nothing came back), or closed as idle or slow;
//  - after the input: every connection has ended on the server, the process
//    holds no socket it did not hold before, and both ports still echo.
#include <fuzzer/FuzzedDataProvider.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
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

constexpr std::size_t kMaxOps = 48;
constexpr std::size_t kMaxOpen = kMaxConnections + 2;
constexpr std::size_t kMaxChunk = 200'000;         // over three of the server's 64 KiB reads
// A chunk: mostly up to 4 KiB, sometimes up to kMaxChunk.
constexpr PayloadRule kChunk{kMaxChunk, 4096, 256, 'x'};
constexpr std::size_t kMaxBytes = std::size_t{1} << 20;  // sent per input

enum class Op : std::uint8_t {
  kConnectEcho,
  kConnectOnce,
  kSendAndWait,  // send a chunk, then read until all of it came back (echo port)
  kSend,         // send a chunk, reading only what comes meanwhile
  kDrain,        // read until everything sent came back (echo port)
  kHalfClose,    // shutdown(SHUT_WR), read to the end, check, close
  kCloseFin,     // close() at once (RST if echoed bytes are unread)
  kCloseRst,     // SO_LINGER {1, 0}, close()
  kDisconnect,   // connect(AF_UNSPEC), close()
  kMaxValue = kDisconnect
};

struct Conn {
  Fd fd;
  bool once = false;
  std::string name;     // "echo #3", for messages
  std::string sent;     // bytes the kernel took from us
  std::string echoed;   // bytes that came back, checked against `sent` as they come
  bool shut_wr = false;
  bool write_failed = false;  // EPIPE or ECONNRESET on send
  enum class End { kOpen, kEof, kReset } end = End::kOpen;
};

// What the server must explain by its counters at the end of the input.
struct Unexpected {
  std::size_t ends = 0;            // connections that ended before their echo was complete
  std::size_t ends_after_data = 0;  // ... of which some bytes had come back (not a refusal)
};

Endpoint port_of(bool once) {
  const echo::Ports p = server().ports();
  return loopback_v4(once ? p.tcp_once : p.tcp);
}

Conn open_conn(bool once, int id) {
  Conn c;
  c.once = once;
  c.name = std::string(once ? "echo-once" : "echo") + " #" + std::to_string(id);
  c.fd = make_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK);
  const Endpoint to = port_of(once);
  if (const int err = connect_to(c.fd.get(), to); err != 0 && err != EINPROGRESS)
    fail("connect " + c.name + " to " + to.to_string() + ": " + errno_name(err));
  wait_for(c.fd.get(), POLLOUT, Clock::now() + kDeadline, "connect " + c.name);
  int err = 0;
  socklen_t len = sizeof err;
  check(::getsockopt(c.fd.get(), SOL_SOCKET, SO_ERROR, &err, &len), "getsockopt(SO_ERROR)");
  // The kernel completes the handshake whatever the server's limits: a
  // refusal comes as a RST, here already if the server was quick.
  if (err == ECONNRESET) c.end = Conn::End::kReset;
  require(err == 0 || err == ECONNRESET, "connect " + c.name + " to " + to.to_string() + ": " + errno_name(err));
  ++tcp_handshakes();
  return c;
}

// Sends `out` while reading what comes back, until `out` is sent (or sending
// failed) and, with `wait_echo`, all that was sent came back, or with
// `until_end`, the stream ended. Every byte read is checked at once.
void pump(Conn& c, std::string_view out, bool wait_echo, bool until_end) {
  static std::vector<char> buf(1 << 16);
  const auto deadline = Clock::now() + kDeadline;
  std::size_t off = 0;
  for (;;) {
    const bool writing = off < out.size() && !c.write_failed && !c.shut_wr && c.end == Conn::End::kOpen;
    const bool reading = c.end == Conn::End::kOpen && (until_end || (wait_echo && c.echoed.size() < c.sent.size()));
    if (!writing && !reading) return;
    const std::string what = c.name + " (" + std::to_string(c.sent.size()) + " bytes sent, " +
                             std::to_string(c.echoed.size()) + " echoed)";
    const short revents = wait_for(c.fd.get(), static_cast<short>(POLLIN | (writing ? POLLOUT : 0)), deadline, what);
    if (revents & (POLLIN | POLLHUP | POLLERR)) {
      const ssize_t n = ::recv(c.fd.get(), buf.data(), buf.size(), 0);
      if (n > 0) {
        const auto got = static_cast<std::size_t>(n);
        require(c.echoed.size() + got <= c.sent.size(),
                what + ": " + std::to_string(got) + " more bytes came back than were sent");
        require(std::memcmp(buf.data(), c.sent.data() + c.echoed.size(), got) == 0,
                what + ": the echo differs from what was sent, within the " + std::to_string(got) +
                    " bytes read at offset " + std::to_string(c.echoed.size()));
        c.echoed.append(buf.data(), got);
      } else if (n == 0) {
        c.end = Conn::End::kEof;
      } else if (errno == ECONNRESET) {
        c.end = Conn::End::kReset;
      } else if (errno != EAGAIN && errno != EINTR) {
        fail(what + ": recv: " + errno_name(errno));
      }
    }
    if (writing && (revents & POLLOUT) && c.end == Conn::End::kOpen) {
      const ssize_t n = ::send(c.fd.get(), out.data() + off, out.size() - off, MSG_NOSIGNAL);
      if (n > 0) {
        c.sent.append(out.substr(off, static_cast<std::size_t>(n)));
        off += static_cast<std::size_t>(n);
      } else if (errno == EPIPE || errno == ECONNRESET) {
        c.write_failed = true;
      } else if (errno != EAGAIN && errno != EINTR) {
        fail(what + ": send: " + errno_name(errno));
      }
    }
  }
}

// Half-closes (if the stream is still open), reads to the end and checks how
// the connection ended.
void finish(Conn& c, Unexpected& unexpected) {
  if (c.end == Conn::End::kOpen && !c.shut_wr) {
    // ENOTCONN if a RST came meanwhile: then the read below sees the end.
    ::shutdown(c.fd.get(), SHUT_WR);
    c.shut_wr = true;
  }
  pump(c, {}, false, true);
  if (c.once) {
    require(c.echoed.size() <= kMaxMessage,
            c.name + ": " + std::to_string(c.echoed.size()) + " bytes echoed, over max_message");
    // An echo-once connection answers the first read's bytes, then closes:
    // FIN when it read everything we sent, RST when bytes were left unread.
    if (c.end == Conn::End::kEof && c.echoed.empty() && !c.sent.empty()) ++unexpected.ends;
  } else if (c.write_failed || c.end != Conn::End::kEof || c.echoed.size() != c.sent.size()) {
    ++unexpected.ends;
    if (!c.echoed.empty()) ++unexpected.ends_after_data;
  }
}

void close_rst(Conn& c) {
  set_linger0(c.fd.get());
  c.fd.reset();
}

// A connection made after the input echoes on both ports.
void require_alive() {
  for (const bool once : {false, true}) {
    Conn c = open_conn(once, 0);
    c.name = (once ? "echo-once" : "echo") + std::string(" liveness check");
    pump(c, "alive", true, false);
    Unexpected unexpected;
    finish(c, unexpected);
    require(c.echoed == "alive" && c.end == Conn::End::kEof,
            c.name + ": '" + escaped(c.echoed) + "' came back, then " +
                (c.end == Conn::End::kEof ? "EOF" : "ECONNRESET") + "; server: " + stats_text());
    close_rst(c);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const echo::Stats before = server().stats();
  std::vector<Conn> conns;
  Unexpected unexpected;
  std::size_t budget = kMaxBytes;

  const auto connects = [](Op op) { return op == Op::kConnectEcho || op == Op::kConnectOnce; };
  const auto connection = [](Op op, int id) { return open_conn(op == Op::kConnectOnce, id); };
  run_program<Op>(in, kMaxOps, conns, kMaxOpen, connects, connection, [&](Op op, std::size_t index) {
    Conn& c = conns[index];
    switch (op) {
      case Op::kSendAndWait:
      case Op::kSend: {
        const std::string bytes = payload(in, budget, kChunk);
        budget -= bytes.size();
        pump(c, bytes, op == Op::kSendAndWait && !c.once, false);
        return;
      }
      case Op::kDrain:
        pump(c, {}, !c.once, false);
        return;
      case Op::kHalfClose:
        finish(c, unexpected);
        break;
      case Op::kCloseFin:
        break;
      case Op::kCloseRst:
        set_linger0(c.fd.get());
        break;
      case Op::kDisconnect: {
        const int rc = disconnect(c.fd.get());
        require(rc == 0, c.name + ": connect(AF_UNSPEC) returned " + std::to_string(rc) + ", " + errno_name(errno));
        break;
      }
      default:
        return;
    }
    if (op != Op::kHalfClose && !c.once && (c.end != Conn::End::kOpen || c.write_failed)) {
      ++unexpected.ends;
      if (!c.echoed.empty()) ++unexpected.ends_after_data;
    }
    conns.erase(conns.begin() + static_cast<std::ptrdiff_t>(index));  // its Fd closes here
  });

  for (Conn& c : conns) {
    finish(c, unexpected);
    close_rst(c);
  }
  conns.clear();
  require_bounded();

  const echo::Stats after = server().stats();
  const std::uint64_t refused = after.refused - before.refused;
  const std::uint64_t closed = (after.closed_idle - before.closed_idle) + (after.closed_slow - before.closed_slow);
  const std::string counted = " (server counted " + std::to_string(refused) + " refused, " + std::to_string(closed) +
                              " closed as idle or slow)";
  require(unexpected.ends_after_data <= closed,
          std::to_string(unexpected.ends_after_data) + " connections ended after a partial echo" + counted);
  require(unexpected.ends <= refused + closed,
          std::to_string(unexpected.ends) + " connections ended before their echo was complete" + counted);
  require_alive();
  return 0;
}
