#include "engines/uring/uring_engine.hpp"

#include <netinet/in.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <mutex>
#include <stdexcept>
#include <system_error>

#include "model/engines.hpp"

namespace sockchurn {

namespace {

// Per flow: enough for the longest chain and a UDP exchange's deferred steps.
constexpr unsigned kRingEntries = 16;

// IP_LOCAL_PORT_RANGE (Linux 6.3, include/uapi/linux/in.h); glibc 2.36 lacks it.
constexpr int kIpLocalPortRange = 51;

constexpr linger kLinger0{1, 0};
constexpr int kOne = 1;

// Registered buffers a ring takes at most (IORING_MAX_REG_BUFFERS): two per flow.
constexpr unsigned kMaxBuffers = 1U << 14;

// WRITE_FIXED goes through the socket's write_iter, which takes no
// MSG_NOSIGNAL: a write to a reset TCP connection would raise SIGPIPE in
// the benchmark. As sockchurn-echo does, the process ignores it (every
// other send of the engines passes MSG_NOSIGNAL: nothing else changes).
void ignore_sigpipe() {
  static std::once_flag once;
  std::call_once(once, [] { std::signal(SIGPIPE, SIG_IGN); });
}

}  // namespace

// One connection after another in its own slot, by its own plan.
struct UringExchanger::Flow {
  enum class State : std::uint8_t {
    ready,     // may begin its next exchange in the next advance()
    exchange,  // its exchange's chain is in flight
    settling,  // what its exchange's outcome requires is in flight
    reported,  // its exchange was reported; it waits for the next advance()
  };

  Flow(const ExchangeConfig& cfg, unsigned index) : plan(cfg), slot(index) {
    Message& msg = plan.message();
    iov = {msg.in(), msg.in_capacity()};
    recv_hdr.msg_iov = &iov;
    recv_hdr.msg_iovlen = 1;
    // msghdr's pointers are not const; the kernel only reads what a send names.
    send_iov = {const_cast<unsigned char*>(msg.data()), msg.size()};  // NOLINT(cppcoreguidelines-pro-type-const-cast)
    send_hdr.msg_name = const_cast<sockaddr*>(plan.args().server.sa());  // NOLINT(cppcoreguidelines-pro-type-const-cast)
    send_hdr.msg_namelen = plan.args().server.len;
    send_hdr.msg_iov = &send_iov;
    send_hdr.msg_iovlen = 1;
  }
  bool in_flight() const noexcept { return state == State::exchange || state == State::settling; }

