// Tests that need io_uring: each is skipped, with the one line naming what
// is missing (uring_support()), where this kernel or build has none.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "engines/uring/uring_ring.hpp"

namespace sockchurn::test {

// A fixture over `Base` (::testing::Test, or TestWithParam<T>) that skips
// its tests where io_uring is missing.
template <class Base = ::testing::Test>
class NeedsUring : public Base {
 protected:
  void SetUp() override {
    if (const std::string missing = uring_support(); !missing.empty()) GTEST_SKIP() << missing;
  }
};

}  // namespace sockchurn::test
