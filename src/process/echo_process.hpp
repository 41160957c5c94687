// sockchurn-echo as a child process: started with port 0, its ports read from
// its ready line, stopped (SIGTERM, then SIGKILL) when this object goes away.
// The child also gets PR_SET_PDEATHSIG so that it never outlives a parent
// killed by a signal.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "process/ready_line.hpp"

namespace sockchurn {

class EchoProcess {
 public:
  // Throws std::runtime_error naming the binary and what went wrong (cannot
  // exec, exited early, no ready line within `timeout`).
  EchoProcess(const std::string& binary, const std::vector<std::string>& args,
              std::chrono::milliseconds timeout = std::chrono::seconds(10));
  EchoProcess(const EchoProcess&) = delete;
  EchoProcess& operator=(const EchoProcess&) = delete;
  ~EchoProcess();

  pid_t pid() const noexcept { return pid_; }
  const EchoPorts& ports() const noexcept { return ports_; }
  // False once the child has exited (it is then reaped).
  bool alive() noexcept;
  // SIGTERM, wait up to `grace`, then SIGKILL. Returns the exit status as
  // waitpid reports it; idempotent.
  int stop(std::chrono::milliseconds grace = std::chrono::seconds(5));

 private:
  pid_t pid_ = -1;
  int status_ = 0;
  EchoPorts ports_;
};

// The sockchurn-echo next to the running executable, else `fallback`.
std::string echo_binary_beside_self(const std::string& fallback);

}  // namespace sockchurn