  Plan plan;
  unsigned slot;
  State state = State::ready;
  Steps chain;      // the steps of the chain in flight
  Steps later;      // UDP: this exchange's steps after its recv
  Steps deferred;   // UDP: the last exchange's steps after its recv
  std::array<int, Steps::kMax> results{};
  unsigned pending = 0;  // completions of the chain still to come
  std::int64_t t0 = 0;        // the exchange's start (monotonic_ns)
  std::int64_t deadline = 0;  // the chain's bound
  bool cancelled = false;
  Outcome outcome;  // the exchange's, while it settles
  long recv_res = 0;
  unsigned char eof_byte = 0;
  // Buffers the kernel reads or fills while a chain runs.
  Endpoint from;
  iovec iov{};
  msghdr recv_hdr{};
  iovec send_iov{};
  msghdr send_hdr{};
};

namespace {

// A completion's user_data: the flow's index, then the step's index in its chain.
constexpr unsigned kStepBits = 8;
constexpr std::uint64_t kCancelTag = ~std::uint64_t{0};

}  // namespace

UringExchanger::UringExchanger(const ExchangeConfig& cfg, std::chrono::milliseconds timeout)
    : timeout_(timeout),
      features_(ring_used(cfg.variant)),
      ring_((kRingEntries + 1) * cfg.variant.flows, ring_setup_flags(features_)) {
  ring_.register_sparse_files(cfg.variant.flows);
  unspec_.ss_family = AF_UNSPEC;
  for (unsigned i = 0; i < cfg.variant.flows; ++i) flows_.emplace_back(std::make_unique<Flow>(cfg, i));
  if (features_.has(RingFeature::fixedbuf)) {
    if (2 * cfg.variant.flows > kMaxBuffers)
      throw std::invalid_argument("ring:fixedbuf: at most " + std::to_string(kMaxBuffers / 2) +
                                  " flows (two registered buffers each)");
    std::vector<iovec> buffers;
    for (auto& f : flows_) {
      Message& msg = f->plan.message();
      buffers.push_back({const_cast<unsigned char*>(msg.data()), msg.size()});  // NOLINT(cppcoreguidelines-pro-type-const-cast)
      buffers.push_back({msg.in(), msg.in_capacity()});
    }
    ring_.register_buffers(buffers);
    ignore_sigpipe();
  }
  for (auto& f : flows_)
    if (const Outcome o = run(*f, f->plan.setup()); !o.ok()) throw std::system_error(o.err, std::generic_category(), o.op);
}

// The kernel may write into a flow's buffers until its chain completes: the
// chains in flight are cancelled and reaped before the flows are freed.
UringExchanger::~UringExchanger() {
  try {
    drain(true);
  } catch (const std::exception&) {
    // io_uring_enter failed: nothing more can be reaped.
  }
}

void UringExchanger::drain(bool cancel) {
  if (cancel)
    for (auto& f : flows_)
      if (f->in_flight()) {
        ring_.cancel_slot(f->slot, kCancelTag);
        f->cancelled = true;
      }
  while (std::any_of(flows_.begin(), flows_.end(), [](const auto& f) { return f->in_flight(); }))
    if (!pump()) return;
}

bool UringExchanger::advance() {
  for (auto& f : flows_)
    if (f->state == Flow::State::ready || f->state == Flow::State::reported) begin(*f);
  return pump();
}

void UringExchanger::begin(Flow& f) {
  f.t0 = monotonic_ns();
  f.state = Flow::State::exchange;
  // The last exchange's deferred steps first; this one's after its recv wait.
  Steps now = f.deferred;
  f.deferred = {};
  f.later = {};
  bool recv = false;
  for (Step s : f.plan.next()) {
    (recv ? f.later : now).push(s);
    recv = recv || s == Step::recv;
  }
  submit(f, now);
}

void UringExchanger::submit(Flow& f, const Steps& steps) {
  f.chain = steps;
  f.pending = static_cast<unsigned>(steps.size());
  f.deadline = monotonic_ns() + std::chrono::nanoseconds(timeout_).count();
  f.cancelled = false;
  const std::uint64_t tag = std::uint64_t{f.slot} << kStepBits;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    io_uring_sqe& sqe = prepare(f, steps[i]);
    io_uring_sqe_set_data64(&sqe, tag | i);
    if (i + 1 < steps.size()) sqe.flags |= IOSQE_IO_LINK;
  }
}

bool UringExchanger::pump() {
  // One io_uring_enter waits for every chain in flight: at flows:1 one per
  // exchange, at flows:N one per N exchanges where nothing fails.
  std::int64_t deadline = 0;
  unsigned pending = 0;
  for (auto& f : flows_) {
    if (!f->in_flight()) continue;
    pending += f->pending;
    if (deadline == 0 || f->deadline < deadline) deadline = f->deadline;
  }
  if (deadline == 0) return false;
  const std::chrono::nanoseconds wait{std::max<std::int64_t>(deadline - monotonic_ns(), 0)};
  ring_.submit_and_reap(pending, wait, [this](std::uint64_t tag, int res, unsigned flags) {
    if (tag == kCancelTag) return;
    Flow& f = *flows_.at(tag >> kStepBits);
    // A SEND_ZC's result (F_MORE) is followed by its notification (F_NOTIF):
    // the chain is done, and its buffers free, when that has come too.
    if ((flags & IORING_CQE_F_NOTIF) == 0) f.results.at(tag & ((1U << kStepBits) - 1)) = res;
    if ((flags & IORING_CQE_F_MORE) != 0) ++f.pending;
    if (--f.pending == 0) completed(f);
  });
  // A chain past its bound is cancelled (its steps complete with
  // ECANCELED); one that is still there a bound later never will be.
  const std::int64_t now = monotonic_ns();
  for (auto& f : flows_) {
    if (!f->in_flight() || f->pending == 0 || now < f->deadline) continue;
    if (f->cancelled) return false;
    ring_.cancel_slot(f->slot, kCancelTag);
    f->cancelled = true;
    f->deadline = now + std::chrono::nanoseconds(timeout_).count();
  }
  return true;
}

