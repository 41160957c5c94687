// Ends the process (status 3) when a run makes no progress for the stall
// timeout, or at once when the echo server child has died during a run (a
// UDP client would wait for its echo forever): a benchmark never hangs.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace sockchurn::bench {

struct WatchdogProbe {
  std::function<std::uint64_t()> progress;  // exchanges completed so far
  std::function<bool()> in_run;
  std::function<std::string()> run_name;
  std::function<bool()> server_dead;  // during a run
  std::function<void()> before_exit;  // e.g. kill the hung server
};

class Watchdog {
 public:
  Watchdog(const char* prog, int stall_timeout_s, WatchdogProbe probe);
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;
  ~Watchdog();  // stops and joins the thread

 private:
  void watch();

  const char* prog_;
  int stall_timeout_s_;
  WatchdogProbe probe_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;  // guarded by mutex_
  std::thread thread_;
};

}  // namespace sockchurn::bench
