// Asio's reactor without the system calls stock Asio adds around it, for the
// echo server's hot path. Written against Asio 1.18 (Boost 1.74) on Linux,
// where the reactor is epoll_reactor; everything here that reaches into
// Asio's detail namespace is in this file.
//
// Stock Asio, per TCP connection and per wait:
//  - accepts with accept(), then makes the socket non-blocking with an
//    ioctl(FIONBIO) before its first operation;
//  - marks an accepted socket as a possible dup, so closing it costs an
//    epoll_ctl(DEL) first (a closed descriptor leaves epoll by itself);
//  - tries every read at once (a recv that returns EAGAIN when the caller has
//    just seen the socket empty), and async_wait() costs an epoll_ctl(MOD) per
//    wait.
// Reactive<Socket> adopts a descriptor that is already non-blocking (accept4
// with SOCK_NONBLOCK) and not shared, and async_ready() waits for readiness
// through the reactor's own queue (no system call to start waiting), then
// runs one non-blocking attempt (accept4, recv, recvfrom) when epoll says the
// descriptor is readable.
#pragma once

#include <cstddef>
#include <type_traits>
#include <utility>

#include <boost/asio.hpp>
#include <boost/asio/detail/reactor.hpp>
#include <boost/asio/detail/reactor_op.hpp>

namespace sockchurn::echo {

// One non-blocking attempt on a readable descriptor: false when it would
// block (EAGAIN), true when done, with `ec` set on failure and `result` on
// success. `context` is the caller's (a buffer, an address).
using Attempt = bool (*)(int fd, void* context, boost::system::error_code& ec, std::size_t& result);

namespace detail {

namespace ad = boost::asio::detail;

// A reactor operation like Asio's own reactive_socket_recv_op, with the
// system call given as an Attempt. With `skip_first`, the reactor's first
// perform() does not make the system call: the caller has just seen the
// descriptor empty (EAGAIN, or a read shorter than its buffer), so the
// attempt would say EAGAIN again. Safe only because (a) a socket has at most
// one read operation at a time and none of them ends "exhausted", so the
// first perform() is the reactor's speculative one in start_op, not an epoll
// event; and (b) the caller starts the operation in the same handler in which
// it saw the socket empty, on an io_context run by one thread, so no
// epoll_wait can have consumed an edge in between (epoll is edge-triggered).
// An operation that epoll completes runs its handler inline, in the handler
// that made its attempt (the reactor completes the first operation of a
// descriptor at once; for a handler on the io_context's own executor, or on a
// strand that is not busy, Asio dispatches inline), so a caller can count a
// read it got from the operation as seen in its own handler.
template <typename Handler, typename IoExecutor>
class ReadyOp : public ad::reactor_op {
 public:
  BOOST_ASIO_DEFINE_HANDLER_PTR(ReadyOp);

  ReadyOp(Handler& handler, const IoExecutor& io_ex, int fd, Attempt attempt, void* context, bool skip_first)
      : ad::reactor_op(boost::system::error_code(), &ReadyOp::do_perform, &ReadyOp::do_complete),
        fd_(fd),
        attempt_(attempt),
        context_(context),
        skip_(skip_first),
        handler_(std::move(handler)),
        work_(handler_, io_ex) {}

  static status do_perform(ad::reactor_op* base) {
    auto* o = static_cast<ReadyOp*>(base);
    if (std::exchange(o->skip_, false)) return not_done;
    return o->attempt_(o->fd_, o->context_, o->ec_, o->bytes_transferred_) ? done : not_done;
  }

  // As Asio's own operations complete (reactive_socket_recv_op::do_complete).
  static void do_complete(void* owner, ad::operation* base, const boost::system::error_code& /*ec*/,
                          std::size_t /*bytes_transferred*/) {
    auto* o = static_cast<ReadyOp*>(base);
    ptr p = {ad::addressof(o->handler_), o, o};
    ad::handler_work<Handler, IoExecutor> w(std::move(o->work_));
    ad::binder2<Handler, boost::system::error_code, std::size_t> handler(o->handler_, o->ec_, o->bytes_transferred_);
    p.h = ad::addressof(handler.handler_);
    p.reset();
    if (owner) {
      ad::fenced_block b(ad::fenced_block::half);
      w.complete(handler, handler.handler_);
    }
  }

 private:
  int fd_;
  Attempt attempt_;
  void* context_;
  bool skip_;
  Handler handler_;
  ad::handler_work<Handler, IoExecutor> work_;
};

}  // namespace detail

// An Asio socket (stream or datagram) with the two things above.
template <typename Socket>
class Reactive : public Socket {
 public:
  using executor_type = typename Socket::executor_type;

  explicit Reactive(const executor_type& ex)
      : Socket(ex), reactor_(&boost::asio::use_service<boost::asio::detail::reactor>(ex.context())) {}
  Reactive(const Reactive&) = delete;
  Reactive& operator=(const Reactive&) = delete;
  Reactive(Reactive&&) noexcept = default;
  Reactive& operator=(Reactive&&) = delete;
  ~Reactive() = default;

  // Takes `fd`, which is already non-blocking (accept4 with SOCK_NONBLOCK)
  // and is no other descriptor's dup: registers it with epoll (one
  // epoll_ctl(ADD)), and nothing else. On failure `fd` stays the caller's.
  void adopt(const typename Socket::protocol_type& protocol, int fd, boost::system::error_code& ec) {
    this->assign(protocol, fd, ec);
    if (ec) return;
    namespace ops = boost::asio::detail::socket_ops;
    auto& state = this->impl_.get_implementation().state_;
    state = static_cast<ops::state_type>((state | ops::internal_non_blocking) & ~ops::possible_dup);
  }

  // Waits until the descriptor is readable and `attempt` succeeds on it,
  // then completes with (error_code, result). No system call to start the
  // wait; with `skip_first` (see ReadyOp) not even the first attempt. The
  // descriptor must be non-blocking (adopt(), or non_blocking(true)); close()
  // and cancel() end the wait with operation_aborted.
  template <typename Token>
  auto async_ready(Attempt attempt, void* context, bool skip_first, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
        [this, attempt, context, skip_first](auto&& handler) {
          using Handler = std::decay_t<decltype(handler)>;
          using Op = detail::ReadyOp<Handler, executor_type>;
          const bool is_continuation = boost_asio_handler_cont_helpers::is_continuation(handler);
          typename Op::ptr p = {boost::asio::detail::addressof(handler), Op::ptr::allocate(handler), nullptr};
          auto& impl = this->impl_.get_implementation();
          p.p = new (p.v) Op(handler, this->get_executor(), impl.socket_, attempt, context, skip_first);
          reactor_->start_op(boost::asio::detail::reactor::read_op, impl.socket_, impl.reactor_data_, p.p,
                             is_continuation, true);
          p.v = p.p = nullptr;
        },
        token);
  }

 private:
  boost::asio::detail::reactor* reactor_;
};

}  // namespace sockchurn::echo
