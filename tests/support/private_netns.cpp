// Linked into every test binary: when allowed (root), the test process
// moves into a fresh network namespace with loopback up before any test
// runs. CTest runs each test case as its own process, so no test sees the
// TIME_WAIT sockets or ports of another — nor the host's.
#include <gtest/gtest.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

bool bring_loopback_up() {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  bool ok = ::ioctl(fd, SIOCGIFFLAGS, &ifr) == 0;
  if (ok) {
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
    ok = ::ioctl(fd, SIOCSIFFLAGS, &ifr) == 0;
  }
  ::close(fd);
  return ok;
}

// Runs before main(), while the process has one thread: every thread
// started later inherits the namespace.
const bool kPrivate = [] {
  if (::geteuid() != 0 || std::getenv("SOCKCHURN_TESTS_SHARED_NETNS") != nullptr) return false;
  if (::unshare(CLONE_NEWNET) != 0) {
    std::fprintf(stderr, "tests: unshare(CLONE_NEWNET): %s; running in the current namespace\n", std::strerror(errno));
    return false;
  }
  if (!bring_loopback_up()) {
    std::fprintf(stderr, "tests: cannot bring lo up in the private namespace: %s\n", std::strerror(errno));
    std::_Exit(1);
  }
  return true;
}();

}  // namespace
