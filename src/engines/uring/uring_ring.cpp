#include "engines/uring/uring_ring.hpp"

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>

#include "model/registry.hpp"
#include "net/fd.hpp"

namespace sockchurn {
namespace {

// user_data of the cancellation a timed-out run() submits; batch indexes are
// far below it.
constexpr std::uint64_t kCancelTag = ~std::uint64_t{0} - 1;

// Not yet completed.
constexpr int kPending = 1 << 30;

// SOCKET_URING_OP_SETSOCKOPT of <linux/io_uring.h> (kernel 6.7+).
#ifdef SOCKET_URING_OP_SETSOCKOPT
constexpr std::uint32_t kSetsockoptCmd = SOCKET_URING_OP_SETSOCKOPT;
#else
constexpr std::uint32_t kSetsockoptCmd = 3;
#endif

// IORING_OP_BIND of <linux/io_uring.h> (kernel 6.11+): the opcode after
// IORING_OP_FTRUNCATE (55).
constexpr std::uint8_t kOpBind = 56;

// Why the kernel refused io_uring_setup with `err`, for the message: the
// sysctl that disables it, or that the kernel has none.
std::string refusal_hint(int err) {
  if (err == ENOSYS) return " (this kernel has no io_uring)";
  if (err != EPERM) return "";
  std::ifstream sysctl("/proc/sys/kernel/io_uring_disabled");
  int disabled = 0;
  if (sysctl >> disabled)
    return " (kernel.io_uring_disabled = " + std::to_string(disabled) +
           (disabled == 0 ? ", so a seccomp filter or security module" : "") + ")";
  return " (seccomp or a security module)";
}

}  // namespace

std::string uring_support() {
  io_uring ring{};
  if (const int rc = io_uring_queue_init(2, &ring, 0); rc < 0)
    return "io_uring_queue_init: " + errno_name(-rc) + refusal_hint(-rc);
  std::string missing;
  if (io_uring_probe* probe = io_uring_get_probe_ring(&ring)) {
    static constexpr std::pair<int, const char*> kNeeded[] = {
        {IORING_OP_SOCKET, "IORING_OP_SOCKET"}, {IORING_OP_CONNECT, "IORING_OP_CONNECT"},
        {IORING_OP_SEND, "IORING_OP_SEND"},     {IORING_OP_RECV, "IORING_OP_RECV"},
        {IORING_OP_CLOSE, "IORING_OP_CLOSE"},
    };
    for (const auto& [op, name] : kNeeded)
      if (io_uring_opcode_supported(probe, op) == 0) missing += (missing.empty() ? "" : ", ") + std::string(name);
    io_uring_free_probe(probe);
    if (!missing.empty()) missing = "io_uring lacks " + missing;
  } else {
    missing = "io_uring has no opcode probe (IORING_REGISTER_PROBE, kernel 5.6+)";
  }
  if (missing.empty()) {
    if (const int rc = io_uring_register_files_sparse(&ring, 1); rc < 0)
      missing = "io_uring_register_files_sparse: " + errno_name(-rc) + " (sparse direct descriptors, kernel 5.19+)";
  }
  io_uring_queue_exit(&ring);
  return missing;
}

unsigned ring_setup_flags(RingFeatures ring) noexcept {
  unsigned flags = 0;
  if (ring.has(RingFeature::coop)) flags |= IORING_SETUP_COOP_TASKRUN;
  if (ring.has(RingFeature::defer)) flags |= IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
  return flags;
}

std::string setup_flag_names(unsigned flags) {
  static constexpr std::pair<unsigned, const char*> kNames[] = {
      {IORING_SETUP_COOP_TASKRUN, "IORING_SETUP_COOP_TASKRUN"},
      {IORING_SETUP_SINGLE_ISSUER, "IORING_SETUP_SINGLE_ISSUER"},
      {IORING_SETUP_DEFER_TASKRUN, "IORING_SETUP_DEFER_TASKRUN"},
  };
  std::string out;
  for (const auto& [flag, name] : kNames)
    if ((flags & flag) != 0) {
      out += (out.empty() ? "" : "|") + std::string(name);
      flags &= ~flag;
    }
  if (flags != 0) out += (out.empty() ? "" : "|") + std::to_string(flags);
  return out.empty() ? "0" : out;
}

std::string uring_refuses(RingFeatures ring) {
  if (ring.is_default) {
    // The default's sets, for each protocol at one flow and at many.
    for (const Protocol p : {Protocol::tcp, Protocol::udp})
      for (const unsigned flows : {1U, 2U})
        if (std::string refused = uring_refuses(ring.resolved(p, flows)); !refused.empty()) return refused;
    return "";
  }
  if (std::string missing = uring_support(); !missing.empty()) return missing;
  const RingFeatures used = ring;
  const std::string label = "ring:" + to_string(ring) + ": ";
  const unsigned flags = ring_setup_flags(used);
  io_uring probe_ring{};
  if (const int rc = io_uring_queue_init(2, &probe_ring, flags); rc < 0)
    return label + "io_uring_queue_init(" + setup_flag_names(flags) + "): " + errno_name(-rc) +
           " (COOP_TASKRUN: kernel 5.19+; SINGLE_ISSUER|DEFER_TASKRUN: 6.1+)";
  std::string refused;
  if (used.has(RingFeature::sendzc)) {
    io_uring_probe* probe = io_uring_get_probe_ring(&probe_ring);
    if (probe == nullptr || io_uring_opcode_supported(probe, IORING_OP_SEND_ZC) == 0)
      refused = label + "io_uring lacks IORING_OP_SEND_ZC (kernel 6.0+)";
    if (probe != nullptr) io_uring_free_probe(probe);
  }
  if (refused.empty() && used.has(RingFeature::fixedbuf)) {
    static unsigned char page[64];
    const iovec one{page, sizeof page};
    if (const int rc = io_uring_register_buffers(&probe_ring, &one, 1); rc < 0)
      refused = label + "io_uring_register_buffers: " + errno_name(-rc) + " (RLIMIT_MEMLOCK?)";
  }
  io_uring_queue_exit(&probe_ring);
  return refused;
}

Ring::Ring(unsigned entries, unsigned flags) : entries_(entries) {
  if (const int rc = io_uring_queue_init(entries, &ring_, flags); rc < 0)
    throw std::system_error(-rc, std::generic_category(),
                            "io_uring_queue_init" + (flags != 0 ? "(" + setup_flag_names(flags) + ")" : std::string()) +
                                refusal_hint(-rc));
  results_.reserve(entries);
}

Ring::~Ring() { io_uring_queue_exit(&ring_); }

io_uring_sqe& Ring::prepare() {
  io_uring_sqe* sqe = prepared_ < entries_ ? io_uring_get_sqe(&ring_) : nullptr;
  if (sqe == nullptr) throw std::length_error("io_uring batch longer than the submission queue");
  io_uring_prep_nop(sqe);  // zeroes the fields the prep helpers leave alone
  io_uring_sqe_set_data64(sqe, prepared_++);
  return *sqe;
}

std::span<const int> Ring::run(std::chrono::milliseconds timeout) {
  const unsigned count = std::exchange(prepared_, 0);
  results_.assign(count, kPending);
  unsigned done = 0;
  bool cancelled = false;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (done < count) {
    const auto left = std::max(deadline - std::chrono::steady_clock::now(), std::chrono::steady_clock::duration{});
    const auto secs = std::chrono::duration_cast<std::chrono::seconds>(left);
    __kernel_timespec ts{secs.count(), std::chrono::duration_cast<std::chrono::nanoseconds>(left - secs).count()};
    io_uring_cqe* first = nullptr;
    const int rc = io_uring_submit_and_wait_timeout(&ring_, &first, count - done, &ts, nullptr);
    unsigned head = 0, seen = 0;
    io_uring_cqe* cqe = nullptr;
    io_uring_for_each_cqe(&ring_, head, cqe) {
      ++seen;
      // A SEND_ZC's notification (its buffer is free) carries its
      // user_data too; it is no result, and may come after its batch.
      if ((cqe->flags & IORING_CQE_F_NOTIF) != 0) continue;
      const std::uint64_t index = io_uring_cqe_get_data64(cqe);
      if (index < count && results_[index] == kPending) {
        results_[index] = cqe->res;
        ++done;
      }
    }
    io_uring_cq_advance(&ring_, seen);
    if (done == count) break;
    if (rc < 0 && rc != -ETIME && rc != -EINTR) throw_enter_error(rc);
    if (std::chrono::steady_clock::now() >= deadline) {
      // Cancellation completes at once for everything cancellable; one more
      // timeout without progress means the kernel did not let go.
      if (cancelled) throw std::system_error(ETIME, std::generic_category(), "io_uring: cancelled operations did not complete");
      cancel_all();
      cancelled = true;
      deadline = std::chrono::steady_clock::now() + timeout;
    }
  }
  return results_;
}

void Ring::cancel_all() {
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  if (sqe == nullptr) throw std::length_error("io_uring: no submission entry left to cancel with");
  io_uring_prep_cancel64(sqe, 0, IORING_ASYNC_CANCEL_ANY);
  io_uring_sqe_set_data64(sqe, kCancelTag);
  // Submitted by the next io_uring_submit_and_wait_timeout.
}

void Ring::throw_enter_error(int rc) {
  throw std::system_error(-rc, std::generic_category(), "io_uring_submit_and_wait_timeout");
}

void Ring::cancel_slot(unsigned slot, std::uint64_t tag) {
  io_uring_sqe& sqe = prepare();
  io_uring_prep_cancel_fd(&sqe, static_cast<int>(slot), IORING_ASYNC_CANCEL_FD_FIXED | IORING_ASYNC_CANCEL_ALL);
  io_uring_sqe_set_data64(&sqe, tag);
}

void Ring::register_buffers(std::span<const iovec> buffers) {
  if (const int rc = io_uring_register_buffers(&ring_, buffers.data(), static_cast<unsigned>(buffers.size())); rc < 0)
    throw std::system_error(-rc, std::generic_category(), "io_uring_register_buffers");
}

void Ring::register_sparse_files(unsigned slots) {
  if (const int rc = io_uring_register_files_sparse(&ring_, slots); rc < 0)
    throw std::system_error(-rc, std::generic_category(), "io_uring_register_files_sparse");
  file_slots_ = slots;
}

void prep_setsockopt(io_uring_sqe& sqe, int fd, int level, int optname, const void* optval, unsigned optlen) noexcept {
  // The layout of io_uring_prep_cmd_sock (liburing 2.5): cmd_op in the
  // offset's low half, level and optname in addr, optlen in file_index,
  // optval in addr3.
  io_uring_prep_rw(IORING_OP_URING_CMD, &sqe, fd, nullptr, 0, 0);
  // The SQE's fields are unions by the kernel's ABI.
  // NOLINTBEGIN(cppcoreguidelines-pro-type-union-access)
  sqe.cmd_op = kSetsockoptCmd;
  sqe.addr = static_cast<std::uint32_t>(level) | (static_cast<std::uint64_t>(static_cast<std::uint32_t>(optname)) << 32);
  sqe.file_index = optlen;
  sqe.addr3 = reinterpret_cast<std::uintptr_t>(optval);
  // NOLINTEND(cppcoreguidelines-pro-type-union-access)
}

void prep_bind(io_uring_sqe& sqe, int fd, const sockaddr* addr, socklen_t len) noexcept {
  // io_uring_prep_bind of liburing 2.7: the address in addr, its length in
  // addr2 (the offset's union).
  io_uring_prep_rw(kOpBind, &sqe, fd, addr, 0, len);
}

}  // namespace sockchurn
