// The syscalls alone, no peer and no data: what a socket()+close() pair
// costs next to connect(AF_UNSPEC), with a bare syscall as the floor.
// Pinned to one CPU; single-threaded.
#include <benchmark/benchmark.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <utility>
#include <vector>
#include <string>
#include <system_error>

#include "exchange_floor.hpp"
#include "harness.hpp"
#include "process/flags.hpp"
#include "sweep.hpp"
#include "process/placement.hpp"
#include "net/sockops.hpp"

using namespace sockchurn;

namespace {

void skip_errno(benchmark::State& state, const char* call) {
  const std::string why = std::string(call) + ": " + errno_name(errno) + " (" + std::generic_category().message(errno) + ")";
  state.SkipWithError(why.c_str());
}

// The floor: a syscall that does nothing (getppid is not cached by glibc).
void getppid_floor(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(::syscall(SYS_getppid));
}

void socket_close(benchmark::State& state, int type) {
  for (auto _ : state) {
    const int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      skip_errno(state, "socket");
      break;
    }
    ::close(fd);
  }
}

// A UDP peer that never receives anything: connect() on UDP sends nothing.
Endpoint udp_peer(Fd& holder) {
  holder = make_socket(AF_INET, SOCK_DGRAM);
  bind_to(holder.get(), loopback_v4(0));
  return local_endpoint(holder.get());
}

// connect() to the same peer again on an already connected UDP socket.
void udp_reconnect(benchmark::State& state) {
  Fd peer_fd;
  const Endpoint peer = udp_peer(peer_fd);
  Fd s = make_socket(AF_INET, SOCK_DGRAM);
  for (auto _ : state) {
    if (connect_to(s.get(), peer) != 0) {
      skip_errno(state, "connect");
      break;
    }
  }
}

// connect() then connect(AF_UNSPEC): unbound, every connect searches for an
// ephemeral port (the disconnect released it); bound keeps its port.
void udp_connect_disconnect(benchmark::State& state, bool bound) {
  Fd peer_fd;
  const Endpoint peer = udp_peer(peer_fd);
  Fd s = make_socket(AF_INET, SOCK_DGRAM);
  if (bound) bind_to(s.get(), loopback_v4(find_free_port(loopback_v4(0), SOCK_DGRAM)));
  for (auto _ : state) {
    if (connect_to(s.get(), peer) != 0) {
      skip_errno(state, "connect");
      break;
    }
    if (disconnect(s.get()) != 0) {
      skip_errno(state, "connect(AF_UNSPEC)");
      break;
    }
  }
}

// connect(AF_UNSPEC) on a socket that was never connected: the syscall's
// fixed cost.
void disconnect_unconnected(benchmark::State& state, int type) {
  Fd s = make_socket(AF_INET, type);
  for (auto _ : state) {
    if (disconnect(s.get()) != 0) {
      skip_errno(state, "connect(AF_UNSPEC)");
      break;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  const char* prog = "syscall_cost";
  try {
    bench::benchmark_min_time(argc, argv);  // a bare number of seconds
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", prog, e.what());
    return 2;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  const CpuPlan plan = cpu_plan(Placement::same);
  pin_this_thread(plan.client);
  bench::add_machine_context();
  benchmark::AddCustomContext("placement", "syscall: " + plan.describe);

  using Body = std::function<void(benchmark::State&)>;
  const std::vector<std::pair<std::string, Body>> table = {
      {"syscall/getppid", getppid_floor},
      {"syscall/socket_close/proto:tcp", [](benchmark::State& st) { socket_close(st, SOCK_STREAM); }},
      {"syscall/socket_close/proto:udp", [](benchmark::State& st) { socket_close(st, SOCK_DGRAM); }},
      {"syscall/disconnect_unconnected/proto:tcp", [](benchmark::State& st) { disconnect_unconnected(st, SOCK_STREAM); }},
      {"syscall/disconnect_unconnected/proto:udp", [](benchmark::State& st) { disconnect_unconnected(st, SOCK_DGRAM); }},
      {"syscall/connect/proto:udp", udp_reconnect},
      {"syscall/connect_disconnect/proto:udp/port:ephemeral", [](benchmark::State& st) { udp_connect_disconnect(st, false); }},
      {"syscall/connect_disconnect/proto:udp/port:bound", [](benchmark::State& st) { udp_connect_disconnect(st, true); }},
  };
  try {
    const bench::Selection selection(benchmark::GetBenchmarkFilter());
    if (std::none_of(table.begin(), table.end(), [&](const auto& row) { return selection.matches(row.first); }))
      throw UsageError("--benchmark_filter: '" + benchmark::GetBenchmarkFilter() + "' selects no benchmark");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", prog, e.what());
    return 2;
  }
  for (const auto& [name, body] : table) benchmark::RegisterBenchmark(name.c_str(), body);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
