#include "timed_exchange.hpp"

#include <cerrno>

namespace sockchurn::bench {

std::string failure_text(const Outcome& o, std::uint64_t exchanges, std::uint64_t errors, std::uint64_t max_errors) {
  std::string why = o.describe() + " after " + std::to_string(exchanges) + " exchanges";
  if (max_errors > 0) why += " (" + std::to_string(errors) + " failed exchanges in this run, more than --max-errors)";
  if (o.err == EADDRNOTAVAIL) why += ": no free local port (ephemeral ports exhausted)";
  return why;
}

}  // namespace sockchurn::bench
