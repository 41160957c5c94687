// SyscallCounter (raw_syscalls:sys_enter through perf_event_open) counts the
// calling thread's system calls exactly. Skipped, with the counter's own
// reason, where it cannot count (not root, perf_event_paranoid, no tracefs).
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>
#include <optional>
#include <string>
#include <thread>

#include "net/endpoint.hpp"
#include "net/fd.hpp"
#include "net/sockops.hpp"
#include "observe/syscall_counter.hpp"

namespace sockchurn {
namespace {

class SyscallCounting : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why_not;
    counter = SyscallCounter::open(why_not);
    if (!counter) GTEST_SKIP() << "syscall counter unavailable: " << why_not;
    EXPECT_TRUE(why_not.empty()) << why_not;
  }
  std::optional<SyscallCounter> counter;
};

TEST_F(SyscallCounting, NothingIsCountedBeforeStartOrRightAfterIt) {
  EXPECT_EQ(counter->read(), 0);  // not started: off
  EXPECT_EQ(::syscall(SYS_getppid), ::getppid());
  EXPECT_EQ(counter->read(), 0);
  counter->start();
  EXPECT_EQ(counter->read(), 0);  // neither start()'s ioctls nor the read itself
  EXPECT_EQ(counter->read(), 0);  // nor the earlier read
  ::syscall(SYS_getppid);
  EXPECT_EQ(counter->read(), 1);
}

TEST_F(SyscallCounting, CountsEachGetppid) {
  constexpr int kCalls = 1000;
  // Slack: every signal delivered to this thread meanwhile adds its
  // rt_sigreturn (and whatever a handler calls). gtest and the sanitizer
  // runtimes install no handler that fires here, so the count is exact in
  // practice; the slack only keeps a stray signal from failing the test.
  constexpr int kSlack = 5;
  counter->start();
  for (int i = 0; i < kCalls; ++i) ::syscall(SYS_getppid);  // not cached or vDSO: always enters the kernel
  const std::int64_t n = counter->read();
  EXPECT_GE(n, kCalls);
  EXPECT_LE(n, kCalls + kSlack);
  // A second start() clears the count.
  counter->start();
  ::syscall(SYS_getppid);
  ::syscall(SYS_getppid);
  EXPECT_EQ(counter->read(), 2);
}

// One TCP exchange as the client thread sees it: socket, connect, write,
// read, close. The peer runs on another thread, whose syscalls (accept, read,
// write, close) are not counted: the counter is per thread.
TEST_F(SyscallCounting, OneTcpExchangeIsFiveSyscallsOnTheClientThread) {
  Fd listener = make_socket(AF_INET, SOCK_STREAM);
  bind_to(listener.get(), loopback_v4(0));
  check(::listen(listener.get(), 1), "listen");
  const Endpoint server = local_endpoint(listener.get());
  std::string peer_saw;
  std::thread peer([&] {
    Fd conn(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!conn) {
      peer_saw = "accept: " + errno_name(errno);
      return;
    }
    char buf[64];
    const int rc = read_exact(conn.get(), buf, sizeof buf);
    peer_saw = rc == 0 ? "64 bytes" : error_name(rc);
    if (rc == 0) write_all(conn.get(), buf, sizeof buf);
    peer_saw += ", then " + std::string(read_eof(conn.get()) == 0 ? "EOF" : "no EOF");
  });

  char msg[64] = "ping", echo[64] = {};
  counter->start();
  const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int connected = ::connect(s, server.sa(), server.len);
  const ssize_t written = ::write(s, msg, sizeof msg);
  const ssize_t got = ::read(s, echo, sizeof echo);  // the echo comes as one segment
  const int closed = ::close(s);
  const std::int64_t n = counter->read();
  peer.join();

  ASSERT_GE(s, 0);
  EXPECT_EQ(connected, 0);
  EXPECT_EQ(written, 64);
  EXPECT_EQ(got, 64);
  EXPECT_EQ(closed, 0);
  EXPECT_EQ(std::string(echo), "ping");
  EXPECT_EQ(peer_saw, "64 bytes, then EOF");
  EXPECT_EQ(n, 5);
}

// A counter opened on one thread counts that thread only, whichever thread
// runs meanwhile; two threads' counters are independent.
TEST_F(SyscallCounting, CountsOnlyItsOwnThread) {
  std::int64_t other_count = -1;
  std::string other_why;
  counter->start();
  std::thread other([&] {
    std::optional<SyscallCounter> mine = SyscallCounter::open(other_why);
    if (!mine) return;
    mine->start();
    for (int i = 0; i < 300; ++i) ::syscall(SYS_getppid);
    other_count = mine->read();
  });
  other.join();
  const std::int64_t here = counter->read();
  EXPECT_EQ(other_why, "");
  EXPECT_EQ(other_count, 300);
  // This thread only created and joined the other: clone3 (or clone),
  // futex waits and the like, far fewer than the other's 300 getppid.
  EXPECT_GT(here, 0);
  EXPECT_LT(here, 50);
}

}  // namespace
}  // namespace sockchurn
