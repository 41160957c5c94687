// UDP: one datagram echo per cycle, for every UDP strategy of the registry
// (src/model/registry.cpp): socket()+close() churn against one socket reused with
// connect(AF_UNSPEC), reconnect, and unconnected sendto. See docs/design.md.
#include "harness.hpp"

int main(int argc, char** argv) { return sockchurn::bench::churn_main(argc, argv, sockchurn::Protocol::udp); }