void UringExchanger::completed(Flow& f) {
  Outcome o = checked(f);
  if (f.state == Flow::State::exchange) {
    // Until this exchange's echo: a stale datagram is counted, and the
    // next one received on the same socket.
    const bool recv = f.chain.size() > 0 && f.chain[f.chain.size() - 1] == Step::recv;
    if (recv && o.ok()) {
      const auto got = f.plan.received(f.recv_res, f.from, stale_);
      if (!got) {
        Steps again;
        again.push(Step::recv);
        submit(f, again);
        return;
      }
      o = *got;
    }
    if (o.ok()) f.deferred = f.later;
    f.outcome = o;
    f.state = Flow::State::settling;
  }
  if (const Steps next = f.plan.settle(o); !next.empty()) {
    submit(f, next);
    return;
  }
  f.state = Flow::State::reported;
  report(f.outcome, f.t0);
}

Outcome UringExchanger::checked(Flow& f) {
  Outcome outcome;
  for (std::size_t i = 0; i < f.chain.size(); ++i) {
    if (f.chain[i] == Step::recv) {
      f.recv_res = f.results[i];
      f.from.len = f.recv_hdr.msg_namelen;
    }
    if (outcome.ok()) outcome = f.plan.check(f.chain[i], f.results[i]);
  }
  return outcome;
}

void UringExchanger::finish() {
  try {
    // The exchanges in flight complete (uncounted), so that each flow's
    // connection can end its strategy's way.
    drain(false);
    for (auto& f : flows_) {
      Steps steps = f->deferred;
      f->deferred = {};
      steps.append(f->plan.finish());
      settle(*f, run(*f, steps));
      f->state = Flow::State::ready;
    }
  } catch (const std::exception&) {
    // The ring's exit closes the sockets anyway.
  }
}

void UringExchanger::settle(Flow& f, const Outcome& o) {
  for (Steps s = f.plan.settle(o); !s.empty(); s = f.plan.settle(run(f, s))) {
  }
}

