#include "server_target.hpp"

#include <signal.h>
#include <unistd.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "net/sockops.hpp"
#include "observe/sysinfo.hpp"
#include "process/echo_probe.hpp"

namespace sockchurn::bench {

void PortNeeds::add(const Variant& v) {
  if (!v.server_closes()) echo = true;
  else if (v.rpc == 1) once = true;
  else after.insert(v.rpc);
}

ServerTarget::ServerTarget(const Options& opt, Protocol protocol, const PortNeeds& needs) {
  if (opt.server) {
    echo_ = *opt.server;
    echo_once_ = with_port(*opt.server, opt.server_once_port ? opt.server_once_port
                                                             : static_cast<std::uint16_t>(opt.server->port() + 1));
    for (unsigned n : needs.after) {
      const auto port = opt.server_after_ports.find(n);
      if (port == opt.server_after_ports.end())
        throw std::runtime_error("closer:server at rpc:" + std::to_string(n) + " needs the server's close-after-" +
                                 std::to_string(n) + " port: start sockchurn-echo with --close-after=" + std::to_string(n) +
                                 " and pass --server-close-after=" + std::to_string(n) + ":PORT");
      echo_after_[n] = with_port(*opt.server, port->second);
    }
  } else {
    const std::string binary = opt.echo_binary.empty() ? echo_binary_beside_self(SOCKCHURN_ECHO_FALLBACK) : opt.echo_binary;
    if (::access(binary.c_str(), X_OK) != 0) throw std::runtime_error("cannot execute the echo server " + binary + ": " + error_name(errno));
    std::vector<std::string> args{"--listen=" + opt.listen, "--threads=" + std::to_string(opt.echo_threads)};
    std::string after;
    for (unsigned n : needs.after) after += (after.empty() ? "" : ",") + std::to_string(n);
    if (!after.empty()) args.push_back("--close-after=" + after);
    process_ = std::make_unique<EchoProcess>(binary, args);
    const Endpoint host = parse_host(opt.listen);
    echo_ = with_port(host, protocol == Protocol::tcp ? process_->ports().tcp : process_->ports().udp);
    echo_once_ = with_port(host, process_->ports().tcp_once);
    for (const auto& [n, port] : process_->ports().tcp_after) echo_after_[n] = with_port(host, port);
  }
  if (needs.echo) probe_echo(protocol, echo_);
  if (needs.once) probe_echo(protocol, echo_once_);
  for (unsigned n : needs.after) {
    const auto at = echo_after_.find(n);
    if (at == echo_after_.end()) throw std::runtime_error("the echo server reported no close-after-" + std::to_string(n) + " port");
    probe_echo(protocol, at->second);
  }
}

const Endpoint& ServerTarget::endpoint_for(const Variant& v) const {
  if (!v.server_closes()) return echo_;
  const auto after = echo_after_.find(v.rpc);
  return v.rpc == 1 || after == echo_after_.end() ? echo_once_ : after->second;
}

std::optional<std::int64_t> ServerTarget::cpu_ns() const {
  if (!process_) return std::nullopt;
  const std::int64_t ns = process_cpu_ns(process_->pid());
  if (ns < 0) return std::nullopt;
  return ns;
}

bool ServerTarget::alive() { return !process_ || process_->alive(); }

void ServerTarget::place(Placement p, const CpuPlan& plan) {
  if (!process_ || placed_ == p) return;
  pin_process(process_->pid(), plan.server);
  placed_ = p;
}

void ServerTarget::kill() const {
  // pid() is -1 once the child was reaped: kill(-1, ...) would signal every
  // process this user may signal (as root, the whole machine).
  if (process_ && process_->pid() > 0) ::kill(process_->pid(), SIGKILL);
}

bool ServerTarget::stop() {
  if (!process_) return true;
  const bool was_alive = process_->alive();
  process_->stop();
  return was_alive;
}

}  // namespace sockchurn::bench
