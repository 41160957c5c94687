#include "observe/sysinfo.hpp"

#include <thread>

#include <sys/stat.h>
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

std::optional<bool> in_host_network_namespace() {
  struct stat self {}, host{};
  if (::stat("/proc/self/ns/net", &self) == 0 && ::stat("/proc/1/ns/net", &host) == 0)
    return self.st_ino == host.st_ino && self.st_dev == host.st_dev;
  std::istringstream names(network_interfaces());
  for (std::string name; std::getline(names, name, ',');)
    if (name != "lo" && !name.starts_with("scv")) return std::nullopt;
  return false;
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

std::vector<std::pair<std::string, std::string>> machine_context() {
  std::vector<std::pair<std::string, std::string>> context = {
      {"kernel", kernel_release()},
      {"cpu_model", cpu_model()},
      {"cores", std::to_string(std::thread::hardware_concurrency())},
  };
  for (const char* name : {"net.ipv4.tcp_tw_reuse", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_fin_timeout",
                           "net.core.somaxconn", "net.ipv4.tcp_max_tw_buckets", "net.ipv4.tcp_syn_retries"})
    context.emplace_back(std::string("sysctl.") + name, read_sysctl(name));
  context.emplace_back("network_interfaces", network_interfaces());
  return context;
}

}  // namespace sockchurn