io_uring_sqe& UringExchanger::prepare(Flow& f, Step s) {
  const int slot = static_cast<int>(f.slot);
  const SocketArgs& a = f.plan.args();
  Message& msg = f.plan.message();
  const bool zc = features_.has(RingFeature::sendzc), fixed = features_.has(RingFeature::fixedbuf);
  const unsigned out_buf = 2 * f.slot, in_buf = out_buf + 1;  // the flow's registered buffers
  io_uring_sqe& sqe = ring_.prepare();
  switch (s) {
    case Step::socket:
      // An explicit slot, so that the rest of the chain can name it (a slot
      // the kernel allocates is known only from the completion).
      io_uring_prep_socket_direct(&sqe, a.server.family(), a.type, 0, f.slot, 0);
      return sqe;
    case Step::close: io_uring_prep_close_direct(&sqe, f.slot); return sqe;
    case Step::bind_port: throw std::logic_error("io_uring: port:bound is not run (registry.cpp, kGaps)");
    case Step::set_linger0: prep_setsockopt(sqe, slot, SOL_SOCKET, SO_LINGER, &kLinger0, sizeof kLinger0); break;
    case Step::set_bind_no_port: prep_setsockopt(sqe, slot, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &kOne, sizeof kOne); break;
    case Step::bind_source: prep_bind(sqe, slot, a.source.sa(), a.source.len); break;
    case Step::set_port_range:
      prep_setsockopt(sqe, slot, IPPROTO_IP, kIpLocalPortRange, &a.port_range, sizeof a.port_range);
      break;
    case Step::connect: io_uring_prep_connect(&sqe, slot, a.server.sa(), a.server.len); break;
    case Step::write:
      if (zc && fixed)
        io_uring_prep_send_zc_fixed(&sqe, slot, msg.data(), msg.size(), MSG_NOSIGNAL | MSG_WAITALL, 0, out_buf);
      else if (zc)
        io_uring_prep_send_zc(&sqe, slot, msg.data(), msg.size(), MSG_NOSIGNAL | MSG_WAITALL, 0);
      else if (fixed)
        // A socket's write takes no offset but 0 (ESPIPE otherwise).
        io_uring_prep_write_fixed(&sqe, slot, msg.data(), static_cast<unsigned>(msg.size()), 0, static_cast<int>(out_buf));
      else
        io_uring_prep_send(&sqe, slot, msg.data(), msg.size(), MSG_NOSIGNAL | MSG_WAITALL);
      break;
    case Step::read:
      if (fixed)
        io_uring_prep_read_fixed(&sqe, slot, msg.in(), static_cast<unsigned>(msg.size()), 0, static_cast<int>(in_buf));
      else
        io_uring_prep_recv(&sqe, slot, msg.in(), msg.size(), MSG_WAITALL);
      break;
    // One byte is enough to tell data from end of stream.
    case Step::read_eof: io_uring_prep_recv(&sqe, slot, &f.eof_byte, 1, 0); break;
    case Step::shutdown_wr: io_uring_prep_shutdown(&sqe, slot, SHUT_WR); break;
    case Step::send:
      if (zc && fixed)
        io_uring_prep_send_zc_fixed(&sqe, slot, msg.data(), msg.size(), 0, 0, out_buf);
      else if (zc)
        io_uring_prep_send_zc(&sqe, slot, msg.data(), msg.size(), 0, 0);
      else if (fixed)
        io_uring_prep_write_fixed(&sqe, slot, msg.data(), static_cast<unsigned>(msg.size()), 0, static_cast<int>(out_buf));
      else
        io_uring_prep_send(&sqe, slot, msg.data(), msg.size(), 0);
      break;
    case Step::send_to:
      if (zc) {
        if (fixed)
          io_uring_prep_send_zc_fixed(&sqe, slot, msg.data(), msg.size(), 0, 0, out_buf);
        else
          io_uring_prep_send_zc(&sqe, slot, msg.data(), msg.size(), 0, 0);
        io_uring_prep_send_set_addr(&sqe, a.server.sa(), static_cast<std::uint16_t>(a.server.len));
      } else {
        io_uring_prep_sendmsg(&sqe, slot, &f.send_hdr, 0);
      }
      break;
    case Step::recv:
      f.recv_hdr.msg_name = &f.from.storage;
      f.recv_hdr.msg_namelen = sizeof f.from.storage;
      io_uring_prep_recvmsg(&sqe, slot, &f.recv_hdr, 0);
      break;
    case Step::disconnect:
      io_uring_prep_connect(&sqe, slot, reinterpret_cast<const sockaddr*>(&unspec_), sizeof unspec_);
      break;
  }
  use_direct(sqe);  // every step but socket and close, which name the slot themselves
  return sqe;
}

Outcome UringExchanger::run(Flow& f, const Steps& steps) {
  if (steps.empty()) return {};
  for (std::size_t i = 0; i < steps.size(); ++i) {
    io_uring_sqe& sqe = prepare(f, steps[i]);
    if (i + 1 < steps.size()) sqe.flags |= IOSQE_IO_LINK;
  }
  const std::span<const int> results = ring_.run(timeout_);
  f.chain = steps;
  std::copy(results.begin(), results.begin() + static_cast<std::ptrdiff_t>(std::min(results.size(), steps.size())),
            f.results.begin());
  return checked(f);
}

std::unique_ptr<Exchanger> make_uring_exchanger(const ExchangeConfig& cfg) {
  return std::make_unique<UringExchanger>(cfg);
}

}  // namespace sockchurn
