#include "engines/uring/uring_engine.hpp"

#include <netinet/in.h>

#include <cerrno>
#include <stdexcept>
#include <system_error>

namespace sockchurn {

namespace {

// Enough for the longest chain and a UDP exchange's deferred steps.
constexpr unsigned kRingEntries = 16;

// IP_LOCAL_PORT_RANGE (Linux 6.3, include/uapi/linux/in.h); glibc 2.36 lacks it.
constexpr int kIpLocalPortRange = 51;

constexpr linger kLinger0{1, 0};
constexpr int kOne = 1;

}  // namespace

UringExchanger::UringExchanger(const ExchangeConfig& cfg, std::chrono::milliseconds timeout)
    : plan_(cfg), timeout_(timeout), ring_(kRingEntries) {
  ring_.register_sparse_files(1);
  unspec_.ss_family = AF_UNSPEC;
  Message& msg = plan_.message();
  iov_ = {msg.in(), msg.in_capacity()};
  recv_hdr_.msg_iov = &iov_;
  recv_hdr_.msg_iovlen = 1;
  send_iov_ = {const_cast<unsigned char*>(msg.data()), msg.size()};
  send_hdr_.msg_name = const_cast<sockaddr*>(plan_.args().server.sa());
  send_hdr_.msg_namelen = plan_.args().server.len;
  send_hdr_.msg_iov = &send_iov_;
  send_hdr_.msg_iovlen = 1;
  if (const Outcome o = run(plan_.setup()); !o.ok()) throw std::system_error(o.err, std::generic_category(), o.op);
}

Outcome UringExchanger::exchange() {
  const Steps steps = plan_.next();
  // The last exchange's deferred steps first; this one's after its recv wait.
  Steps now = deferred_, later;
  deferred_ = {};
  bool recv = false;
  for (Step s : steps) {
    (recv ? later : now).push(s);
    recv = recv || s == Step::recv;
  }
  Outcome o = run(now);
  // Until this exchange's echo: a stale datagram is counted, and the next
  // one received on the same socket.
  while (recv && o.ok()) {
    if (const auto got = plan_.received(recv_res_, from_, stale_)) {
      o = *got;
      break;
    }
    Steps again;
    again.push(Step::recv);
    o = run(again);
  }
  if (o.ok()) deferred_ = later;
  settle(o);
  return o;
}

void UringExchanger::finish() {
  try {
    Steps steps = deferred_;
    deferred_ = {};
    steps.append(plan_.finish());
    settle(run(steps));
  } catch (const std::exception&) {
    // The ring's exit closes the socket anyway.
  }
}

void UringExchanger::settle(const Outcome& o) {
  for (Steps s = plan_.settle(o); !s.empty(); s = plan_.settle(run(s))) {
  }
}

io_uring_sqe& UringExchanger::prepare(Step s) {
  const int slot = static_cast<int>(kSlot);
  const SocketArgs& a = plan_.args();
  Message& msg = plan_.message();
  io_uring_sqe& sqe = ring_.prepare();
  switch (s) {
    case Step::socket:
      // An explicit slot, so that the rest of the chain can name it (a slot
      // the kernel allocates is known only from the completion).
      io_uring_prep_socket_direct(&sqe, a.server.family(), a.type, 0, kSlot, 0);
      return sqe;
    case Step::close: io_uring_prep_close_direct(&sqe, kSlot); return sqe;
    case Step::bind_port: throw std::logic_error("io_uring: port:bound is not run (registry.cpp, kGaps)");
    case Step::set_linger0: prep_setsockopt(sqe, slot, SOL_SOCKET, SO_LINGER, &kLinger0, sizeof kLinger0); break;
    case Step::set_bind_no_port: prep_setsockopt(sqe, slot, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &kOne, sizeof kOne); break;
    case Step::bind_source: prep_bind(sqe, slot, a.source.sa(), a.source.len); break;
    case Step::set_port_range:
      prep_setsockopt(sqe, slot, IPPROTO_IP, kIpLocalPortRange, &a.port_range, sizeof a.port_range);
      break;
    case Step::connect: io_uring_prep_connect(&sqe, slot, a.server.sa(), a.server.len); break;
    case Step::write: io_uring_prep_send(&sqe, slot, msg.data(), msg.size(), MSG_NOSIGNAL | MSG_WAITALL); break;
    case Step::read: io_uring_prep_recv(&sqe, slot, msg.in(), msg.size(), MSG_WAITALL); break;
    // One byte is enough to tell data from end of stream.
    case Step::read_eof: io_uring_prep_recv(&sqe, slot, &eof_byte_, 1, 0); break;
    case Step::shutdown_wr: io_uring_prep_shutdown(&sqe, slot, SHUT_WR); break;
    case Step::send: io_uring_prep_send(&sqe, slot, msg.data(), msg.size(), 0); break;
    case Step::send_to: io_uring_prep_sendmsg(&sqe, slot, &send_hdr_, 0); break;
    case Step::recv:
      recv_hdr_.msg_name = &from_.storage;
      recv_hdr_.msg_namelen = sizeof from_.storage;
      io_uring_prep_recvmsg(&sqe, slot, &recv_hdr_, 0);
      break;
    case Step::disconnect:
      io_uring_prep_connect(&sqe, slot, reinterpret_cast<const sockaddr*>(&unspec_), sizeof unspec_);
      break;
  }
  use_direct(sqe);  // every step but socket and close, which name the slot themselves
  return sqe;
}

Outcome UringExchanger::run(const Steps& steps) {
  if (steps.empty()) return {};
  for (std::size_t i = 0; i < steps.size(); ++i) {
    io_uring_sqe& sqe = prepare(steps[i]);
    if (i + 1 < steps.size()) sqe.flags |= IOSQE_IO_LINK;
  }
  const std::span<const int> results = ring_.run(timeout_);
  Outcome outcome;
  for (std::size_t i = 0; i < results.size() && i < steps.size(); ++i) {
    if (steps[i] == Step::recv) {
      recv_res_ = results[i];
      from_.len = recv_hdr_.msg_namelen;
    }
    if (outcome.ok()) outcome = plan_.check(steps[i], results[i]);
  }
  return outcome;
}

std::unique_ptr<Exchanger> make_uring_exchanger(const ExchangeConfig& cfg) {
  return std::make_unique<UringExchanger>(cfg);
}

}  // namespace sockchurn
