#include "engines/uring/uring_tcp.hpp"

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <span>
#include <stdexcept>

#include "net/sockops.hpp"

namespace sockchurn {
namespace {

// Enough for the longest chain (fresh_linger0 with the server closing: 7).
constexpr unsigned kRingEntries = 8;

// The name of the disconnect step, compared by address in Outcome::op.
constexpr const char* kDisconnectOp = "connect(AF_UNSPEC)";

}  // namespace

UringTcpExchanger::UringTcpExchanger(const UringTcpConfig& cfg)
    : cfg_(cfg), ring_(kRingEntries), msg_(cfg.payload) {
  if (cfg_.payload == 0) throw std::invalid_argument("payload must be at least 1 byte");
  ring_.register_sparse_files(1);
  unspec_.ss_family = AF_UNSPEC;
  steps_.reserve(kRingEntries);
}

void UringTcpExchanger::add_socket() {
  add("socket", Check::status, [&](io_uring_sqe& sqe) {
    // An explicit slot, so that the rest of the chain can name it (a slot
    // the kernel allocates is known only from the completion).
    io_uring_prep_socket_direct(&sqe, cfg_.server.family(), SOCK_STREAM, 0, kSlot, 0);
  }, false);
}

void UringTcpExchanger::add_connect() {
  add("connect", Check::status,
      [&](io_uring_sqe& sqe) { io_uring_prep_connect(&sqe, kSlot, cfg_.server.sa(), cfg_.server.len); });
}

void UringTcpExchanger::add_send() {
  add("send", Check::sent, [&](io_uring_sqe& sqe) {
    io_uring_prep_send(&sqe, kSlot, msg_.data(), msg_.size(), MSG_NOSIGNAL | MSG_WAITALL);
  });
}

void UringTcpExchanger::add_recv_echo() {
  add("recv", Check::echo,
      [&](io_uring_sqe& sqe) { io_uring_prep_recv(&sqe, kSlot, msg_.in(), msg_.size(), MSG_WAITALL); });
}

void UringTcpExchanger::add_recv_eof() {
  // One byte is enough to tell data from end of stream.
  add("recv(EOF)", Check::eof, [&](io_uring_sqe& sqe) { io_uring_prep_recv(&sqe, kSlot, &eof_byte_, 1, 0); });
}

void UringTcpExchanger::add_disconnect() {
  add(kDisconnectOp, Check::status, [&](io_uring_sqe& sqe) {
    io_uring_prep_connect(&sqe, kSlot, reinterpret_cast<const sockaddr*>(&unspec_), sizeof unspec_);
  });
}

void UringTcpExchanger::add_close() {
  add("close", Check::status, [](io_uring_sqe& sqe) { io_uring_prep_close_direct(&sqe, kSlot); }, false);
}

Outcome UringTcpExchanger::run_chain() {
  if (last_ != nullptr) last_->flags &= static_cast<std::uint8_t>(~IOSQE_IO_LINK);
  last_ = nullptr;
  const std::span<const int> results = ring_.run();
  Outcome outcome;
  for (std::size_t i = 0; i < results.size() && i < steps_.size() && outcome.ok(); ++i) {
    const int res = results[i];
    const Step& step = steps_[i];
    if (res < 0) {
      outcome = {-res, step.op};
      break;
    }
    const auto n = static_cast<std::size_t>(res);
    switch (step.check) {
      case Check::status: break;
      case Check::sent:
        if (n != msg_.size()) outcome = {kEof, step.op};
        break;
      case Check::echo:
        if (n != msg_.size()) outcome = {kEof, step.op};
        else if (!msg_.echoed(n)) outcome = {kEchoMismatch, step.op};
        break;
      case Check::eof:
        if (n != 0) outcome = {kUnexpectedData, step.op};
        break;
    }
  }
  steps_.clear();
  return outcome;
}

void UringTcpExchanger::close_slot() {
  io_uring_prep_close_direct(&ring_.prepare(), kSlot);
  ring_.run();  // 0, or EBADF when the slot was empty already
}

// socket -> [SO_LINGER {1,0}] -> connect -> send -> recv -> [recv EOF] ->
// close, linked. A failure cancels the rest of the chain, its close
// included: the socket is then closed on its own (and would otherwise be
// replaced by the next cycle's socket in the same slot).
Outcome UringFreshClose::fresh(bool linger0) {
  static constexpr linger kLinger0{1, 0};
  next_message();
  add_socket();
  if (linger0) {
    add("setsockopt(SO_LINGER) via IORING_OP_URING_CMD", Check::status, [](io_uring_sqe& sqe) {
      prep_setsockopt(sqe, static_cast<int>(kSlot), SOL_SOCKET, SO_LINGER, &kLinger0, sizeof kLinger0);
    });
  }
  add_connect();
  add_send();
  add_recv_echo();
  if (cfg_.server_closes) add_recv_eof();
  add_close();
  const Outcome o = run_chain();
  if (!o.ok()) close_slot();
  return o;
}

Outcome UringFreshClose::exchange() { return fresh(false); }

// connect -> send -> recv -> [recv EOF] -> connect(AF_UNSPEC), linked, on
// the one socket. After a failure the disconnect (cancelled with the chain)
// is submitted on its own, as the blocking reuse_unspec disconnects after a
// failed cycle; if even that fails the socket is closed and the next cycle
// opens a new one.
Outcome UringReuseUnspec::exchange() {
  next_message();
  if (!open_) {
    add_socket();
    if (Outcome o = run_chain(); !o.ok()) return o;
    open_ = true;
  }
  add_connect();
  add_send();
  add_recv_echo();
  if (cfg_.server_closes) add_recv_eof();
  add_disconnect();
  const Outcome o = run_chain();
  if (!o.ok()) {
    bool lost = o.op == kDisconnectOp;  // the disconnect itself failed
    if (!lost) {
      add_disconnect();  // it was cancelled with the rest of the chain
      lost = !run_chain().ok();
    }
    if (lost) {
      close_slot();
      open_ = false;
    }
  }
  return o;
}

// The connection is made on the first cycle (and after a failure): socket ->
// connect; then each cycle is send -> recv.
Outcome UringKeepalive::exchange() {
  next_message();
  if (!connected_) {
    add_socket();
    add_connect();
    if (Outcome o = run_chain(); !o.ok()) {
      close_slot();
      return o;
    }
    connected_ = true;
  }
  add_send();
  add_recv_echo();
  Outcome o = run_chain();
  if (!o.ok()) {
    close_slot();
    connected_ = false;
  }
  return o;
}

UringKeepalive::~UringKeepalive() {
  if (!connected_) return;
  try {
    add_disconnect();
    run_chain();
  } catch (const std::exception&) {
    // The ring's exit closes the socket anyway (with a FIN).
  }
}

}  // namespace sockchurn
