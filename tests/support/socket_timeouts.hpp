// Send and receive timeouts for test sockets, so that no blocking call in a
// test (connect and accept included) waits longer than the test allows.
#pragma once

#include <sys/socket.h>
#include <sys/time.h>

#include <chrono>

#include "sockops.hpp"

namespace sockchurn::test {

inline void set_send_timeout(int fd, std::chrono::microseconds timeout) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1'000'000);
  tv.tv_usec = static_cast<suseconds_t>(timeout.count() % 1'000'000);
  check(::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv), "setsockopt(SO_SNDTIMEO)");
}

inline void set_io_timeouts(int fd, std::chrono::microseconds timeout) {
  set_recv_timeout(fd, timeout);
  set_send_timeout(fd, timeout);
}

}  // namespace sockchurn::test
