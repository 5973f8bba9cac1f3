// The reader on truncated and corrupt traces: each is a trace_error whose
// message names the byte where the bad field starts, and nothing crashes,
// reads out of bounds or allocates from an unchecked length (run under
// ASan + UBSan). The writers run on whatever parses.
#include <cstdint>
#include <random>
#include <set>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "support/seed.hpp"
#include "tools/encoder.hpp"
#include "tools/json.hpp"
#include "tools/sample_trace.hpp"
#include "tools/trace/chrome.hpp"
#include "tools/trace/reader.hpp"
#include "tools/trace/schedtrace.hpp"
#include "tools/trace/summary.hpp"
#include "tools/trace/timeline.hpp"

namespace {

using namespace gort_test::trace;
using fmt::ev;

constexpr std::size_t first_batch = fmt::header_bytes;
constexpr std::size_t first_event = first_batch + fmt::batch_head_bytes;
static_assert(first_event == 57, "the messages below spell out offsets");

// error_of parses b, which must fail, and returns the error.
gort_trace::trace_error error_of(const bytes& b) {
  try {
    gort_trace::parse(b);
  } catch (const gort_trace::trace_error& e) {
    return e;
  }
  ADD_FAILURE() << "parsed a malformed trace";
  return gort_trace::trace_error(~std::size_t{0}, "none");
}

// expect_error checks that b fails at byte offset with a message containing
// text, and that the message starts with "byte <offset>: ".
void expect_error(const bytes& b, std::size_t offset, const std::string& text) {
  auto e = error_of(b);
  std::string what = e.what();
  EXPECT_EQ(e.offset(), offset) << what;
  EXPECT_EQ(what.rfind(gort_trace::cat("byte ", offset, ": "), 0), 0u) << what;
  EXPECT_NE(what.find(text), std::string::npos) << what;
}

// one_batch is a trace with one batch of worker 1 whose payload is raw.
bytes one_batch(std::initializer_list<std::uint8_t> raw) {
  builder b;
  b.batch(1, 0).raw(raw);
  return b.done();
}

void put_var_into(bytes& out, std::uint64_t v) { put_var(out, v); }

// batch_with builds header + one batch whose payload is payload, with the
// payload length field set to its size.
bytes batch_with(const bytes& payload) {
  builder b;
  b.batch(1, 0);
  bytes out = b.done();
  out.insert(out.end(), payload.begin(), payload.end());
  auto n = static_cast<std::uint32_t>(payload.size());
  for (std::size_t i = 0; i < 4; ++i)
    out[first_batch + payload_field + i] =
        static_cast<std::uint8_t>(n >> (8 * i));
  return out;
}

// run_writers runs every writer on a parsed trace; the Chrome output must
// be valid JSON.
void run_writers(const gort_trace::trace& t) {
  std::ostringstream summary, chrome, sched;
  gort_trace::write_summary(summary, t, "fuzzed");
  gort_trace::write_chrome(chrome, t);
  gort_trace::write_schedtrace(sched, t);
  EXPECT_NO_THROW(gort_test::json::parse(chrome.str()));
}

TEST(trace_malformed, header_errors) {
  expect_error({}, 0, "empty file");
  bytes magic = header(0, 0);
  magic[7] = '2';
  expect_error(magic, 0, "bad magic \"GORTTRC2\": not a gort trace");
  expect_error({'G', 'O', 'X'}, 0, "bad magic \"GOX\"");
  expect_error({'G', 'O', 'R', 'T', 'T', 'R'}, 0,
               "file of 6 bytes ends inside the 32-byte header");
  bytes cut = header(0, 0);
  cut.resize(31);
  expect_error(cut, 0, "ends inside the 32-byte header");
  expect_error(header(0, 0, 2), 8,
               "trace version 2, but this reader knows "
               "version 1");
  expect_error(header(0, 0, 1, 40), 12, "header_bytes is 40");
}

TEST(trace_malformed, batch_head_errors) {
  bytes b = header(0, 0);
  b.push_back(static_cast<std::uint8_t>(ev::go_start));
  expect_error(b, first_batch,
               "expected a batch (kind 0), found go_start (kind 5)");
  b.back() = 250;
  expect_error(b, first_batch, "found kind(250) (kind 250)");

  b = header(0, 0);
  b.insert(b.end(), {0, 1, 2});
  expect_error(b, first_batch, "file ends inside a batch head (3 of 25 bytes)");
}

TEST(trace_malformed, payload_lengths_are_checked_before_use) {
  bytes b = builder().batch(1, 0).done();
  for (std::size_t i = 0; i < 4; ++i) b[first_batch + payload_field + i] = 0xFF;
  expect_error(b, first_batch + payload_field,
               "batch payload of 4294967295 bytes exceeds the format's "
               "maximum of 1048576");

  b = builder().batch(1, 0).raw({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}).done();
  b[first_batch + payload_field] = 5000 & 0xFF;
  b[first_batch + payload_field + 1] = 5000 >> 8;
  auto e = error_of(b);
  EXPECT_STREQ(e.what(),
               "byte 53: batch payload of 5000 bytes but only 12 left");
  EXPECT_EQ(e.offset(), 53u);
}

TEST(trace_malformed, huge_string_lengths) {
  // site: kind, dt, site, line, then the file's length.
  bytes p = {static_cast<std::uint8_t>(ev::site), 0, 1, 1};
  put_var_into(p, std::uint64_t{1} << 40);
  expect_error(batch_with(p), first_event + 4,
               "string of 1099511627776 bytes exceeds the format's maximum "
               "of 4096 (site event at byte 57)");
  p = {static_cast<std::uint8_t>(ev::site), 0, 1, 1, 100, 'a', 'b', 'c'};
  expect_error(batch_with(p), first_event + 4,
               "string of 100 bytes but only 3 bytes left in the batch");
  // The second string.
  p = {static_cast<std::uint8_t>(ev::site), 0, 1, 1, 1, 'a', 9, 'b'};
  expect_error(batch_with(p), first_event + 6,
               "string of 9 bytes but only 1 bytes left in the batch");
}

TEST(trace_malformed, huge_list_counts) {
  bytes head = {static_cast<std::uint8_t>(ev::sched), 0, 1, 2, 3, 4, 5, 6};
  bytes p = head;
  put_var_into(p, std::uint64_t{1} << 62);
  expect_error(batch_with(p), first_event + 8,
               "list of 4611686018427387904 entries exceeds the format's "
               "maximum of 1024");
  p = head;
  put_var_into(p, 1000);
  p.insert(p.end(), {1, 2});
  expect_error(batch_with(p), first_event + 8,
               "list of 1000 entries but only 2 bytes left in the batch");
  p = head;
  p.insert(p.end(), {3, 1, 2});  // three entries, two bytes
  expect_error(batch_with(p), first_event + 8,
               "list of 3 entries but only 2 bytes left in the batch");
  p = head;
  p.insert(p.end(), {2, 0x80, 0x80});  // the first entry runs off the end
  expect_error(batch_with(p), first_event + 9,
               "sched event at byte 57 overruns its batch (which ends at byte "
               "68) in its list entry");
}

TEST(trace_malformed, varints) {
  auto go_start = static_cast<std::uint8_t>(ev::go_start);
  expect_error(one_batch({go_start, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
                          0x80, 0x80, 0x80, 0x01}),
               first_event + 1, "varint longer than 10 bytes in the dt");
  expect_error(one_batch({go_start, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                          0xFF, 0xFF, 0x02, 0}),
               first_event + 2,
               "varint overflows 64 bits in the argument goid (go_start "
               "event at byte 57)");
  // The largest 10-byte varint is fine.
  bytes ok = one_batch({go_start, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                        0xFF, 0xFF, 0x01, 3});
  auto t = gort_trace::parse(ok);
  ASSERT_EQ(t.events.size(), 1u);
  EXPECT_EQ(t.events[0].args[0], UINT64_MAX);
  EXPECT_EQ(t.events[0].args[1], 3u);
}

TEST(trace_malformed, unknown_and_misplaced_kinds) {
  expect_error(one_batch({200, 0}), first_event,
               "unknown event kind 200 (in the batch at byte 32)");
  const auto first_unknown = static_cast<std::uint8_t>(ev::count_);
  expect_error(one_batch({first_unknown, 0}), first_event,
               "unknown event kind " + std::to_string(first_unknown));
  expect_error(one_batch({static_cast<std::uint8_t>(ev::go_end), 0, 1, 0}),
               first_event + 3,
               "a batch head (kind 0) inside the payload of the batch at "
               "byte 32");
}

TEST(trace_malformed, an_event_may_not_overrun_its_batch) {
  // go_start's proc would be the next batch's kind byte.
  builder b;
  b.batch(1, 0).raw({static_cast<std::uint8_t>(ev::go_start), 0, 7});
  b.batch(2, 0).ev(ev::go_end, 1, {1});
  expect_error(b.done(), first_event + 3,
               "go_start event at byte 57 overruns its batch (which ends at "
               "byte 60) in its argument proc");
  expect_error(one_batch({static_cast<std::uint8_t>(ev::m_park)}),
               first_event + 1, "overruns its batch");
}

TEST(trace_malformed, ticks_may_not_wrap) {
  builder b;
  b.batch(1, UINT64_MAX - 5)
      .raw({static_cast<std::uint8_t>(ev::go_end), 10, 1});
  expect_error(b.done(), first_event + 1, "wraps the 64-bit tick count");
}

TEST(trace_malformed, extreme_times_do_not_overflow) {
  // Found by tools/fuzz.sh: clock pairs whose fitted line puts events at
  // both ends of the clamped range; the span was 2^63 and overflowed.
  const bytes b = {
      0x47, 0x4f, 0x52, 0x54, 0x54, 0x52, 0x43, 0x31, 0x01, 0x00, 0x00, 0x00,
      0x20, 0x00, 0x00, 0x00, 0xe8, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0xb8, 0x0b, 0x00, 0x00, 0x00, 0x00, 0x00, 0xad, 0x00, 0x01, 0x00, 0x00,
      0x00, 0x48, 0xf5, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x00, 0x5d, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01,
      0x2a, 0x08, 0x6d, 0x61, 0x69, 0x6e, 0x2e, 0x63, 0x70, 0x70, 0x0a, 0x69,
      0x6e, 0x74, 0x20, 0x6d, 0x61, 0x69, 0x6e, 0x28, 0x29, 0x02, 0x03, 0x00,
      0x03, 0x04, 0x02, 0x01, 0x01, 0x05, 0x03, 0x02, 0x00, 0x06, 0x03, 0x02,
      0x05, 0x03, 0x02, 0x00, 0x07, 0x03, 0x02, 0x01, 0x08, 0x03, 0x02, 0x00,
      0x05, 0x03, 0x02, 0xfe, 0x0f, 0x03, 0x02, 0x00, 0x10, 0x03, 0x02, 0x05,
      0x03, 0x02, 0x00, 0x09, 0x03, 0x02, 0x0a, 0x03, 0x00, 0x01, 0x04, 0x02,
      0x05, 0x01, 0x0c, 0x03, 0x0d, 0x03, 0x00, 0x0e, 0x02, 0x00, 0x01, 0x03,
      0x03, 0x03, 0x00, 0x13, 0x03, 0x04, 0x00, 0xfe, 0xff, 0xff, 0xff, 0xf4,
      0x0b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xfc, 0x03, 0x00, 0x00, 0x00,
      0x5b, 0x00, 0x00, 0x15, 0x00, 0x00, 0x00, 0x11, 0x00, 0x01, 0x00, 0x11,
      0x03, 0x02, 0x01, 0x12, 0x03, 0x04, 0x02, 0x05, 0x01, 0x02, 0x03, 0x04,
      0x01, 0x00, 0x02, 0x00};
  gort_trace::trace t = gort_trace::parse(b);
  ASSERT_FALSE(t.events.empty());
  EXPECT_EQ(t.events.front().ns, -gort_trace::max_time);
  EXPECT_EQ(t.events.back().ns, gort_trace::max_time);
  run_writers(t);
  auto tl = gort_trace::build_timeline(t);
  EXPECT_EQ(gort_trace::summarize(t, tl).span, 2 * gort_trace::max_time);
}

TEST(trace_malformed, every_truncation_parses_or_names_a_byte_inside) {
  bytes full = sample_trace();
  gort_trace::trace t = gort_trace::parse(full);
  std::set<std::size_t> boundaries = {fmt::header_bytes};
  for (const auto& b : t.batches)
    boundaries.insert(b.offset + fmt::batch_head_bytes + b.payload);
  EXPECT_EQ(*boundaries.rbegin(), full.size());
  for (std::size_t n = 0; n <= full.size(); ++n) {
    SCOPED_TRACE(gort_trace::cat("cut at ", n));
    bytes cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
    if (boundaries.count(n)) {
      gort_trace::trace part = gort_trace::parse(cut);
      run_writers(part);
    } else {
      auto e = error_of(cut);
      EXPECT_LE(e.offset(), n) << e.what();
    }
  }
}

TEST(trace_malformed, random_bytes_and_mutations_never_crash) {
  std::mt19937_64 rng(gort_test::test_seed());
  bytes base = sample_trace();
  int parsed = 0;
  for (int i = 0; i < 30000; ++i) {
    bytes b;
    switch (i % 3) {
      case 0: {  // random bytes, sometimes behind a good header
        b = (rng() & 1) ? header(rng() % 1000, rng() % 1000) : bytes{};
        std::size_t n = rng() % 200;
        for (std::size_t j = 0; j < n; ++j)
          b.push_back(static_cast<std::uint8_t>(rng()));
        break;
      }
      case 1: {  // a good header and a batch head, then random events
        b = builder().batch(static_cast<std::uint32_t>(rng() % 4), 0).done();
        std::size_t n = rng() % 100;
        for (std::size_t j = 0; j < n; ++j)
          b.push_back(static_cast<std::uint8_t>(rng() % 24));
        auto len = static_cast<std::uint32_t>(n);
        for (std::size_t j = 0; j < 4; ++j)
          b[first_batch + payload_field + j] =
              static_cast<std::uint8_t>(len >> (8 * j));
        break;
      }
      default: {  // a few bytes of a good trace changed
        b = base;
        for (int k = 1 + static_cast<int>(rng() % 4); k > 0; --k)
          b[fmt::header_bytes + rng() % (b.size() - fmt::header_bytes)] =
              static_cast<std::uint8_t>(rng());
        break;
      }
    }
    try {
      gort_trace::trace t = gort_trace::parse(b);
      ++parsed;
      run_writers(t);
    } catch (const gort_trace::trace_error& e) {
      ASSERT_LE(e.offset(), b.size()) << e.what();
      ASSERT_EQ(std::string(e.what()).rfind(
                    gort_trace::cat("byte ", e.offset(), ": "), 0),
                0u);
    }
  }
  EXPECT_GT(parsed, 100);  // the writers were exercised too
}

}  // namespace
