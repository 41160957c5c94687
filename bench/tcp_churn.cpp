// TCP: one echo exchange per cycle, for every TCP strategy of the registry
// (src/model/registry.cpp): socket()+close() churn against one socket reused with
// connect(AF_UNSPEC). See docs/design.md.
#include "harness.hpp"

int main(int argc, char** argv) { return sockchurn::bench::churn_main(argc, argv, sockchurn::Protocol::tcp); }
