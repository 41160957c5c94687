#include "net/sockops.hpp"

#include <cerrno>
#include <cstring>
#include <unistd.h>

namespace sockchurn {

std::string error_name(int err) {
  switch (err) {
    case 0: return "ok";
    case kEof: return "EOF";
    case kUnexpectedData: return "unexpected data";
    case kEchoMismatch: return "echo mismatch";
    default: return errno_name(err);
  }
}

int disconnect(int fd, socklen_t len) noexcept {
  sockaddr_storage unspec{};
  unspec.ss_family = AF_UNSPEC;
  return ::connect(fd, reinterpret_cast<const sockaddr*>(&unspec), len);
}

Fd make_socket(int family, int type) {
  return Fd(check(::socket(family, type | SOCK_CLOEXEC, 0), "socket"));
}

int open_socket(Fd& fd, int family, int type) noexcept {
  fd.reset(::socket(family, type | SOCK_CLOEXEC, 0));
  return fd ? 0 : errno;
}

int try_set_linger0(int fd) noexcept {
  const linger lg{1, 0};
  return ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
}

void set_linger0(int fd) { check(try_set_linger0(fd), "setsockopt(SO_LINGER)"); }

namespace {
void set_timeout(int fd, int option, const char* call, std::chrono::microseconds timeout) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1'000'000);
  tv.tv_usec = static_cast<suseconds_t>(timeout.count() % 1'000'000);
  check(::setsockopt(fd, SOL_SOCKET, option, &tv, sizeof tv), call);
}
}  // namespace

void set_recv_timeout(int fd, std::chrono::microseconds timeout) {
  set_timeout(fd, SO_RCVTIMEO, "setsockopt(SO_RCVTIMEO)", timeout);
}

void set_send_timeout(int fd, std::chrono::microseconds timeout) {
  set_timeout(fd, SO_SNDTIMEO, "setsockopt(SO_SNDTIMEO)", timeout);
}

void bind_to(int fd, const Endpoint& local) { check(::bind(fd, local.sa(), local.len), "bind"); }

std::uint16_t find_free_port(const Endpoint& host, int type) {
  Fd s = make_socket(host.family(), type);
  bind_to(s.get(), with_port(host, 0));
  return local_endpoint(s.get()).port();
}

int connect_to(int fd, const Endpoint& peer) noexcept {
  while (::connect(fd, peer.sa(), peer.len) != 0) {
    if (errno != EINTR) return errno;
  }
  return 0;
}

int write_all(int fd, const void* data, std::size_t len) noexcept {
  const auto* p = static_cast<const char*>(data);
  while (len > 0) {
    const ssize_t n = ::send(fd, p, len, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    p += n;
    len -= static_cast<std::size_t>(n);
  }
  return 0;
}

int read_exact(int fd, void* data, std::size_t len) noexcept {
  auto* p = static_cast<char*>(data);
  while (len > 0) {
    const ssize_t n = ::read(fd, p, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) return kEof;
    p += n;
    len -= static_cast<std::size_t>(n);
  }
  return 0;
}

int read_eof(int fd) noexcept {
  char byte = 0;
  for (;;) {
    const ssize_t n = ::read(fd, &byte, 1);
    if (n == 0) return 0;
    if (n > 0) return kUnexpectedData;
    if (errno != EINTR) return errno;
  }
}


void bind_explicit_port(int fd, int type, const Endpoint& server) {
  const Endpoint any = parse_host(server.family() == AF_INET6 ? "::" : "0.0.0.0");
  for (int attempt = 0;; ++attempt) {
    const Endpoint local = with_port(any, find_free_port(any, type));
    if (::bind(fd, local.sa(), local.len) == 0) return;
    if (errno != EADDRINUSE || attempt == 20) throw_errno("bind");
  }
}

}  // namespace sockchurn
