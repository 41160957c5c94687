// Ends the process (status 3 unless told otherwise) when a run makes no
// progress for the stall timeout, or at once when the echo server child has
// died during a run (a UDP client would wait for its echo forever): a
// benchmark never hangs. It samples the client threads' progress counters
// (bench/progress_board.hpp) once a second; they never wait for it.
#pragma once

#include <condition_variable>
#include <cstdint>
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
  // After the message (given, without the program's name) is on stderr:
  // e.g. kill the hung server, say it on stdout too.
  std::function<void(const std::string&)> before_exit;
};

class Watchdog {
 public:
  Watchdog(const char* prog, int stall_timeout_s, WatchdogProbe probe, int exit_status = 3);
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;
  ~Watchdog();  // stops and joins the thread

 private:
  void watch();

  const char* prog_;
  int stall_timeout_s_;
  int exit_status_;
  WatchdogProbe probe_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;  // guarded by mutex_
  std::thread thread_;
};

}  // namespace sockchurn::bench
