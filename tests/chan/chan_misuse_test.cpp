// Misuse that the channel API reports with usage_error rather than
// undefined behaviour: a buffer too large to size, and a run-time select
// list with two defaults. (Send/close on closed and nil channels are in
// chan_close_test and chan_semantics_test; ticker intervals in time_test.)
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include <gtest/gtest.h>

#include "gort/chan.hpp"
#include "gort/select.hpp"
#include "support/usage_error.hpp"

namespace {

using gort_test::throws_usage_error;

struct big {
  unsigned char bytes[1 << 20];
};

// Go: "makechan: size out of range". capacity * sizeof(T) must not wrap.
TEST(chan_misuse_test, make_chan_rejects_a_buffer_that_cannot_be_sized) {
  EXPECT_TRUE(throws_usage_error(
      [] { gort::make_chan<int>(std::numeric_limits<std::size_t>::max()); },
      "make_chan: capacity out of range"));
  EXPECT_TRUE(
      throws_usage_error([] { gort::make_chan<big>(std::size_t{1} << 30); },
                         "make_chan: capacity out of range"));
  // The largest sizes below the bound are fine to ask for lazily: a
  // capacity of a million ints is 4 MB.
  auto c = gort::make_chan<int>(1'000'000);
  EXPECT_EQ(c.capacity(), 1'000'000u);
}

TEST(chan_misuse_test, select_list_with_two_defaults_throws) {
  auto c = gort::make_chan<int>(1);
  std::vector<gort::select_case> cases;
  cases.emplace_back(gort::case_recv(c));
  cases.emplace_back(gort::case_default());
  cases.emplace_back(gort::case_default());
  EXPECT_TRUE(throws_usage_error([&] { gort::select(cases); },
                                 "select: more than one case_default"));
  // Nothing ran: the channel still accepts its one value.
  c.send(1);
  EXPECT_EQ(c.size(), 1u);
}

}  // namespace
