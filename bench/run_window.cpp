#include "run_window.hpp"

#include <unistd.h>

#include <exception>

namespace sockchurn::bench {

RunWindow::RunWindow(const ServerTarget& server, bool tcp, bool kernel) {
  if (tcp) {
    try {
      time_wait0_ = socket_cookies();
    } catch (const std::exception&) {
      time_wait0_.reset();
    }
  }
  if (kernel) {
    try {
      kernel0_ = read_kernel_counters();
    } catch (const std::exception&) {
      kernel0_.reset();  // the context's kernel_counters names the problem
    }
  }
  wall0_ = monotonic_ns();
  machine0_ = machine_cpu();
  client_cpu0_ = process_cpu_ns(::getpid());
  server_cpu0_ = server.cpu_ns();
}

RunClock RunWindow::clock(const ServerTarget& server) const {
  RunClock c;
  c.wall_ns = static_cast<double>(monotonic_ns() - wall0_);
  c.client_cpu_ns = static_cast<double>(process_cpu_ns(::getpid()) - client_cpu0_);
  const auto server_cpu = server.cpu_ns();
  if (server_cpu && server_cpu0_) c.server_cpu_ns = static_cast<double>(*server_cpu - *server_cpu0_);
  const MachineCpu machine = machine_cpu();
  c.machine_busy_ns = static_cast<double>(machine.busy_ns - machine0_.busy_ns);
  c.machine_steal_ns = static_cast<double>(machine.steal_ns - machine0_.steal_ns);
  return c;
}

std::optional<TimeWaitCount> RunWindow::time_wait(const Endpoint& server) const {
  if (!time_wait0_) return std::nullopt;
  try {
    return time_wait_since(*time_wait0_, server);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::optional<CounterSnapshot> RunWindow::kernel_delta() const {
  if (!kernel0_) return std::nullopt;
  try {
    return counter_delta(*kernel0_, read_kernel_counters());
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace sockchurn::bench
