// How the TCP kernel tests (test_kernel_tcp.cpp, test_kernel_uring.cpp)
// observe the kernel: one read() as text, the Tcp counters of
// /proc/net/snmp, and the sockets on the ports a test used as sock_diag
// lists them ("time_wait 127.0.0.1:41000 127.0.0.1:39000").
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "net/endpoint.hpp"
#include "net/fd.hpp"
#include "observe/tcp_states.hpp"

namespace sockchurn::test {

inline const char* state_name(TcpState s) {
  static constexpr const char* names[] = {"?",         "established", "syn_sent",   "syn_recv",
                                          "fin_wait1", "fin_wait2",   "time_wait",  "close",
                                          "close_wait", "last_ack",   "listen",     "closing"};
  const int i = static_cast<int>(s);
  return i > 0 && i < 12 ? names[i] : "?";
}

// "time_wait 127.0.0.1:41000 127.0.0.1:39000": one socket as the kernel lists it.
inline std::string entry(TcpState state, const Endpoint& local, const Endpoint& remote) {
  return std::string(state_name(state)) + " " + local.to_string() + " " + remote.to_string();
}

// One read(): "EOF", "<n> bytes" or the errno name.
inline std::string read_once(int fd) {
  char buf[4096];
  const ssize_t n = ::read(fd, buf, sizeof buf);
  if (n < 0) return errno_name(errno);
  return n == 0 ? "EOF" : std::to_string(n) + " bytes";
}

// A "Tcp:" counter of this network namespace from /proc/net/snmp, such as
// OutSegs (segments sent) or OutRsts.
inline long tcp_counter(const std::string& name) {
  std::ifstream snmp("/proc/net/snmp");
  std::string names, values;
  while (std::getline(snmp, names) && names.rfind("Tcp: ", 0) != 0) {
  }
  std::getline(snmp, values);
  std::istringstream n(names), v(values);
  std::string key, value;
  while (n >> key && v >> value)
    if (key == name) return std::stol(value);
  throw std::runtime_error("no Tcp counter " + name + " in /proc/net/snmp");
}

// TCP sockets whose local port is in `ports` and whose remote port is 0 or
// in `ports`, sorted, as entry() strings.
inline std::vector<std::string> tcp_sockets_on(const std::vector<std::uint16_t>& ports) {
  const auto ours = [&](std::uint16_t p) { return std::find(ports.begin(), ports.end(), p) != ports.end(); };
  std::vector<std::string> found;
  for (const auto& s : list_tcp_sockets())
    if (ours(s.local.port()) && (s.remote.port() == 0 || ours(s.remote.port())))
      found.push_back(entry(s.state, s.local, s.remote));
  std::sort(found.begin(), found.end());
  return found;
}

// Waits (bounded, 2 s) until tcp_sockets_on(ports) equals `expected`, then
// asserts it. Loopback runs the peer's side of each packet within our
// syscalls, so this rarely waits; it only absorbs scheduling noise.
inline void expect_tcp_sockets(const std::vector<std::uint16_t>& ports, std::vector<std::string> expected) {
  std::sort(expected.begin(), expected.end());
  for (int i = 0; i < 2000 && tcp_sockets_on(ports) != expected; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_EQ(tcp_sockets_on(ports), expected);
}

}  // namespace sockchurn::test
