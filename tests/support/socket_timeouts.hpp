// Send and receive timeouts for test sockets, so that no blocking call in a
// test (connect and accept included) waits longer than the test allows.
#pragma once

#include <chrono>

#include "net/sockops.hpp"

namespace sockchurn::test {

inline void set_io_timeouts(int fd, std::chrono::microseconds timeout) {
  set_recv_timeout(fd, timeout);
  set_send_timeout(fd, timeout);
}

}  // namespace sockchurn::test
