#include "process/echo_probe.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string>

#include "net/fd.hpp"
#include "net/sockops.hpp"

namespace sockchurn {

void probe_echo(Protocol protocol, const Endpoint& target) {
  Fd s = make_socket(target.family(), protocol == Protocol::tcp ? SOCK_STREAM : SOCK_DGRAM);
  set_recv_timeout(s.get(), std::chrono::seconds(2));
  set_send_timeout(s.get(), std::chrono::seconds(2));  // also bounds a TCP connect
  if (protocol == Protocol::tcp) set_linger0(s.get());
  const std::string where = "the echo server at " + target.to_string() + " (" + std::string(to_string(protocol)) + ")";
  if (int e = connect_to(s.get(), target))  // a connect that timed out says EINPROGRESS
    throw std::runtime_error("cannot reach " + where + ": " + error_name(e == EINPROGRESS ? ETIMEDOUT : e));
  const char ping[] = "sockchurn probe";
  char back[sizeof ping] = {};
  int e = write_all(s.get(), ping, sizeof ping);
  if (e == 0) {
    ssize_t n = 0;
    // A signal (a profiler's, a parent's) interrupts the wait: wait again.
    do n = ::recv(s.get(), back, sizeof back, MSG_WAITALL);
    while (n < 0 && errno == EINTR);
    e = n < 0 ? errno
              : (n == static_cast<ssize_t>(sizeof ping) && std::memcmp(ping, back, sizeof ping) == 0) ? 0 : kEchoMismatch;
  }
  if (e == EAGAIN) throw std::runtime_error("no echo from " + where + " within 2 s");
  if (e != 0) throw std::runtime_error((e == ECONNREFUSED ? "cannot reach " : "cannot use ") + where + ": " + error_name(e));
}

}  // namespace sockchurn
