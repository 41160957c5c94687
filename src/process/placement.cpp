#include "process/placement.hpp"

#include <dirent.h>

#include <cstdlib>
#include <stdexcept>
#include <vector>

#include "net/fd.hpp"

namespace sockchurn {

namespace {

// The CPUs this process was allowed when it started.
const cpu_set_t& allowed_cpus() {
  static const cpu_set_t set = [] {
    cpu_set_t s;
    CPU_ZERO(&s);
    check(sched_getaffinity(0, sizeof s, &s), "sched_getaffinity");
    return s;
  }();
  return set;
}

std::vector<int> cpu_list(const cpu_set_t& set) {
  std::vector<int> cpus;
  for (int i = 0; i < CPU_SETSIZE; ++i)
    if (CPU_ISSET(i, &set)) cpus.push_back(i);
  return cpus;
}

cpu_set_t single(int cpu) {
  cpu_set_t s;
  CPU_ZERO(&s);
  CPU_SET(cpu, &s);
  return s;
}

}  // namespace

std::string_view to_string(Placement p) {
  switch (p) {
    case Placement::same: return "same";
    case Placement::split: return "split";
    case Placement::free: return "free";
  }
  return "?";
}

std::optional<Placement> parse_placement(std::string_view text) {
  for (Placement p : {Placement::same, Placement::split, Placement::free})
    if (text == to_string(p)) return p;
  return std::nullopt;
}

CpuPlan cpu_plan(Placement p) {
  const std::vector<int> cpus = cpu_list(allowed_cpus());
  CpuPlan plan;
  switch (p) {
    case Placement::same:
      plan.client = plan.server = single(cpus.front());
      plan.describe = "client and server on cpu " + std::to_string(cpus.front());
      break;
    case Placement::split:
      if (cpus.size() < 2) throw std::runtime_error("placement 'split' needs two CPUs; this process may use one");
      plan.client = single(cpus[0]);
      plan.server = single(cpus[1]);
      plan.describe = "client on cpu " + std::to_string(cpus[0]) + ", server on cpu " + std::to_string(cpus[1]);
      break;
    case Placement::free:
      plan.describe = "unpinned";
      break;
  }
  return plan;
}

void pin_this_thread(const std::optional<cpu_set_t>& cpus) {
  const cpu_set_t& set = cpus ? *cpus : allowed_cpus();
  check(sched_setaffinity(0, sizeof set, &set), "sched_setaffinity");
}

void pin_process(pid_t pid, const std::optional<cpu_set_t>& cpus) {
  const cpu_set_t& set = cpus ? *cpus : allowed_cpus();
  const std::string dir = "/proc/" + std::to_string(pid) + "/task";
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) throw_errno("opendir(/proc/PID/task)");
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    const pid_t tid = static_cast<pid_t>(std::atoi(e->d_name));
    // A thread may exit meanwhile (ESRCH); that is fine.
    if (sched_setaffinity(tid, sizeof set, &set) != 0 && errno != ESRCH) {
      ::closedir(d);
      throw_errno("sched_setaffinity(server)");
    }
  }
  ::closedir(d);
}

}  // namespace sockchurn
