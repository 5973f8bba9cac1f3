// The reader on well-formed traces: every event kind of the format's table
// decodes to its args, strings and list; ticks become ns by the line
// through the clock pairs; events of several workers come out in time
// order.
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tools/encoder.hpp"
#include "tools/trace/reader.hpp"

namespace {

using namespace gort_test::trace;
using fmt::ev;

constexpr std::uint64_t u64_max = UINT64_MAX;

// The args of kind k in the every-kind trace: distinct per kind, one of
// them the largest 64-bit value (a 10-byte varint).
std::vector<std::uint64_t> args_of(std::size_t k) {
  std::vector<std::uint64_t> a;
  for (std::size_t i = 0; i < fmt::ev_table[k].nargs; ++i)
    a.push_back(i == 1 ? u64_max - k : 1000 * k + i);
  return a;
}

std::vector<std::string> strings_of(std::size_t k) {
  std::vector<std::string> s;
  for (std::size_t i = 0; i < fmt::ev_table[k].nstrings; ++i)
    s.push_back(gort_trace::cat("s", k, ".", i));
  if (!s.empty()) s[0] += std::string(300, 'x');  // a 2-byte length
  return s;
}

std::vector<std::uint64_t> list_of(std::size_t k) {
  if (!fmt::ev_table[k].list) return {};
  std::vector<std::uint64_t> l(200);  // a 2-byte count
  for (std::size_t i = 0; i < l.size(); ++i) l[i] = i * i * i * i * i;
  l.back() = u64_max;
  return l;
}

gort_trace::trace parse(const bytes& b) { return gort_trace::parse(b); }

TEST(trace_reader, decodes_every_kind_in_the_table) {
  builder b(5000, 5000);
  b.batch(7, 5000);
  std::uint64_t tsc = 5000;
  constexpr std::size_t kinds = static_cast<std::size_t>(ev::count_);
  for (std::size_t k = 1; k < kinds; ++k) {
    auto strings = strings_of(k);
    std::vector<std::string_view> views(strings.begin(), strings.end());
    b.ev(static_cast<ev>(k), tsc += k, args_of(k), views, list_of(k));
  }
  gort_trace::trace t = parse(b.done());

  ASSERT_EQ(t.batches.size(), 1u);
  EXPECT_EQ(t.batches[0].m, 7u);
  EXPECT_EQ(t.batches[0].offset, fmt::header_bytes);
  ASSERT_EQ(t.events.size(), kinds - 1);
  tsc = 5000;
  for (std::size_t k = 1; k < kinds; ++k) {
    const gort_trace::event& e = t.events[k - 1];
    SCOPED_TRACE(fmt::ev_table[k].name);
    EXPECT_EQ(e.kind, static_cast<ev>(k));
    EXPECT_EQ(e.m, 7u);
    EXPECT_EQ(e.tsc, tsc += k);
    EXPECT_EQ(e.ns, static_cast<std::int64_t>(tsc));  // 1 tick = 1 ns
    auto want = args_of(k);
    for (std::size_t i = 0; i < gort_trace::max_args; ++i)
      EXPECT_EQ(e.args[i], i < want.size() ? want[i] : 0) << "arg " << i;
    EXPECT_EQ(e.strings, strings_of(k));
    EXPECT_EQ(e.list, list_of(k));
  }
}

TEST(trace_reader, names_of_kinds_and_args_come_from_the_table) {
  EXPECT_EQ(gort_trace::kind_name(ev::go_start), "go_start");
  EXPECT_EQ(gort_trace::kind_name(static_cast<ev>(200)), "kind(200)");
  EXPECT_EQ(gort_trace::arg_name(ev::go_create, 0), "goid");
  EXPECT_EQ(gort_trace::arg_name(ev::go_create, 2), "parent");
  EXPECT_EQ(gort_trace::arg_name(ev::go_create, 3), "");
  EXPECT_EQ(gort_trace::arg_name(ev::sched, 5), "runqueue");
  EXPECT_EQ(gort_trace::arg_name(ev::m_park, 0), "");
}

TEST(trace_reader, header_only_is_an_empty_trace) {
  gort_trace::trace t = parse(builder(123, 456).done());
  EXPECT_EQ(t.start.mono, 123u);
  EXPECT_EQ(t.start.tsc, 456u);
  EXPECT_EQ(t.start_ns, 123);
  EXPECT_TRUE(t.batches.empty());
  EXPECT_TRUE(t.events.empty());
  EXPECT_EQ(t.bytes, fmt::header_bytes);
}

TEST(trace_reader, empty_batches_are_fine) {
  builder b;
  b.batch(1, 10).batch(2, 20);
  gort_trace::trace t = parse(b.done());
  EXPECT_EQ(t.batches.size(), 2u);
  EXPECT_TRUE(t.events.empty());
}

TEST(trace_reader, ticks_become_ns_by_the_line_through_the_clock_pairs) {
  // Three ticks per ns: (1000, 5000), (4000, 6000), (7000, 7000).
  builder b(5000, 1000);
  b.batch(1, 4000, 6000).ev(ev::go_end, 4030, {1}).ev(ev::go_end, 4031, {2});
  b.batch(2, 7000, 7000).ev(ev::go_end, 7003, {3});
  gort_trace::trace t = parse(b.done());
  EXPECT_NEAR(t.ns_per_tick, 1.0 / 3, 1e-12);
  ASSERT_EQ(t.batches.size(), 2u);
  EXPECT_EQ(t.batches[0].base.tsc, 4000u);
  EXPECT_EQ(t.batches[0].base.mono, 6000u);
  EXPECT_EQ(t.batches[1].m, 2u);
  ASSERT_EQ(t.events.size(), 3u);
  EXPECT_EQ(t.events[0].ns, 6010);
  EXPECT_EQ(t.events[1].ns, 6010);  // 6010.33 rounds down
  EXPECT_EQ(t.events[2].ns, 7001);
}

TEST(trace_reader, least_squares_through_scattered_pairs) {
  // Pairs (0, 0), (100, 210), (200, 390): the fit is y = 1.95x + 5.
  builder b(0, 0);
  b.batch(1, 100, 210).ev(ev::go_end, 100, {1});
  b.batch(1, 200, 390).ev(ev::go_end, 300, {1});
  gort_trace::trace t = parse(b.done());
  EXPECT_NEAR(t.ns_per_tick, 1.95, 1e-12);
  ASSERT_EQ(t.events.size(), 2u);
  EXPECT_EQ(t.events[0].ns, 200);
  EXPECT_EQ(t.events[1].ns, 590);
}

TEST(trace_reader, one_tsc_only_means_one_tick_per_ns_through_the_header) {
  builder b(5000, 1000);
  b.batch(1, 1000, 9000).ev(ev::go_end, 1010, {1});
  gort_trace::trace t = parse(b.done());
  EXPECT_EQ(t.ns_per_tick, 1.0);
  EXPECT_EQ(t.events[0].ns, 5010);
}

TEST(trace_reader, a_decreasing_fit_falls_back_to_one_tick_per_ns) {
  builder b(5000, 1000);
  b.batch(1, 2000, 4000).ev(ev::go_end, 2500, {1});
  gort_trace::trace t = parse(b.done());
  EXPECT_EQ(t.ns_per_tick, 1.0);
  EXPECT_EQ(t.events[0].ns, 6500);
}

TEST(trace_reader, huge_clock_values_are_clamped_not_overflowed) {
  builder b(u64_max, u64_max);
  b.batch(1, u64_max - 10).ev(ev::go_end, u64_max - 5, {1});
  gort_trace::trace t = parse(b.done());
  EXPECT_EQ(t.start_ns, gort_trace::max_time);
  EXPECT_EQ(t.events[0].ns, gort_trace::max_time);
}

TEST(trace_reader, events_of_workers_are_sorted_by_time_stably) {
  builder b;
  b.batch(1, 0)
      .ev(ev::go_end, 10, {1})
      .ev(ev::go_end, 30, {2})
      .ev(ev::go_end, 50, {3});
  b.batch(2, 0).ev(ev::go_end, 20, {4}).ev(ev::go_end, 30, {5});
  b.batch(1, 60).ev(ev::go_end, 60, {6}).ev(ev::go_end, 60, {7});
  b.batch(2, 40).ev(ev::go_end, 40, {8});
  gort_trace::trace t = parse(b.done());
  std::vector<std::uint64_t> order;
  for (const auto& e : t.events) order.push_back(e.args[0]);
  EXPECT_EQ(order, (std::vector<std::uint64_t>{1, 4, 2, 5, 8, 3, 6, 7}));
  for (std::size_t i = 1; i < t.events.size(); ++i)
    EXPECT_LE(t.events[i - 1].ns, t.events[i].ns);
  EXPECT_EQ(t.events[1].m, 2u);
}

TEST(trace_reader, event_offsets_point_at_their_kind_byte) {
  builder b;
  b.batch(1, 0);
  std::size_t first = b.size();
  b.ev(ev::go_end, 1, {1});
  std::size_t second = b.size();
  b.ev(ev::m_park, 2);
  bytes file = b.done();
  gort_trace::trace t = parse(file);
  ASSERT_EQ(t.events.size(), 2u);
  EXPECT_EQ(t.events[0].offset, first);
  EXPECT_EQ(t.events[1].offset, second);
  EXPECT_EQ(file[second], static_cast<std::uint8_t>(ev::m_park));
}

}  // namespace
