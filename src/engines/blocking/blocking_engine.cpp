// The blocking engine: one socket per client thread, each step of the
// strategy's plan (model/plan.hpp) a system call, in order.
#include <system_error>

#include "engines/blocking/blocking_steps.hpp"
#include "model/exchange.hpp"
#include "model/plan.hpp"
#include "net/sockops.hpp"

namespace sockchurn {

namespace {

class BlockingExchanger final : public Exchanger {
 public:
  explicit BlockingExchanger(const ExchangeConfig& cfg) : plan_(cfg) {
    if (const Outcome o = run(plan_.setup()); !o.ok()) throw std::system_error(o.err, std::generic_category(), o.op);
  }

  Outcome exchange() override {
    const Outcome o = run(plan_.next());
    settle(o);
    return o;
  }

  void finish() override { settle(run(plan_.finish())); }

 private:
  void settle(const Outcome& o) {
    for (Steps s = plan_.settle(o); !s.empty(); s = plan_.settle(run(s))) {
    }
  }

  // The steps in order, up to the first that fails.
  Outcome run(const Steps& steps) {
    for (Step s : steps)
      if (Outcome o = step(s); !o.ok()) return o;
    return {};
  }

  Outcome step(Step s) {
    switch (s) {
      case Step::socket:
        if (int e = open_socket(sock_, plan_.args().server.family(), plan_.args().type)) return {e, step_name(s)};
        return {};
      case Step::close: sock_.reset(); return {};
      case Step::recv:
        // Until this exchange's echo: stale datagrams are counted and dropped.
        for (;;) {
          const long n = blocking_step(s, sock_.get(), plan_.args(), plan_.message(), from_);
          if (const auto o = plan_.received(n, from_, stale_)) return *o;
        }
      default: return plan_.check(s, blocking_step(s, sock_.get(), plan_.args(), plan_.message(), from_));
    }
  }

  Plan plan_;
  Fd sock_;
  Endpoint from_;  // a datagram's source
};

}  // namespace

std::unique_ptr<Exchanger> make_blocking_exchanger(const ExchangeConfig& cfg) {
  return std::make_unique<BlockingExchanger>(cfg);
}

}  // namespace sockchurn
