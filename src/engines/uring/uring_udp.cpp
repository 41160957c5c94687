#include "engines/uring/uring_udp.hpp"

#include <cerrno>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>

#include "net/sockops.hpp"

namespace sockchurn {
namespace {

// Step names, compared by address.
constexpr const char* kSocketOp = "socket";
constexpr const char* kCloseOp = "close";
constexpr const char* kDisconnectOp = "connect(AF_UNSPEC)";
constexpr const char* kRecvOp = "recv";

// The longest chain: tail, socket, connect, send, recvmsg.
constexpr unsigned kRingEntries = 8;

}  // namespace

UringUdpExchanger::UringUdpExchanger(const UringUdpConfig& cfg, Tail tail)
    : cfg_(cfg), tail_(tail), ring_(kRingEntries), msg_(cfg.payload) {
  if (cfg_.payload == 0) throw std::invalid_argument("payload must be at least 1 byte");
  if (cfg_.payload > kMaxUdpPayload)
    throw std::invalid_argument("UDP payload must be at most " + std::to_string(kMaxUdpPayload) + " bytes");
  ring_.register_sparse_files(1);
  unspec_.ss_family = AF_UNSPEC;
}

UringUdpExchanger::~UringUdpExchanger() { finish(); }

void UringUdpExchanger::finish() {
  if (!tail_due_) return;
  tail_due_ = false;
  try {
    add_tail();
    run_chain();
  } catch (const std::exception&) {
    // The ring's exit closes the socket anyway.
  }
}

io_uring_sqe& UringUdpExchanger::add(const char* op) {
  io_uring_sqe& sqe = ring_.prepare();
  ops_.at(ring_.prepared() - 1) = op;
  return sqe;
}

// Every step is linked to the next; run_chain() unlinks the last.
void UringUdpExchanger::add_tail() {
  if (tail_ == Tail::close) {
    io_uring_sqe& sqe = add(kCloseOp);
    io_uring_prep_close_direct(&sqe, kSlot);
    sqe.flags |= IOSQE_IO_LINK;
    last_ = &sqe;
  } else {
    io_uring_sqe& sqe = add(kDisconnectOp);
    io_uring_prep_connect(&sqe, kSlot, reinterpret_cast<const sockaddr*>(&unspec_), sizeof unspec_);
    sqe.flags |= IOSQE_FIXED_FILE | IOSQE_IO_LINK;
    last_ = &sqe;
  }
}

void UringUdpExchanger::add_recv() {
  iov_ = {msg_.in(), msg_.in_capacity()};
  hdr_ = {};
  hdr_.msg_name = &from_.storage;
  hdr_.msg_namelen = sizeof from_.storage;
  hdr_.msg_iov = &iov_;
  hdr_.msg_iovlen = 1;
  io_uring_sqe& sqe = add(kRecvOp);
  io_uring_prep_recvmsg(&sqe, kSlot, &hdr_, 0);
  sqe.flags |= IOSQE_FIXED_FILE | IOSQE_IO_LINK;
  last_ = &sqe;
}

Outcome UringUdpExchanger::run_chain() {
  if (last_ != nullptr) last_->flags &= static_cast<std::uint8_t>(~IOSQE_IO_LINK);
  last_ = nullptr;
  const std::span<const int> results = ring_.run(cfg_.timeout);
  Outcome outcome;
  for (std::size_t i = 0; i < results.size(); ++i) {
    const char* op = ops_.at(i);
    const int res = results[i];
    if (op == kSocketOp && res >= 0) open_ = true;
    if (op == kCloseOp && res != -ECANCELED) open_ = false;  // closed, or EBADF: empty
    if (op == kRecvOp) recv_res_ = res;
    if (res < 0 && outcome.ok()) outcome = {-res, op};
  }
  return outcome;
}

Outcome UringUdpExchanger::exchange() {
  msg_.next();
  // The previous exchange's close or disconnect heads this one's chain.
  if (tail_due_) add_tail();
  tail_due_ = false;
  if (tail_ == Tail::close || !open_) {
    io_uring_sqe& sqe = add(kSocketOp);
    io_uring_prep_socket_direct(&sqe, cfg_.server.family(), SOCK_DGRAM, 0, kSlot, 0);
    sqe.flags |= IOSQE_IO_LINK;
    last_ = &sqe;
  }
  {
    io_uring_sqe& sqe = add("connect");
    io_uring_prep_connect(&sqe, kSlot, cfg_.server.sa(), cfg_.server.len);
    sqe.flags |= IOSQE_FIXED_FILE | IOSQE_IO_LINK;
    last_ = &sqe;
  }
  {
    io_uring_sqe& sqe = add("send");
    io_uring_prep_send(&sqe, kSlot, msg_.data(), msg_.size(), 0);
    sqe.flags |= IOSQE_FIXED_FILE | IOSQE_IO_LINK;
    last_ = &sqe;
  }
  add_recv();
  Outcome o = run_chain();
  if (o.ok()) o = check_echo();
  if (o.ok()) tail_due_ = true;
  else reset();
  return o;
}

// As the blocking engine's transfer(): this cycle's echo from the server
// ends the exchange; another source's datagram, or an intact copy of an
// earlier cycle's message, is stale and the next one is received; anything
// else from the server is a mismatch.
Outcome UringUdpExchanger::check_echo() {
  for (;;) {
    const auto n = static_cast<std::size_t>(recv_res_);
    from_.len = hdr_.msg_namelen;
    const bool from_server = from_ == cfg_.server;
    if (from_server && msg_.echoed(n)) return {};
    if (from_server && !msg_.earlier(n)) return {kEchoMismatch, kRecvOp};
    ++stale_;
    add_recv();
    if (Outcome o = run_chain(); !o.ok()) return o;
  }
}

// The blocking engine closes a fresh socket whatever the cycle's outcome, and
// disconnects the reused one; so here, at once. A reused socket that cannot
// be disconnected is closed, and the next cycle opens a new one.
void UringUdpExchanger::reset() {
  if (!open_) return;
  if (tail_ == Tail::disconnect) {
    add_tail();
    if (run_chain().ok()) return;
  }
  io_uring_prep_close_direct(&add(kCloseOp), kSlot);
  run_chain();  // 0, or EBADF if the slot was empty already
  open_ = false;
}

}  // namespace sockchurn
