// UDP: one datagram echo per cycle, socket()+close() churn vs one socket
// reused with connect(AF_UNSPEC), reconnect, and unconnected sendto.
#include "harness.hpp"

using namespace sockchurn;
using bench::Variant;

int main(int argc, char** argv) {
  const std::vector<Variant> variants = {
      {Strategy::fresh_close},
      {Strategy::reuse_unspec, Closer::client, LocalPort::ephemeral},
      {Strategy::reuse_unspec, Closer::client, LocalPort::bound},
      {Strategy::reconnect},
      {Strategy::sendto},
  };
  return bench::churn_main(argc, argv, Protocol::udp, variants);
}
