#include "observe/syscall_counter.hpp"

#include <fcntl.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <functional>
#include <string_view>
#include <system_error>
#include <thread>

#include "observe/sysinfo.hpp"

namespace sockchurn {
namespace {

constexpr const char* kTracefs = "/sys/kernel/tracing";
constexpr const char* kDebugTracefs = "/sys/kernel/debug/tracing";
constexpr const char* kIdFile = "/events/raw_syscalls/sys_enter/id";

// The tracepoint's id read from the tracefs at `tracefs`, or why not
// ("/sys/kernel/tracing/events/raw_syscalls/sys_enter/id: ENOENT").
struct IdRead {
  long id = -1;
  std::string why_not;
};
IdRead read_id(const std::string& tracefs) {
  const std::string path = tracefs + kIdFile;
  const Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return {-1, path + ": " + errno_name(errno)};
  char buf[32] = {};
  const ssize_t n = ::read(fd.get(), buf, sizeof buf - 1);
  if (n < 0) return {-1, path + ": " + errno_name(errno)};
  long id = -1;
  const auto [end, ec] = std::from_chars(buf, buf + n, id);
  if (ec != std::errc{} || id < 0 || (end != buf + n && *end != '\n')) return {-1, path + ": not a tracepoint id"};
  return {id, {}};
}

struct TracepointId {
  long id = -1;
  std::string why_not;  // when id < 0
};

// On a thread of its own, which it leaves in a mount namespace of its own
// (made private first, so that the mount does not propagate back to the
// host's): mounts tracefs there and reads the id.
void read_id_from_private_tracefs(TracepointId& out) {
  if (::unshare(CLONE_NEWNS) != 0) {
    out.why_not = "unshare(CLONE_NEWNS): " + errno_name(errno);
  } else if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    out.why_not = "making the new mount namespace private: " + errno_name(errno);
  } else if (::mount("nodev", kTracefs, "tracefs", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) {
    out.why_not = std::string("mount tracefs on ") + kTracefs + ": " + errno_name(errno);
  } else {
    const IdRead r = read_id(kTracefs);
    out.id = r.id;
    out.why_not = r.why_not;
  }
}

// The thread ends at once: its mount namespace and the mount vanish with it.
TracepointId id_from_private_tracefs() {
  TracepointId out;
  try {
    std::thread(read_id_from_private_tracefs, std::ref(out)).join();
  } catch (const std::system_error& e) {
    out.why_not = std::string("cannot start a thread: ") + e.what();
  }
  return out;
}

TracepointId find_tracepoint_id() {
  std::string tried;
  for (const char* dir : {kTracefs, kDebugTracefs}) {
    const IdRead r = read_id(dir);
    if (r.id >= 0) return {r.id, {}};
    tried += (tried.empty() ? "" : "; ") + r.why_not;
  }
  TracepointId from_private = id_from_private_tracefs();
  if (from_private.id < 0)
    from_private.why_not = "cannot read the id of tracepoint raw_syscalls:sys_enter (" + tried +
                           "), nor from a private tracefs mount (" + from_private.why_not + ")";
  return from_private;
}

}  // namespace

std::optional<SyscallCounter> SyscallCounter::open(std::string& why_not) {
  static const TracepointId tracepoint = find_tracepoint_id();
  if (tracepoint.id < 0) {
    why_not = tracepoint.why_not;
    return std::nullopt;
  }
  perf_event_attr attr{};
  attr.size = sizeof attr;
  attr.type = PERF_TYPE_TRACEPOINT;
  attr.config = static_cast<std::uint64_t>(tracepoint.id);
  attr.disabled = 1;
  attr.inherit = 0;
  const long fd = ::syscall(SYS_perf_event_open, &attr, 0 /* this thread */, -1 /* any CPU */, -1 /* no group */,
                            PERF_FLAG_FD_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    why_not = "perf_event_open(raw_syscalls:sys_enter): " + errno_name(err);
    if (err == EACCES || err == EPERM)
      why_not += " (kernel.perf_event_paranoid=" + read_sysctl("kernel.perf_event_paranoid") +
                 "; counting kernel tracepoints needs root or CAP_PERFMON)";
    else if (err == ENOSYS)
      why_not += " (this kernel has no perf events)";
    return std::nullopt;
  }
  return SyscallCounter(Fd(static_cast<int>(fd)));
}

void SyscallCounter::start() {
  // DISABLE is counted if the counter was running, and cleared by RESET;
  // ENABLE enters the kernel while the counter is still off.
  check(::ioctl(fd_.get(), PERF_EVENT_IOC_DISABLE, 0), "ioctl(PERF_EVENT_IOC_DISABLE)");
  check(::ioctl(fd_.get(), PERF_EVENT_IOC_RESET, 0), "ioctl(PERF_EVENT_IOC_RESET)");
  check(::ioctl(fd_.get(), PERF_EVENT_IOC_ENABLE, 0), "ioctl(PERF_EVENT_IOC_ENABLE)");
  running_ = true;
  reads_ = 0;
}

std::int64_t SyscallCounter::read() const {
  std::uint64_t value = 0;
  const ssize_t n = ::read(fd_.get(), &value, sizeof value);
  if (n < 0) throw_errno("read(perf counter)");
  if (n != static_cast<ssize_t>(sizeof value)) {
    errno = EIO;
    throw_errno("read(perf counter): short read");
  }
  // Each read(2) since start() entered the kernel while the counter ran:
  // this one counted itself, and the earlier ones counted too.
  if (!running_) return static_cast<std::int64_t>(value);
  ++reads_;
  return static_cast<std::int64_t>(value) - reads_;
}

}  // namespace sockchurn
