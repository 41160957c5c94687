#include "watchdog.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace sockchurn::bench {

Watchdog::Watchdog(const char* prog, int stall_timeout_s, WatchdogProbe probe, int exit_status)
    : prog_(prog),
      stall_timeout_s_(stall_timeout_s),
      exit_status_(exit_status),
      probe_(std::move(probe)),
      thread_([this] { watch(); }) {}

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
    std::string why;
    if (probe_.server_dead()) why = "the echo server exited during " + probe_.run_name() + "; giving up";
    else if (stalled >= stall_timeout_s_)
      why = "no exchange completed for " + std::to_string(stall_timeout_s_) + " s in " + probe_.run_name() +
            ": the echo server stopped answering (lost datagram, hung or dead server); giving up";
    else continue;
    std::fprintf(stderr, "%s: %s\n", prog_, why.c_str());
    std::fflush(stderr);
    probe_.before_exit(why);
    std::_Exit(exit_status_);
  }
}

}  // namespace sockchurn::bench
