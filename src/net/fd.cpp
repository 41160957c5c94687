#include "net/fd.hpp"

#include <cerrno>
#include <cstring>
#include <system_error>
#include <unistd.h>

namespace sockchurn {

void throw_errno(const char* call) {
  throw std::system_error(errno, std::generic_category(), call);
}

int check(int rc, const char* call) {
  if (rc < 0) throw_errno(call);
  return rc;
}

std::string errno_name(int err) {
  if (const char* name = strerrorname_np(err)) return name;
  return "E" + std::to_string(err);
}

void Fd::reset(int fd) noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

}  // namespace sockchurn
