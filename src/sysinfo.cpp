#include "sysinfo.hpp"

#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace sockchurn {

std::string kernel_release() {
  utsname u{};
  return ::uname(&u) == 0 ? u.release : "?";
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(" \t", colon + 1));
    }
  }
  return "?";
}

std::string read_sysctl(const std::string& name) {
  std::string path = "/proc/sys/" + name;
  std::replace(path.begin() + 10, path.end(), '.', '/');
  std::ifstream in(path);
  if (!in) return "?";
  std::string word, value;
  while (in >> word) value += (value.empty() ? "" : " ") + word;
  return value;
}

std::string network_interfaces() {
  std::ifstream in("/proc/self/net/dev");
  std::string line, names;
  for (int n = 0; std::getline(in, line); ++n) {
    const auto colon = line.find(':');
    if (n < 2 || colon == std::string::npos) continue;  // two header lines
    const auto first = line.find_first_not_of(' ');
    names += (names.empty() ? "" : ",") + line.substr(first, colon - first);
  }
  return names.empty() ? "?" : names;
}

namespace {
std::int64_t read_clock(clockid_t id) {
  timespec ts{};
  if (::clock_gettime(id, &ts) != 0) return -1;
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}
}  // namespace

std::int64_t thread_cpu_ns() { return read_clock(CLOCK_THREAD_CPUTIME_ID); }
std::int64_t monotonic_ns() { return read_clock(CLOCK_MONOTONIC); }

std::int64_t process_cpu_ns(pid_t pid) {
  clockid_t id{};
  if (::clock_getcpuclockid(pid, &id) != 0) return -1;
  return read_clock(id);
}

MachineCpu machine_cpu() {
  std::ifstream in("/proc/stat");
  std::string cpu;
  std::int64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  if (!(in >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal)) return {};
  const std::int64_t tick_ns = 1'000'000'000 / ::sysconf(_SC_CLK_TCK);
  return {(user + nice + system + irq + softirq) * tick_ns, steal * tick_ns};
}

}  // namespace sockchurn
