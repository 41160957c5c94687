// A UDP "server" on 127.0.0.1 that answers each datagram as a test's script
// says (stale, duplicate, corrupted or missing echoes), for the UDP
// strategies of every engine, and one exchange against it.
#pragma once

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <chrono>
#include <functional>
#include <thread>
#include <vector>

#include "net/endpoint.hpp"
#include "net/fd.hpp"
#include "net/sockops.hpp"
#include "model/exchange.hpp"

namespace sockchurn::test {

struct ScriptedPeer {
  Fd sock = make_socket(AF_INET, SOCK_DGRAM);
  Fd other = make_socket(AF_INET, SOCK_DGRAM);  // a second source address
  Endpoint addr;
  ScriptedPeer() {
    bind_to(sock.get(), loopback_v4(0));
    addr = local_endpoint(sock.get());
    bind_to(other.get(), loopback_v4(0));
    set_recv_timeout(sock.get(), std::chrono::seconds(5));
  }
  // Receives one datagram and calls script(datagram, client address).
  std::thread serve_once(std::function<void(std::vector<unsigned char>&, const Endpoint&)> script) {
    return std::thread([this, script] {
      std::vector<unsigned char> buf(65536);
      Endpoint from;
      from.len = sizeof from.storage;
      const ssize_t n = ::recvfrom(sock.get(), buf.data(), buf.size(), 0, from.sa(), &from.len);
      ASSERT_GT(n, 0);
      buf.resize(static_cast<std::size_t>(n));
      script(buf, from);
    });
  }
  // Sends `d` to `to` from the peer's address (or from `fd`, e.g. other).
  void send(const std::vector<unsigned char>& d, const Endpoint& to) { send_from(sock.get(), d, to); }
  static void send_from(int fd, const std::vector<unsigned char>& d, const Endpoint& to) {
    ASSERT_EQ(::sendto(fd, d.data(), d.size(), 0, to.sa(), to.len), static_cast<ssize_t>(d.size()));
  }
  std::thread echo_once() {
    return serve_once([this](auto& d, const Endpoint& from) { send(d, from); });
  }
};

// One exchange of `ex` while the peer runs `script` (serve_once's or
// echo_once's thread): the exchange's outcome, once the script is done.
inline Outcome exchange_with(Exchanger& ex, std::thread script) {
  const Outcome o = ex.exchange();
  script.join();
  return o;
}

}  // namespace sockchurn::test
