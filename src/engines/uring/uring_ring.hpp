// An io_uring instance (liburing) for the io_uring engine: batches of
// operations submitted together and waited for together, their results as
// values, a sparse table of direct descriptors, and what this kernel lacks.
#pragma once

#include <liburing.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "model/ring_features.hpp"

namespace sockchurn {

// What the io_uring engine needs and this kernel lacks, as one line
// ("io_uring_queue_init: EPERM (kernel.io_uring_disabled = 2)", "io_uring
// lacks IORING_OP_SOCKET"), or "" when everything is there: io_uring itself,
// the opcodes SOCKET, CONNECT, SEND, RECV and CLOSE (io_uring_get_probe_ring)
// and sparse direct-descriptor tables.
std::string uring_support();

// The io_uring_setup flags of a ring with `ring`'s features (coop, defer;
// the others are opcodes and registrations, uring_engine.cpp).
unsigned ring_setup_flags(RingFeatures ring) noexcept;
// "IORING_SETUP_SINGLE_ISSUER|IORING_SETUP_DEFER_TASKRUN"; "0" for none.
std::string setup_flag_names(unsigned flags);

// "" when this kernel runs a ring with `ring`'s features (after
// uring_support()), else one line naming what it refuses: setup flags it
// rejects ("ring:defer: io_uring_queue_init(IORING_SETUP_SINGLE_ISSUER|
// IORING_SETUP_DEFER_TASKRUN): EINVAL (kernel 6.1+)"), an opcode it lacks
// (IORING_OP_SEND_ZC), buffers it does not register.
std::string uring_refuses(RingFeatures ring);

// Each submission ends when all its operations have completed, or after this
// long: then what is still running is cancelled.
inline constexpr std::chrono::milliseconds kRingTimeout{5000};

class Ring {
 public:
  // io_uring_queue_init(entries, flags). Throws std::system_error naming the
  // call and its flags, with errno and, when the kernel refuses io_uring,
  // the kernel.io_uring_disabled setting.
  explicit Ring(unsigned entries = 64, unsigned flags = 0);
  ~Ring();
  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;
  Ring(Ring&&) = delete;
  Ring& operator=(Ring&&) = delete;

  // The next operation of the batch, zeroed; its user_data is its index in
  // the batch. Throws std::length_error when the batch would exceed the
  // submission queue.
  io_uring_sqe& prepare();
  unsigned prepared() const noexcept { return prepared_; }

  // Submits the batch and waits until each of its operations has completed;
  // returns their results (cqe->res: >= 0, or -errno), in the order they were
  // prepared, valid until the next run(). Operations still running after
  // `timeout` are cancelled and complete with -ECANCELED (or -EINTR). Throws
  // std::system_error if io_uring_enter itself fails.
  std::span<const int> run(std::chrono::milliseconds timeout = kRingTimeout);

  // Many chains in flight (the engine's flows): submits what is prepared in
  // one io_uring_enter, waiting up to `timeout` for at least `wait`
  // completions, and calls on(user_data, res, flags) for every completion
  // there is (the caller tags its SQEs with io_uring_sqe_set_data64 after
  // prepare(); flags: IORING_CQE_F_MORE on a SEND_ZC's result, whose
  // IORING_CQE_F_NOTIF completion follows). Returns how many it reaped (0:
  // the timeout). Throws std::system_error if io_uring_enter itself fails.
  template <typename OnCompletion>
  unsigned submit_and_reap(unsigned wait, std::chrono::nanoseconds timeout, OnCompletion&& on) {
    prepared_ = 0;
    const auto secs = std::chrono::duration_cast<std::chrono::seconds>(timeout);
    __kernel_timespec ts{secs.count(), (timeout - secs).count()};
    io_uring_cqe* first = nullptr;
    const int rc = io_uring_submit_and_wait_timeout(&ring_, &first, wait, &ts, nullptr);
    unsigned head = 0, seen = 0;
    io_uring_cqe* cqe = nullptr;
    io_uring_for_each_cqe(&ring_, head, cqe) {
      ++seen;
      on(io_uring_cqe_get_data64(cqe), cqe->res, cqe->flags);
    }
    io_uring_cq_advance(&ring_, seen);
    if (seen == 0 && rc < 0 && rc != -ETIME && rc != -EINTR) throw_enter_error(rc);
    return seen;
  }
  // Cancels every operation on direct descriptor `slot` (and the chain
  // linked after it), submitted with the next submission; its own
  // completion carries `tag`.
  void cancel_slot(unsigned slot, std::uint64_t tag);

  // io_uring_register_files_sparse: a table of `slots` empty direct
  // descriptors (replaces none: call once). Throws std::system_error.
  void register_sparse_files(unsigned slots);
  unsigned file_slots() const noexcept { return file_slots_; }

  // io_uring_register_buffers: buffer i is `buffers[i]` (READ_FIXED,
  // WRITE_FIXED and SEND_ZC's fixed buffer name it by i). The memory must
  // outlive the ring. Throws std::system_error.
  void register_buffers(std::span<const iovec> buffers);

  io_uring* raw() noexcept { return &ring_; }

 private:
  void cancel_all();
  [[noreturn]] static void throw_enter_error(int rc);

  io_uring ring_{};
  unsigned entries_ = 0;
  unsigned prepared_ = 0;
  unsigned file_slots_ = 0;
  std::vector<int> results_;
};

// Makes `sqe` operate on a direct descriptor (a slot of the registered
// table) instead of a file descriptor. Like every flag, set it after the
// io_uring_prep_* call (they clear the flags).
inline void use_direct(io_uring_sqe& sqe) noexcept { sqe.flags |= IOSQE_FIXED_FILE; }

// setsockopt() through the ring: IORING_OP_URING_CMD with
// SOCKET_URING_OP_SETSOCKOPT (kernel 6.7+; liburing 2.3 has neither the
// constant nor io_uring_prep_cmd_sock, so the SQE is filled by hand; the
// kernel accepts only level SOL_SOCKET). `optval` must stay valid until the
// operation completes. Clears the flags, as io_uring_prep_* do.
void prep_setsockopt(io_uring_sqe& sqe, int fd, int level, int optname, const void* optval, unsigned optlen) noexcept;

// bind() through the ring: IORING_OP_BIND (kernel 6.11+; liburing 2.3 has
// neither the opcode nor io_uring_prep_bind, so the SQE is filled by hand as
// liburing 2.7 does). The kernel copies `addr` when it takes the SQE.
// Clears the flags, as io_uring_prep_* do.
void prep_bind(io_uring_sqe& sqe, int fd, const sockaddr* addr, socklen_t len) noexcept;

}  // namespace sockchurn
