// tests/support/usage_error.hpp: checking that misuse throws
// gort::usage_error with a message that names the operation.
//
// Example:
//   EXPECT_TRUE(gort_test::throws_usage_error([&] { c.close(); },
//                                             "close of closed channel"));
#pragma once

#include <string_view>

#include <gtest/gtest.h>

#include "gort/errors.hpp"

namespace gort_test {

// throws_usage_error runs f and succeeds if it throws gort::usage_error
// whose what() contains msg.
template <class F>
::testing::AssertionResult throws_usage_error(F&& f, std::string_view msg) {
  try {
    f();
  } catch (const gort::usage_error& e) {
    if (std::string_view(e.what()).find(msg) != std::string_view::npos)
      return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure()
           << "usage_error says \"" << e.what() << "\", not \"" << msg << "\"";
  } catch (...) {
    return ::testing::AssertionFailure() << "threw, but not usage_error";
  }
  return ::testing::AssertionFailure() << "did not throw (" << msg << ")";
}

}  // namespace gort_test
