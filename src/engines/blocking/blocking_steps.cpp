#include "engines/blocking/blocking_steps.hpp"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "net/sockops.hpp"

namespace sockchurn {

namespace {

// IP_LOCAL_PORT_RANGE (Linux 6.3, include/uapi/linux/in.h); glibc 2.36 lacks it.
constexpr int kIpLocalPortRange = 51;

long status(int rc) { return rc == 0 ? 0 : -errno; }

template <typename T>
long set_option(int fd, int level, int name, const T& value) {
  return status(::setsockopt(fd, level, name, &value, sizeof value));
}

// Reads until `len` bytes came or the stream ended: the bytes read.
long read_upto(int fd, unsigned char* p, std::size_t len) {
  std::size_t got = 0;
  while (got < len) {
    const ssize_t n = ::read(fd, p + got, len - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  return static_cast<long>(got);
}

// One byte's room: 0 at EOF, 1 if data came.
long read_end(int fd) {
  unsigned char byte = 0;
  for (;;) {
    const ssize_t n = ::read(fd, &byte, 1);
    if (n >= 0) return n;
    if (errno == EAGAIN) {  // Asio's descriptors are non-blocking
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 5000) == 1) continue;
      return -ETIMEDOUT;
    }
    if (errno != EINTR) return -errno;
  }
}

}  // namespace

long blocking_step(Step s, int fd, const SocketArgs& args, Message& msg, Endpoint& from) {
  switch (s) {
    case Step::bind_port: bind_explicit_port(fd, args.type, args.server); return 0;
    case Step::set_linger0: return set_option(fd, SOL_SOCKET, SO_LINGER, linger{1, 0});
    case Step::set_bind_no_port: return set_option(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1);
    case Step::bind_source: return status(::bind(fd, args.source.sa(), args.source.len));
    case Step::set_port_range: return set_option(fd, IPPROTO_IP, kIpLocalPortRange, args.port_range);
    case Step::connect: {
      const int e = connect_to(fd, args.server);
      return e == 0 ? 0 : -e;
    }
    case Step::write: {
      const int e = write_all(fd, msg.data(), msg.size());
      return e == 0 ? static_cast<long>(msg.size()) : -e;
    }
    case Step::read: return read_upto(fd, msg.in(), msg.size());
    case Step::read_eof: return read_end(fd);
    case Step::shutdown_wr: return status(::shutdown(fd, SHUT_WR));
    case Step::send: return ::send(fd, msg.data(), msg.size(), 0) < 0 ? -errno : 0;
    case Step::send_to:
      return ::sendto(fd, msg.data(), msg.size(), 0, args.server.sa(), args.server.len) < 0 ? -errno : 0;
    case Step::recv:
      for (;;) {
        from.len = sizeof from.storage;
        const ssize_t n = ::recvfrom(fd, msg.in(), msg.in_capacity(), 0, from.sa(), &from.len);
        if (n >= 0) return n;
        if (errno != EINTR) return -errno;
      }
    case Step::disconnect: return status(disconnect(fd));
    case Step::socket:
    case Step::close: break;
  }
  return -EINVAL;
}

}  // namespace sockchurn
