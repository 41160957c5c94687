// Counts the system calls the calling thread makes, with the kernel's
// raw_syscalls:sys_enter tracepoint through perf_event_open(2) (pid 0 = this
// thread, any CPU, child threads not included). One counter per thread: a
// multi-threaded client opens one in each thread and sums them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "net/fd.hpp"

namespace sockchurn {

class SyscallCounter {
 public:
  // A stopped counter for the calling thread, or nullopt with `why_not` set
  // to one line saying why it cannot count here (not root, perf_event_paranoid,
  // no tracefs, no perf events in this kernel).
  //
  // The tracepoint's id comes from tracefs (/sys/kernel/tracing or
  // /sys/kernel/debug/tracing). If neither is mounted, it is read from a
  // tracefs mounted in a private mount namespace of a short-lived thread,
  // which nothing else sees and which disappears with the thread; the host's
  // mounts are never changed. The id is looked up once per process.
  static std::optional<SyscallCounter> open(std::string& why_not);

  // Sets the count to 0 and starts counting. The calls start() itself makes
  // are not counted.
  void start();
  // The system calls this thread made since start() (0 before any start()),
  // not counting the read(2) calls that this counter's read() makes, this one
  // and earlier ones. Throws std::system_error if the read fails.
  std::int64_t read() const;

 private:
  explicit SyscallCounter(Fd fd) : fd_(std::move(fd)) {}
  Fd fd_;
  bool running_ = false;
  mutable std::int64_t reads_ = 0;  // read(2) calls on fd_ since start()
};

}  // namespace sockchurn
