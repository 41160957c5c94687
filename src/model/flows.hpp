// Many flows per client thread: the adaptor between an engine that keeps
// several connections in flight (each a flow running the strategy's plan)
// and the harness, which calls exchange() once per exchange. exchange()
// returns whichever flow's exchange completed next, with that exchange's own
// duration (Outcome::latency_ns), as the harness cannot time it.
//
// An engine derives from it, implements advance() and calls report() when a
// flow's exchange completes. A flow must not begin its next exchange before
// the next advance() call (the Asio engine posts itself behind the
// exchange() call that returns it): so a run ends with no exchange begun that
// it did not count.
#pragma once

#include <cerrno>
#include <cstdint>
#include <deque>

#include "model/exchange.hpp"
#include "observe/sysinfo.hpp"

namespace sockchurn {

class FlowExchanger : public Exchanger {
 public:
  Outcome exchange() final {
    while (done_.empty())
      if (!advance()) return {ENOTRECOVERABLE, "flows"};
    const Outcome o = done_.front();
    done_.pop_front();
    return o;
  }

 protected:
  // Runs the engine until some flow's exchange may have completed; false
  // when it cannot go on (nothing left to run, or a flow failed outside its
  // exchanges).
  virtual bool advance() = 0;
  // A flow's exchange that began at `t0` (monotonic_ns()) ended with `o`.
  void report(Outcome o, std::int64_t t0) {
    o.latency_ns = monotonic_ns() - t0;
    done_.push_back(o);
  }

 private:
  std::deque<Outcome> done_;  // completed exchanges not yet returned
};

}  // namespace sockchurn
