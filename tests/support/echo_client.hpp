// The client side of the echo server tests (test_echo_server.cpp,
// test_echo_hostile.cpp): sockets with timeouts, verified round trips,
// polling, descriptor counts, and sockchurn-echo started as a child whose
// output goes to memory files. SOCKCHURN_ECHO_BINARY comes from
// tests/CMakeLists.txt.
#pragma once

#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "net/endpoint.hpp"
#include "net/fd.hpp"
#include "process/ready_line.hpp"
#include "net/sockops.hpp"
#include "socket_timeouts.hpp"

namespace sockchurn::test {

inline constexpr std::chrono::seconds kIoTimeout{5};  // no read or write in these tests blocks longer

// --- sockets and round trips ---------------------------------------------------

inline Fd client_socket(int family, int type) {
  Fd s = make_socket(family, type);
  set_io_timeouts(s.get(), kIoTimeout);
  return s;
}

inline Fd connect_tcp(const Endpoint& server) {
  Fd s = client_socket(server.family(), SOCK_STREAM);
  if (const int err = connect_to(s.get(), server))
    throw std::runtime_error("connect to " + server.to_string() + ": " + error_name(err));
  return s;
}

inline std::vector<char> pattern(std::size_t size, unsigned seed = 1) {
  std::vector<char> data(size);
  for (std::size_t i = 0; i < size; ++i) data[i] = static_cast<char>((i * 131 + seed * 7919) % 251);
  return data;
}

// Sends `data` and reads it back: 0, an errno, kEof or kEchoMismatch.
inline int tcp_round_trip(int fd, const std::vector<char>& data) {
  if (const int err = write_all(fd, data.data(), data.size())) return err;
  std::vector<char> back(data.size());
  if (const int err = read_exact(fd, back.data(), back.size())) return err;
  return back == data ? 0 : kEchoMismatch;
}

// Sends one datagram and expects it back, byte for byte, from `server`.
inline int udp_round_trip(int fd, const Endpoint& server, const std::vector<char>& data) {
  if (::sendto(fd, data.data(), data.size(), 0, server.sa(), server.len) != static_cast<ssize_t>(data.size()))
    return errno;
  std::vector<char> back(data.size() + 1);
  Endpoint from;
  from.len = sizeof from.storage;
  const ssize_t n = ::recvfrom(fd, back.data(), back.size(), 0, from.sa(), &from.len);
  if (n < 0) return errno;
  back.resize(static_cast<std::size_t>(n));
  return back == data && from == server ? 0 : kEchoMismatch;
}

// How a connection the server closed ends for us: 0 (FIN) or ECONNRESET.
inline bool closed_by_server(int end) { return end == 0 || end == ECONNRESET; }

// --- waiting and counting ------------------------------------------------------

// Polls `done` until it holds or `limit` passes; returns its last value.
inline bool eventually(const std::function<bool()>& done,
                       std::chrono::milliseconds limit = std::chrono::milliseconds(5000)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return done();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

inline void raise_fd_limit(rlim_t wanted) {
  rlimit lim{};
  check(::getrlimit(RLIMIT_NOFILE, &lim), "getrlimit");
  lim.rlim_cur = std::max(lim.rlim_cur, std::min(wanted, lim.rlim_max));
  check(::setrlimit(RLIMIT_NOFILE, &lim), "setrlimit");
}

// Open descriptors of process `pid` ("self": this one).
inline std::size_t count_fds(const std::string& pid) {
  return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator("/proc/" + pid + "/fd"),
                                                std::filesystem::directory_iterator()));
}

inline std::size_t open_fds() { return count_fds("self"); }

// --- sockchurn-echo as a child -------------------------------------------------

// A memory file for a child's stdout or stderr, readable at any time.
inline Fd memory_file(const char* name) { return Fd(check(::memfd_create(name, MFD_CLOEXEC), "memfd_create")); }

// All that was written to `fd` (a memory file) so far.
inline std::string read_all(int fd) {
  std::string text;
  char buf[4096];
  ssize_t n;
  while ((n = ::pread(fd, buf, sizeof buf, static_cast<off_t>(text.size()))) > 0)
    text.append(buf, static_cast<std::size_t>(n));
  return text;
}

// Forks and execs SOCKCHURN_ECHO_BINARY with `args`, stdout and stderr going
// to `out` and `err`; with `nofile`, under that RLIMIT_NOFILE soft limit (the
// child exits 126 if it cannot set it, 127 if it cannot exec). Returns its pid.
inline pid_t spawn_echo(const std::vector<std::string>& args, const Fd& out, const Fd& err,
                        std::optional<rlim_t> nofile = std::nullopt) {
  std::vector<std::string> text{SOCKCHURN_ECHO_BINARY};
  text.insert(text.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : text) argv.push_back(a.data());
  argv.push_back(nullptr);
  rlimit lim{};
  if (nofile) {
    check(::getrlimit(RLIMIT_NOFILE, &lim), "getrlimit");
    lim.rlim_cur = *nofile;
  }
  const pid_t pid = check(::fork(), "fork");
  if (pid == 0) {
    if (nofile && ::setrlimit(RLIMIT_NOFILE, &lim) != 0) ::_exit(126);
    ::dup2(out.get(), STDOUT_FILENO);
    ::dup2(err.get(), STDERR_FILENO);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

// The ports of the ready line the child writes to `out`, waited for at most
// 10 s; nullopt if it does not come or `exited()` says the child is gone.
inline std::optional<EchoPorts> wait_for_ready_line(const Fd& out, const std::function<bool()>& exited) {
  std::optional<EchoPorts> ports;
  eventually([&] { return (ports = parse_ready_line(read_all(out.get()))) || exited(); }, std::chrono::seconds(10));
  return ports;
}

// A waitpid() status as one number: the exit code, or 128 + the signal.
inline int exit_code(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status); }

}  // namespace sockchurn::test
