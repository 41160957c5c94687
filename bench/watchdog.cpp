#include "watchdog.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>

namespace sockchurn::bench {

Watchdog::Watchdog(const char* prog, int stall_timeout_s, WatchdogProbe probe)
    : prog_(prog), stall_timeout_s_(stall_timeout_s), probe_(std::move(probe)), thread_([this] { watch(); }) {}

Watchdog::~Watchdog() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void Watchdog::watch() {
  std::uint64_t last = probe_.progress();
  int stalled = 0;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      if (wake_.wait_for(lock, std::chrono::seconds(1), [&] { return stop_; })) return;
    }
    const std::uint64_t now = probe_.progress();
    stalled = (probe_.in_run() && now == last) ? stalled + 1 : 0;
    last = now;
    if (probe_.server_dead()) {
      std::fprintf(stderr, "%s: the echo server exited during %s; giving up\n", prog_, probe_.run_name().c_str());
      std::_Exit(3);
    }
    if (stalled < stall_timeout_s_) continue;
    std::fprintf(stderr,
                 "%s: no exchange completed for %d s in %s: the echo server stopped answering "
                 "(lost datagram, hung or dead server); giving up\n",
                 prog_, stall_timeout_s_, probe_.run_name().c_str());
    probe_.before_exit();
    std::_Exit(3);
  }
}

}  // namespace sockchurn::bench
