// RAII ownership of a file descriptor, and the one way a failed syscall
// becomes an exception.
#pragma once

#include <string>
#include <utility>

namespace sockchurn {

// Throws std::system_error(errno, generic_category) whose what() names `call`.
[[noreturn]] void throw_errno(const char* call);

// Returns rc, or throws (via throw_errno) when rc < 0.
int check(int rc, const char* call);

// errno value -> its symbolic name ("ECONNRESET"); "E<number>" if unknown.
std::string errno_name(int err);

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) noexcept : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) reset(std::exchange(other.fd_, -1));
    return *this;
  }
  ~Fd() { reset(); }

  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }
  // Closes the current descriptor (if any) and takes `fd`.
  int release() noexcept { return std::exchange(fd_, -1); }
  void reset(int fd = -1) noexcept;

 private:
  int fd_ = -1;
};

}  // namespace sockchurn
