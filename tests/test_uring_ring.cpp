// The io_uring wrapper (src/engines/uring/uring_ring.hpp): results in the order the
// operations were prepared, the timeout that cancels what still runs, the
// batch limit, and the one-line reason when io_uring is unavailable (made
// unavailable in a child process by a seccomp filter on io_uring_setup).
#include <gtest/gtest.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <functional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "net/fd.hpp"
#include "engines/uring/uring_ring.hpp"
#include "support/needs_uring.hpp"

namespace sockchurn {
namespace {

std::vector<int> as_vector(std::span<const int> results) { return {results.begin(), results.end()}; }

// A connected pair of AF_UNIX stream sockets: what one sends, the other reads.
std::pair<Fd, Fd> stream_pair() {
  int fds[2];
  check(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), "socketpair");
  return {Fd(fds[0]), Fd(fds[1])};
}

using UringRing = test::NeedsUring<>;

TEST_F(UringRing, ResultsComeInTheOrderTheOperationsWerePrepared) {
  Ring ring(8);
  const auto [a, b] = stream_pair();
  char buf[8];
  // The recv waits for the send prepared after it.
  io_uring_prep_recv(&ring.prepare(), b.get(), buf, sizeof buf, 0);
  io_uring_prep_nop(&ring.prepare());
  io_uring_prep_send(&ring.prepare(), a.get(), "abc", 3, 0);
  io_uring_prep_close(&ring.prepare(), 1'000'000);  // no such descriptor
  EXPECT_EQ(ring.prepared(), 4u);
  EXPECT_EQ(as_vector(ring.run()), (std::vector<int>{3, 0, 3, -EBADF}));
  EXPECT_EQ(ring.prepared(), 0u);
  EXPECT_EQ(std::string(buf, 3), "abc");
}

TEST_F(UringRing, OperationStillRunningAtTheTimeoutIsCancelled) {
  Ring ring(8);
  const auto [a, b] = stream_pair();
  char buf[8];
  io_uring_prep_recv(&ring.prepare(), b.get(), buf, sizeof buf, 0);  // nothing comes
  io_uring_prep_nop(&ring.prepare());
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(as_vector(ring.run(std::chrono::milliseconds(50))), (std::vector<int>{-ECANCELED, 0}));
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(50));
  // The ring is usable afterwards, and the cancelled recv took nothing.
  io_uring_prep_send(&ring.prepare(), a.get(), "xy", 2, 0);
  io_uring_prep_recv(&ring.prepare(), b.get(), buf, sizeof buf, 0);
  EXPECT_EQ(as_vector(ring.run()), (std::vector<int>{2, 2}));
  EXPECT_EQ(std::string(buf, 2), "xy");
}

TEST_F(UringRing, BatchLongerThanTheSubmissionQueueThrowsLengthError) {
  Ring ring(4);
  for (int i = 0; i < 4; ++i) io_uring_prep_nop(&ring.prepare());
  EXPECT_THROW(ring.prepare(), std::length_error);
  EXPECT_EQ(as_vector(ring.run()), (std::vector<int>{0, 0, 0, 0}));
}

TEST_F(UringRing, SparseTableHasItsSlotsAndASecondRegistrationIsEbusy) {
  Ring ring(4);
  EXPECT_EQ(ring.file_slots(), 0u);
  ring.register_sparse_files(16);
  EXPECT_EQ(ring.file_slots(), 16u);
  try {
    ring.register_sparse_files(16);
    ADD_FAILURE() << "a second table was registered";
  } catch (const std::system_error& e) {
    EXPECT_EQ(errno_name(e.code().value()), "EBUSY");
    EXPECT_EQ(std::string(e.what()), "io_uring_register_files_sparse: Device or resource busy");
  }
}

// Runs `body` in a child process in which io_uring_setup fails with `err`
// (a seccomp filter); returns what `body` returned, or what went wrong.
std::string with_io_uring_setup_failing(int err, const std::function<std::string()>& body) {
  int out[2];
  check(::pipe2(out, O_CLOEXEC), "pipe2");
  Fd read_end(out[0]), write_end(out[1]);
  const pid_t pid = check(::fork(), "fork");
  if (pid == 0) {
    read_end.reset();
    sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (static_cast<unsigned>(err) & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    sock_fprog prog{static_cast<unsigned short>(sizeof filter / sizeof filter[0]), filter};
    std::string text;
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
      text = "seccomp: " + errno_name(errno);
    } else {
      try {
        text = body();
      } catch (const std::exception& e) {
        text = std::string("exception: ") + e.what();
      }
    }
    const ssize_t n = ::write(write_end.get(), text.data(), text.size());
    ::_exit(n == static_cast<ssize_t>(text.size()) ? 0 : 1);
  }
  write_end.reset();
  std::string text;
  char buf[512];
  ssize_t n;
  while ((n = ::read(read_end.get(), buf, sizeof buf)) > 0) text.append(buf, static_cast<std::size_t>(n));
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) text += " (child status " + std::to_string(status) + ")";
  return text;
}

std::string io_uring_disabled_sysctl() {
  std::ifstream sysctl("/proc/sys/kernel/io_uring_disabled");
  std::string value;
  sysctl >> value;
  return value;
}

// Ring() where io_uring_setup fails: "what(): <code name>".
std::string ring_failure() {
  try {
    Ring ring(4);
  } catch (const std::system_error& e) {
    return std::string(e.what()) + " / " + errno_name(e.code().value());
  }
  return "no error";
}

TEST(UringUnavailable, KernelWithoutIoUringIsNamedInOneLine) {
  EXPECT_EQ(with_io_uring_setup_failing(ENOSYS, uring_support), "io_uring_queue_init: ENOSYS (this kernel has no io_uring)");
  EXPECT_EQ(with_io_uring_setup_failing(ENOSYS, ring_failure),
            "io_uring_queue_init (this kernel has no io_uring): Function not implemented / ENOSYS");
}

TEST(UringUnavailable, RefusedIoUringNamesTheSysctl) {
  const std::string disabled = io_uring_disabled_sysctl();
  ASSERT_FALSE(disabled.empty()) << "no kernel.io_uring_disabled on this kernel";
  const std::string why = " (kernel.io_uring_disabled = " + disabled +
                          (disabled == "0" ? ", so a seccomp filter or security module" : "") + ")";
  EXPECT_EQ(with_io_uring_setup_failing(EPERM, uring_support), "io_uring_queue_init: EPERM" + why);
  EXPECT_EQ(with_io_uring_setup_failing(EPERM, ring_failure),
            "io_uring_queue_init" + why + ": Operation not permitted / EPERM");
}

}  // namespace
}  // namespace sockchurn
