// The echo server the benchmarks talk to: the bundled sockchurn-echo started
// as a child process, or an external one (--server), with the ports each
// variant uses, its CPU time and its placement.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "net/endpoint.hpp"
#include "model/registry.hpp"
#include "options.hpp"
#include "process/echo_process.hpp"
#include "process/placement.hpp"

namespace sockchurn::bench {

// The ports a set of benchmarks needs probed before they run.
struct PortNeeds {
  bool echo = false;           // the echo port (closer client, UDP)
  bool once = false;           // TCP echo-once (closer server, rpc 1)
  std::set<unsigned> after;    // TCP close-after-N (closer server, rpc N > 1)
  void add(const Variant& v);  // what `v` needs
};

class ServerTarget {
 public:
  // Starts the bundled server (or takes opt.server) and probes the needed
  // ports. Throws std::runtime_error with a one-line reason.
  ServerTarget(const Options& opt, Protocol protocol, const PortNeeds& needs);
  ServerTarget(const ServerTarget&) = delete;
  ServerTarget& operator=(const ServerTarget&) = delete;
  ~ServerTarget() = default;  // the bundled server stops with its EchoProcess

  // The port `v` talks to.
  const Endpoint& endpoint_for(const Variant& v) const;
  const Endpoint& echo() const noexcept { return echo_; }
  bool external() const noexcept { return !process_; }

  // The bundled server's CPU time so far; nullopt for an external one (or
  // if it cannot be read).
  std::optional<std::int64_t> cpu_ns() const;
  // False once the bundled server has exited (always true for an external one).
  bool alive();
  // Pins the bundled server to `plan`'s server CPUs, once per placement change.
  void place(Placement p, const CpuPlan& plan);
  // SIGKILL to the bundled server (the watchdog's last act).
  void kill() const;
  // Stops the bundled server; returns false if it had already exited.
  bool stop();

 private:
  std::unique_ptr<EchoProcess> process_;
  std::optional<Placement> placed_;
  Endpoint echo_;       // TCP echo (UDP: the UDP echo)
  Endpoint echo_once_;  // TCP echo-once
  std::map<unsigned, Endpoint> echo_after_;  // TCP close-after-N ports, by N
};

}  // namespace sockchurn::bench
