// TCP: one echo exchange per cycle, socket()+close() churn vs one socket
// reused with connect(AF_UNSPEC). See DESIGN.md "The matrix".
#include "harness.hpp"

using namespace sockchurn;
using bench::Variant;

int main(int argc, char** argv) {
  const std::vector<Variant> variants = {
      {Strategy::fresh_close, Closer::client},
      {Strategy::fresh_close, Closer::server},
      {Strategy::fresh_linger0, Closer::client},
      {Strategy::fresh_linger0, Closer::server},
      {Strategy::reuse_unspec, Closer::client, LocalPort::ephemeral},
      {Strategy::reuse_unspec, Closer::client, LocalPort::bound},
      {Strategy::reuse_unspec, Closer::server, LocalPort::ephemeral},
      {Strategy::reuse_unspec, Closer::server, LocalPort::bound},
      {Strategy::keepalive},
  };
  return bench::churn_main(argc, argv, Protocol::tcp, variants);
}
