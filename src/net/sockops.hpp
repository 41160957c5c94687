// Thin socket operations. Calls whose failure is part of normal operation
// (connect, read, write) return an error value; setup calls throw.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

#include <sys/socket.h>

#include "net/endpoint.hpp"
#include "net/fd.hpp"

namespace sockchurn {

// Error values besides errno numbers.
inline constexpr int kEof = -1;             // the peer closed before all bytes came
inline constexpr int kUnexpectedData = -2;  // data where EOF was expected
inline constexpr int kEchoMismatch = -3;    // the echo differs from what was sent

// "ECONNRESET", "EOF", "echo mismatch", ...
std::string error_name(int err);

// connect() to a zeroed address of family AF_UNSPEC: dissolves the socket's
// association (for TCP an abort: RST). Returns connect()'s return value with
// errno untouched, so callers see exactly what the kernel said. `len` may be as
// small as sizeof(sa_family_t).
int disconnect(int fd, socklen_t len = sizeof(sockaddr_storage)) noexcept;

// socket(family, type | SOCK_CLOEXEC, 0); throws on failure.
Fd make_socket(int family, int type);

// socket() as an error value (0 or errno): running out of descriptors is an
// outcome of churn, not a programming error.
int open_socket(Fd& fd, int family, int type) noexcept;

// SO_LINGER {1, 0}: close() sends RST. try_: setsockopt's return value.
int try_set_linger0(int fd) noexcept;
void set_linger0(int fd);
void set_recv_timeout(int fd, std::chrono::microseconds timeout);  // SO_RCVTIMEO
void set_send_timeout(int fd, std::chrono::microseconds timeout);  // SO_SNDTIMEO
void bind_to(int fd, const Endpoint& local);  // throws on failure

// A port on `host` that was free a moment ago (bind port 0 on a throwaway
// socket of `type`, read it back, close). Racy by nature: callers retry.
std::uint16_t find_free_port(const Endpoint& host, int type);

// Binds `fd` (of socket `type`) to an explicit port on the wildcard address
// of the server's family, chosen free a moment before (retried: another
// socket may take it in between). An explicit port, unlike bind(port 0), is
// kept across connect(AF_UNSPEC).
void bind_explicit_port(int fd, int type, const Endpoint& server);

// Return 0, or errno on failure.
int connect_to(int fd, const Endpoint& peer) noexcept;
int write_all(int fd, const void* data, std::size_t len) noexcept;
// Returns 0 once exactly `len` bytes are read, kEof if the stream ends first.
int read_exact(int fd, void* data, std::size_t len) noexcept;
// Reads expecting end of stream: 0 on EOF, kUnexpectedData if bytes came.
int read_eof(int fd) noexcept;

}  // namespace sockchurn
