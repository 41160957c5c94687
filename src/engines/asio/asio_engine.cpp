// The Asio engine: an event-driven client, as a proxy's or a pool's backend
// side. Each client thread's exchanger owns an io_context and keeps
// `variant.flows` connections in flight, each a coroutine performing its own
// plan (model/plan.hpp): socket, connect, write and read as Asio operations,
// the steps Asio has none for (socket options, bind, shutdown, the AF_UNSPEC
// disconnect) by system call on native_handle(). Many flows meet the harness
// through the shared adaptor (model/flows.hpp).
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <cerrno>
#include <cstring>
#include <exception>
#include <memory>
#include <system_error>
#include <vector>

#include "engines/blocking/blocking_steps.hpp"
#include "model/flows.hpp"
#include "model/plan.hpp"
#include "net/sockops.hpp"

namespace sockchurn {

namespace {

namespace asio = boost::asio;
using boost::system::error_code;
using tcp = asio::ip::tcp;
using Executor = asio::io_context::executor_type;
using Socket = asio::basic_stream_socket<tcp, Executor>;
template <typename T>
using Awaitable = asio::awaitable<T, Executor>;

// Errors come back as values, as in the blocking engine.
auto as_value(error_code& ec) { return asio::redirect_error(asio::use_awaitable_t<Executor>{}, ec); }

// An Asio operation's result as the plan reads it: bytes, or -errno (EOF:
// the bytes that came before it).
long result(const error_code& ec, std::size_t n) {
  if (!ec || ec == asio::error::eof) return static_cast<long>(n);
  return ec.category() == boost::system::system_category() ? -ec.value() : -EIO;
}

tcp::endpoint to_asio(const Endpoint& e) {
  tcp::endpoint out;
  std::memcpy(out.data(), e.sa(), e.len);
  out.resize(e.len);
  return out;
}

// One connection after another on one socket object, by its own plan.
struct Flow {
  Flow(asio::io_context& io, const ExchangeConfig& cfg) : sock(io.get_executor()), plan(cfg) {}
  Socket sock;
  Plan plan;
  Endpoint from;  // unused by TCP: the blocking steps' datagram source
};

class AsioExchanger final : public FlowExchanger {
 public:
  explicit AsioExchanger(const ExchangeConfig& cfg) : peer_(to_asio(cfg.server)) {
    for (unsigned i = 0; i < cfg.variant.flows; ++i) {
      Flow& f = *flows_.emplace_back(std::make_unique<Flow>(io_, cfg));
      if (const Outcome o = run_now(f, f.plan.setup()); !o.ok())
        throw std::system_error(o.err, std::generic_category(), o.op);
      asio::co_spawn(io_, run_flow(f), [this](const std::exception_ptr& e) {
        if (!e) return;
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& x) {
          crashed_ = x.what();
        }
      });
    }
  }

  // Each flow's connection ends the strategy's way, at once (an exchange
  // still in flight is dropped uncounted); the coroutines are destroyed
  // with the io_context.
  void finish() override {
    for (auto& f : flows_) settle_now(*f, run_now(*f, f->plan.finish()));
  }

 private:
  bool advance() override { return crashed_.empty() && io_.run_one() != 0; }

  // A flow's whole life in one coroutine: the exchange's steps, then its
  // settling steps, with no coroutine per step. A nested awaitable is a frame
  // of its own, allocated and resumed per step: with one per step and one per
  // step list, the engine spent 3-6% more client CPU per exchange at 16
  // flows than before the policies (A/B, 20 runs a side).
  Awaitable<void> run_flow(Flow& f) {
    for (;;) {
      const std::int64_t t0 = monotonic_ns();
      Outcome first;
      bool exchange_steps = true;
      for (Steps steps = f.plan.next();;) {
        Outcome o;
        for (Step s : steps) {
          error_code ec;
          Message& msg = f.plan.message();
          switch (s) {
            case Step::connect:
              co_await f.sock.async_connect(peer_, as_value(ec));
              o = f.plan.check(s, result(ec, 0));
              break;
            case Step::write: {
              const std::size_t n =
                  co_await asio::async_write(f.sock, asio::buffer(msg.data(), msg.size()), as_value(ec));
              o = f.plan.check(s, result(ec, n));
              break;
            }
            case Step::read: {
              const std::size_t n = co_await asio::async_read(f.sock, asio::buffer(msg.in(), msg.size()), as_value(ec));
              o = f.plan.check(s, result(ec, n));
              break;
            }
            case Step::read_eof: {
              const std::size_t n = co_await f.sock.async_read_some(asio::buffer(msg.in(), 1), as_value(ec));
              o = f.plan.check(s, result(ec, n));
              break;
            }
            default: o = step_now(f, s);
          }
          if (!o.ok()) break;
        }
        if (exchange_steps) first = o;
        exchange_steps = false;
        steps = f.plan.settle(o);
        if (steps.empty()) break;
      }
      report(first, t0);
      // The flow's next step waits for the next exchange() call.
      co_await asio::post(io_.get_executor(), asio::use_awaitable_t<Executor>{});
    }
  }

  // A step at once: the socket object's own open and close, anything else
  // by system call on its descriptor.
  static Outcome step_now(Flow& f, Step s) {
    error_code ec;
    switch (s) {
      case Step::socket:
        f.sock.open(f.plan.args().server.family() == AF_INET6 ? tcp::v6() : tcp::v4(), ec);
        return f.plan.check(s, result(ec, 0));
      case Step::close: f.sock.close(ec); return {};
      default:
        return f.plan.check(s, blocking_step(s, f.sock.native_handle(), f.plan.args(), f.plan.message(), f.from));
    }
  }

  static Outcome run_now(Flow& f, const Steps& steps) {
    for (Step s : steps)
      if (Outcome o = step_now(f, s); !o.ok()) return o;
    return {};
  }

  static void settle_now(Flow& f, const Outcome& o) {
    for (Steps s = f.plan.settle(o); !s.empty(); s = f.plan.settle(run_now(f, s))) {
    }
  }

  tcp::endpoint peer_;
  std::string crashed_;  // a flow ended with an exception (its what())
  // The io_context outlives the flows' sockets; its destruction destroys
  // the coroutine frames, which touch no flow.
  asio::io_context io_{1};
  std::vector<std::unique_ptr<Flow>> flows_;
};

}  // namespace

std::unique_ptr<Exchanger> make_asio_exchanger(const ExchangeConfig& cfg) {
  return std::make_unique<AsioExchanger>(cfg);
}

}  // namespace sockchurn
