#include "process/echo_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "net/fd.hpp"

namespace sockchurn {

std::string echo_binary_beside_self(const std::string& fallback) {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const auto beside = self.parent_path() / "sockchurn-echo";
    if (::access(beside.c_str(), X_OK) == 0) return beside;
  }
  return fallback;
}

EchoProcess::EchoProcess(const std::string& binary, const std::vector<std::string>& args,
                         std::chrono::milliseconds timeout) {
  int fds[2];
  check(::pipe2(fds, O_CLOEXEC), "pipe2");
  Fd read_end(fds[0]), write_end(fds[1]);

  std::vector<std::string> argv_text{binary};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<char*> argv;
  argv.reserve(argv_text.size() + 1);
  for (auto& a : argv_text) argv.push_back(a.data());
  argv.push_back(nullptr);

  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ < 0) throw_errno("fork");
  if (pid_ == 0) {
    // Child: only async-signal-safe calls until exec.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(127);
    ::dup2(write_end.get(), STDOUT_FILENO);
    ::execv(binary.c_str(), argv.data());
    const char msg[] = "sockchurn: cannot execute the echo server\n";
    (void)!::write(STDERR_FILENO, msg, sizeof msg - 1);
    ::_exit(127);
  }
  write_end.reset();

  std::string line;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (line.find('\n') == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{read_end.get(), POLLIN, 0};
    const int r = left.count() > 0 ? ::poll(&p, 1, static_cast<int>(left.count())) : 0;
    if (r < 0 && errno == EINTR) continue;
    char buf[256];
    const ssize_t n = r > 0 ? ::read(read_end.get(), buf, sizeof buf) : -1;
    if (n <= 0) {
      const bool timed_out = r == 0;
      stop(std::chrono::milliseconds(500));
      std::string why = timed_out ? "printed no ready line within " + std::to_string(timeout.count()) + " ms"
                                  : "exited before it was ready";
      if (WIFEXITED(status_)) why += " (exit status " + std::to_string(WEXITSTATUS(status_)) + ")";
      throw std::runtime_error("echo server " + binary + " " + why);
    }
    line.append(buf, static_cast<std::size_t>(n));
  }
  const auto parsed = parse_ready_line(line.substr(0, line.find('\n')));
  if (!parsed) {
    stop(std::chrono::milliseconds(500));
    throw std::runtime_error("echo server " + binary + " printed '" + line.substr(0, line.find('\n')) +
                             "', not a ready line");
  }
  ports_ = *parsed;
}

EchoProcess::~EchoProcess() { stop(); }

bool EchoProcess::alive() noexcept {
  if (pid_ <= 0) return false;
  if (::waitpid(pid_, &status_, WNOHANG) != pid_) return true;
  pid_ = -1;
  return false;
}

int EchoProcess::stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return status_;
  ::kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  for (;;) {
    const pid_t r = ::waitpid(pid_, &status_, WNOHANG);
    if (r == pid_ || (r < 0 && errno != EINTR)) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status_, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  pid_ = -1;
  return status_;
}

}  // namespace sockchurn
