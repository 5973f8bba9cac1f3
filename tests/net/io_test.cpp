// gort::io (gort/io.hpp), tested from its contract.
//
// io_pipe_test (1, 2 and 4 processors): Go's io.Pipe.
//   write_waits_for_a_reader: a write parks until a read takes its bytes,
//     and returns all of them only then.
//   a_read_takes_from_one_write_only: two writes queued, a large read
//     buffer: the first read returns the first write's bytes and no more.
//   a_big_write_is_consumed_by_many_small_reads: one 256 KiB write, 7-byte
//     reads: the bytes arrive whole and in order, and the write returns
//     {all, ok} after the last read, not before.
//   concurrent_writes_never_interleave: 8 writers, one reader with random
//     buffer sizes: the stream is a sequence of whole writes (each write is
//     a run of one letter; see "Runs" below), each writer's in its order.
//   closing_the_writer_gives_eof_after_the_data: data, then {0, eof}, and
//     eof again.
//   close_with_error_on_the_writer_gives_that_error: reads end with it.
//   closing_the_writer_wakes_a_blocked_reader: a parked read gets eof.
//   closing_the_writer_cuts_short_a_blocked_write: a write parked with no
//     reader returns with an error; reads then get eof.
//   closing_the_reader_fails_a_blocked_write_with_closed: the parked write
//     returns {bytes taken, errc::closed}; later writes errc::closed.
//   close_with_error_on_the_reader_gives_that_error: writes fail with it.
//   the_first_close_wins: a second close_with_error does not replace the
//     first's error; close_with_error({}) means eof (writer) / closed
//     (reader).
//   destroying_the_writer_closes_it / destroying_the_reader_closes_it: the
//     last handle to an end going away wakes the other side's parked call.
//   an_empty_read_returns_at_once: {0, {}} with no writer in sight.
// io_test (1, 2 and 4 processors): the rest of package io.
//   copy_moves_everything_until_eof: a pipe fed in chunks, and a 1 MiB
//     string_reader: dst gets every byte, n counts them, err is empty.
//   copy_returns_the_read_error: a reader that fails: err is its error.
//   copy_returns_the_write_error_and_count: a writer that fails after k
//     bytes: n == k, err is its error.
//   read_full_reads_across_writes: 3-byte writes fill a 10-byte buffer.
//   read_full_says_eof_or_unexpected_eof: none before the end: eof; some:
//     unexpected_eof with n; an empty buffer: {0, {}}.
//   multi_writer_writes_to_each_in_turn: every writer gets every byte.
//   multi_writer_stops_at_the_first_error: that writer's count and error;
//     the writers after it get nothing; a short write without an error is
//     std::errc::io_error.
//   string_reader_reads_then_eof: chunks, then {0, eof} for good; an empty
//     buffer gives {0, {}}.
//   conn_stream_is_a_read_write_closer: io::copy over a connection through
//     the interfaces; close closes the conn.
// io_pipe_stress_test (4 and 8 processors, more than the 2 cores CI has):
//   many_writers_many_readers: a seeded number of writers and readers on
//     one pipe; every read's bytes come from one write (one letter), each
//     letter's byte total is what its writer wrote, and readers see eof
//     once the writers are done and the writer end is closed.
//
// Runs: writer w's write k is L(w, k) bytes of the letter 'A' + 2w + k % 2.
// Two adjacent writes never share a letter (different writers have
// different letters; one writer's consecutive writes alternate), so in a
// stream of whole writes every maximal run of one letter is exactly one
// write, and its length must be L(w, k) for that writer's next k.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include <gtest/gtest.h>

#include "gort/chan.hpp"
#include "gort/io.hpp"
#include "gort/sched.hpp"
#include "gort/stats.hpp"
#include "gort/wait_group.hpp"
#include "net/http_helpers.hpp"
#include "support/procs_fixture.hpp"
#include "support/seed.hpp"

namespace {

using namespace gort_test;
namespace io = gort::io;
using gort::errc;

class io_pipe_test : public procs_fixture {};
GORT_INSTANTIATE_PROCS(io_pipe_test);
class io_test : public procs_fixture {};
GORT_INSTANTIATE_PROCS(io_test);
class io_pipe_stress_test : public procs_fixture {};
INSTANTIATE_TEST_SUITE_P(procs, io_pipe_stress_test, ::testing::Values(4, 8),
                         procs_name);

const std::error_code custom_error = make_error_code(std::errc::protocol_error);

// parked_now counts the goroutines parked for any reason.
std::size_t parked_now() { return gort::stats().parked; }

// go_waiting is go_result for a call that must block in the pipe: it
// returns once one more goroutine is parked, so the caller acts on a
// waiter that is really asleep.
template <class F>
auto go_waiting(F f) {
  const std::size_t base = parked_now();
  auto out = go_result(std::move(f));
  if (!eventually([base] { return parked_now() >= base + 1; }))
    throw test_failure("the call never parked");
  return out;
}

// read_str reads once with a buffer of n bytes.
struct read_out {
  io::io_result r;
  std::string bytes;
};
read_out read_str(io::reader& rd, std::size_t n) {
  std::string buf(n, '\0');
  const auto r = rd.read(std::span<char>(buf));
  buf.resize(r.n);
  return {r, buf};
}

// run_length is L(w, k) of "Runs".
std::size_t run_length(std::uint64_t seed, int w, int k, std::size_t max) {
  return 1 + static_cast<std::size_t>(
                 mix(seed ^ (std::uint64_t(w) << 32) ^ std::uint64_t(k)) % max);
}
char run_letter(int w, int k) { return static_cast<char>('A' + 2 * w + k % 2); }

// write_runs writes writer w's `writes` runs and returns how many wrote
// in full.
int write_runs(io::writer& pw, std::uint64_t seed, int w, int writes,
               std::size_t max) {
  int good = 0;
  for (int k = 0; k < writes; ++k) {
    const std::string s(run_length(seed, w, k, max), run_letter(w, k));
    const auto r = pw.write(s);
    good += !r.err && r.n == s.size();
  }
  return good;
}

// check_runs checks that stream is whole writes of `writers` writers with
// `writes` each (see "Runs").
::testing::AssertionResult check_runs(const std::string& stream,
                                      std::uint64_t seed, int writers,
                                      int writes, std::size_t max) {
  std::vector<int> next(static_cast<std::size_t>(writers), 0);
  std::size_t i = 0;
  while (i < stream.size()) {
    std::size_t j = i;
    while (j < stream.size() && stream[j] == stream[i]) ++j;
    const int code = stream[i] - 'A';
    const int w = code / 2;
    if (code < 0 || w >= writers)
      return ::testing::AssertionFailure() << "byte " << i << " is foreign";
    const int k = next[static_cast<std::size_t>(w)]++;
    if (k >= writes || code % 2 != k % 2)
      return ::testing::AssertionFailure()
             << "byte " << i << ": writer " << w << "'s write " << k
             << " out of order";
    const std::size_t want = run_length(seed, w, k, max);
    if (j - i != want)
      return ::testing::AssertionFailure()
             << "byte " << i << ": writer " << w << "'s write " << k << " is "
             << want << " bytes, the run is " << (j - i)
             << " (writes interleaved)";
    i = j;
  }
  for (int w = 0; w < writers; ++w)
    if (next[static_cast<std::size_t>(w)] != writes)
      return ::testing::AssertionFailure()
             << "writer " << w << ": " << next[static_cast<std::size_t>(w)]
             << " of " << writes << " writes arrived";
  return ::testing::AssertionSuccess();
}

TEST_P(io_pipe_test, write_waits_for_a_reader) {
  gort::run([] {
    auto [r, w] = io::pipe();
    auto done = go_waiting([w = w] { return w->write("hello"); });
    EXPECT_EQ(done.size(), 0u) << "write returned with no reader";
    const auto got = read_str(*r, 16);
    EXPECT_EQ(got.bytes, "hello");
    EXPECT_FALSE(got.r.err);
    const auto res = recv_within(done);
    ASSERT_TRUE(res.has_value()) << "write never returned";
    EXPECT_EQ(res->n, 5u);
    EXPECT_FALSE(res->err) << res->err.message();
  });
}

TEST_P(io_pipe_test, a_read_takes_from_one_write_only) {
  gort::run([] {
    auto [r, w] = io::pipe();
    auto first = go_waiting([w = w] { return w->write("abc"); });
    auto second = go_waiting([w = w] { return w->write("defgh"); });
    const auto a = read_str(*r, 100);
    EXPECT_EQ(a.bytes, "abc") << "a read took from more than one write";
    const auto b = read_str(*r, 100);
    EXPECT_EQ(b.bytes, "defgh");
    EXPECT_TRUE(recv_within(first).has_value());
    EXPECT_TRUE(recv_within(second).has_value());
  });
}

TEST_P(io_pipe_test, a_big_write_is_consumed_by_many_small_reads) {
  gort::run([] {
    auto [r, w] = io::pipe();
    const std::string payload = seeded_payload(42, 256 * 1024);
    auto done = go_waiting([w = w, &payload] { return w->write(payload); });
    std::string got;
    while (got.size() < payload.size()) {
      const auto c = read_str(*r, 7);
      ASSERT_FALSE(c.r.err) << c.r.err.message();
      ASSERT_GT(c.bytes.size(), 0u);
      ASSERT_LE(c.bytes.size(), 7u);
      got += c.bytes;
      if (got.size() < payload.size()) {
        ASSERT_EQ(done.size(), 0u)
            << "write returned with " << payload.size() - got.size()
            << " bytes unread";
      }
    }
    EXPECT_TRUE(got == payload) << "bytes differ";
    const auto res = recv_within(done);
    ASSERT_TRUE(res.has_value());
    EXPECT_EQ(res->n, payload.size());
    EXPECT_FALSE(res->err);
  });
}

TEST_P(io_pipe_test, concurrent_writes_never_interleave) {
  gort::run([] {
    constexpr int writers = 8, writes = 40;
    constexpr std::size_t max = 3000;
    const std::uint64_t seed = test_seed();
    auto [r, w] = io::pipe();
    gort::wait_group wg;
    std::atomic<int> good{0};
    wg.add(writers);
    for (int i = 0; i < writers; ++i) {
      gort::go([&, i, w = w] {
        good.fetch_add(write_runs(*w, seed, i, writes, max));
        wg.done();
      });
    }
    gort::go([&, w = w] {
      wg.wait();
      w->close();
    });
    w.reset();
    std::string stream;
    std::uint64_t x = seed;
    for (;;) {
      x = mix(x);
      const auto c = read_str(*r, 1 + x % 4096);
      stream += c.bytes;
      if (c.r.err) {
        EXPECT_EQ(c.r.err, errc::eof) << c.r.err.message();
        break;
      }
    }
    EXPECT_EQ(good.load(), writers * writes);
    EXPECT_TRUE(check_runs(stream, seed, writers, writes, max));
  });
}

TEST_P(io_pipe_test, closing_the_writer_gives_eof_after_the_data) {
  gort::run([] {
    auto [r, w] = io::pipe();
    gort::go([w = w] {
      w->write("data");
      w->close();
    });
    const auto a = read_str(*r, 16);
    EXPECT_EQ(a.bytes, "data");
    EXPECT_FALSE(a.r.err);
    for (int i = 0; i < 2; ++i) {
      const auto e = read_str(*r, 16);
      EXPECT_EQ(e.r.n, 0u);
      EXPECT_EQ(e.r.err, errc::eof) << e.r.err.message();
    }
  });
}

TEST_P(io_pipe_test, close_with_error_on_the_writer_gives_that_error) {
  gort::run([] {
    auto [r, w] = io::pipe();
    gort::go([w = w] {
      w->write("x");
      EXPECT_FALSE(w->close_with_error(custom_error));
    });
    EXPECT_EQ(read_str(*r, 16).bytes, "x");
    for (int i = 0; i < 2; ++i) {
      const auto e = read_str(*r, 16);
      EXPECT_EQ(e.r.n, 0u);
      EXPECT_EQ(e.r.err, custom_error) << e.r.err.message();
    }
  });
}

TEST_P(io_pipe_test, closing_the_writer_wakes_a_blocked_reader) {
  gort::run([] {
    auto [r, w] = io::pipe();
    auto done = go_waiting([r = r] { return read_str(*r, 16).r; });
    w->close();
    const auto res = recv_within(done);
    ASSERT_TRUE(res.has_value()) << "close did not wake the read";
    EXPECT_EQ(res->n, 0u);
    EXPECT_EQ(res->err, errc::eof) << res->err.message();
  });
}

TEST_P(io_pipe_test, closing_the_writer_cuts_short_a_blocked_write) {
  gort::run([] {
    auto [r, w] = io::pipe();
    auto done = go_waiting([w = w] { return w->write("never read"); });
    w->close();
    const auto res = recv_within(done);
    ASSERT_TRUE(res.has_value()) << "close did not end the blocked write";
    EXPECT_EQ(res->n, 0u);
    EXPECT_TRUE(res->err) << "a write cut short by close reported success";
    const auto e = read_str(*r, 16);
    EXPECT_EQ(e.r.n, 0u) << "read got \"" << e.bytes << "\" after close";
    EXPECT_EQ(e.r.err, errc::eof) << e.r.err.message();
  });
}

TEST_P(io_pipe_test, closing_the_reader_fails_a_blocked_write_with_closed) {
  gort::run([] {
    auto [r, w] = io::pipe();
    auto done = go_waiting([w = w] { return w->write("0123456789"); });
    EXPECT_EQ(read_str(*r, 4).bytes, "0123");
    EXPECT_FALSE(r->close());
    const auto res = recv_within(done);
    ASSERT_TRUE(res.has_value()) << "close did not wake the write";
    EXPECT_EQ(res->n, 4u) << "n must count the bytes the reader took";
    EXPECT_EQ(res->err, errc::closed) << res->err.message();
    const auto again = w->write("more");
    EXPECT_EQ(again.n, 0u);
    EXPECT_EQ(again.err, errc::closed) << again.err.message();
  });
}

TEST_P(io_pipe_test, close_with_error_on_the_reader_gives_that_error) {
  gort::run([] {
    auto [r, w] = io::pipe();
    auto done = go_waiting([w = w] { return w->write("abc"); });
    EXPECT_FALSE(r->close_with_error(custom_error));
    const auto res = recv_within(done);
    ASSERT_TRUE(res.has_value());
    EXPECT_EQ(res->n, 0u);
    EXPECT_EQ(res->err, custom_error) << res->err.message();
    EXPECT_EQ(w->write("x").err, custom_error);
  });
}

TEST_P(io_pipe_test, the_first_close_wins) {
  gort::run([] {
    {
      auto [r, w] = io::pipe();
      w->close_with_error(custom_error);
      w->close_with_error(make_error_code(std::errc::io_error));
      w->close();
      EXPECT_EQ(read_str(*r, 4).r.err, custom_error);
    }
    {
      auto [r, w] = io::pipe();
      w->close_with_error({});
      EXPECT_EQ(read_str(*r, 4).r.err, errc::eof)
          << "close_with_error({}) on the writer must mean eof";
    }
    {
      auto [r, w] = io::pipe();
      r->close_with_error({});
      r->close_with_error(custom_error);
      EXPECT_EQ(w->write("x").err, errc::closed)
          << "close_with_error({}) on the reader must mean closed";
    }
  });
}

TEST_P(io_pipe_test, destroying_the_writer_closes_it) {
  gort::run([] {
    auto [r, w] = io::pipe();
    auto done = go_waiting([r = r] { return read_str(*r, 16).r; });
    w.reset();  // the last handle to the writer
    const auto res = recv_within(done);
    ASSERT_TRUE(res.has_value()) << "destroying the writer did not wake read";
    EXPECT_EQ(res->err, errc::eof) << res->err.message();
  });
}

TEST_P(io_pipe_test, destroying_the_reader_closes_it) {
  gort::run([] {
    auto [r, w] = io::pipe();
    auto done = go_waiting([w = w] { return w->write("lost"); });
    r.reset();  // the last handle to the reader
    const auto res = recv_within(done);
    ASSERT_TRUE(res.has_value()) << "destroying the reader did not wake write";
    EXPECT_EQ(res->n, 0u);
    EXPECT_EQ(res->err, errc::closed) << res->err.message();
  });
}

TEST_P(io_pipe_test, an_empty_read_returns_at_once) {
  gort::run([] {
    auto [r, w] = io::pipe();
    auto done =
        go_result([r = r] { return r->read(std::span<char>()).err ? 1 : 0; });
    const auto res = recv_within(done);
    ASSERT_TRUE(res.has_value()) << "an empty read waited for a writer";
    EXPECT_EQ(*res, 0);
  });
}

// failing_writer accepts `limit` bytes in all, then fails with err (or,
// with no err, returns a short count).
class failing_writer final : public io::writer {
 public:
  failing_writer(std::size_t limit, std::error_code err)
      : limit_(limit), err_(err) {}
  io::io_result write(std::string_view buf) override {
    const std::size_t n = std::min(buf.size(), limit_ - got.size());
    got.append(buf.substr(0, n));
    if (n < buf.size()) return {n, err_};
    return {n, {}};
  }
  std::string got;

 private:
  std::size_t limit_;
  std::error_code err_;
};

// failing_reader returns `data` then err.
class failing_reader final : public io::reader {
 public:
  failing_reader(std::string data, std::error_code err)
      : data_(std::move(data)), err_(err) {}
  io::io_result read(std::span<char> buf) override {
    if (buf.empty()) return {};
    if (data_.empty()) return {0, err_};
    const std::size_t n = std::min(buf.size(), data_.size());
    std::copy_n(data_.begin(), n, buf.begin());
    data_.erase(0, n);
    return {n, {}};
  }

 private:
  std::string data_;
  std::error_code err_;
};

TEST_P(io_test, copy_moves_everything_until_eof) {
  gort::run([] {
    auto [r, w] = io::pipe();
    const std::string payload = seeded_payload(7, 100'000);
    gort::go([w = w, &payload] {
      for (std::size_t at = 0; at < payload.size(); at += 999)
        w->write(std::string_view(payload).substr(at, 999));
      w->close();
    });
    std::string out;
    io::string_writer sw(out);
    const auto res = io::copy(sw, *r);
    EXPECT_FALSE(res.err) << res.err.message();
    EXPECT_EQ(res.n, payload.size());
    EXPECT_TRUE(out == payload);

    const std::string big = seeded_payload(8, 1 << 20);
    io::string_reader sr(big);
    std::string out2;
    io::string_writer sw2(out2);
    const auto res2 = io::copy(sw2, sr);
    EXPECT_FALSE(res2.err) << res2.err.message();
    EXPECT_EQ(res2.n, big.size());
    EXPECT_TRUE(out2 == big);
  });
}

TEST_P(io_test, copy_returns_the_read_error) {
  gort::run([] {
    failing_reader fr("some bytes", custom_error);
    std::string out;
    io::string_writer sw(out);
    const auto res = io::copy(sw, fr);
    EXPECT_EQ(res.err, custom_error) << res.err.message();
    EXPECT_EQ(res.n, 10u);
    EXPECT_EQ(out, "some bytes");
  });
}

TEST_P(io_test, copy_returns_the_write_error_and_count) {
  gort::run([] {
    const std::string payload = seeded_payload(9, 100'000);
    io::string_reader sr(payload);
    failing_writer fw(40'000, custom_error);
    const auto res = io::copy(fw, sr);
    EXPECT_EQ(res.err, custom_error) << res.err.message();
    EXPECT_EQ(res.n, 40'000u);
    EXPECT_TRUE(fw.got == payload.substr(0, 40'000));
  });
}

TEST_P(io_test, read_full_reads_across_writes) {
  gort::run([] {
    auto [r, w] = io::pipe();
    gort::go([w = w] {
      for (const char* s : {"abc", "def", "ghi", "jkl"}) w->write(s);
      w->close();
    });
    std::string buf(10, '\0');
    const auto res = io::read_full(*r, std::span<char>(buf));
    EXPECT_EQ(res.n, 10u);
    EXPECT_FALSE(res.err) << res.err.message();
    EXPECT_EQ(buf, "abcdefghij");
    // Drain the rest so that the writer goroutine ends.
    std::string rest(8, '\0');
    const auto tail = io::read_full(*r, std::span<char>(rest));
    EXPECT_EQ(tail.n, 2u);
    EXPECT_EQ(tail.err, errc::unexpected_eof) << tail.err.message();
  });
}

TEST_P(io_test, read_full_says_eof_or_unexpected_eof) {
  gort::run([] {
    std::string buf(8, '\0');
    io::string_reader none("");
    const auto a = io::read_full(none, std::span<char>(buf));
    EXPECT_EQ(a.n, 0u);
    EXPECT_EQ(a.err, errc::eof) << a.err.message();
    io::string_reader some("abc");
    const auto b = io::read_full(some, std::span<char>(buf));
    EXPECT_EQ(b.n, 3u);
    EXPECT_EQ(b.err, errc::unexpected_eof) << b.err.message();
    io::string_reader exact("12345678");
    const auto c = io::read_full(exact, std::span<char>(buf));
    EXPECT_EQ(c.n, 8u);
    EXPECT_FALSE(c.err) << c.err.message();
    io::string_reader any("x");
    const auto d = io::read_full(any, std::span<char>());
    EXPECT_EQ(d.n, 0u);
    EXPECT_FALSE(d.err);
    failing_reader fr("ab", custom_error);
    const auto e = io::read_full(fr, std::span<char>(buf));
    EXPECT_EQ(e.n, 2u);
    EXPECT_EQ(e.err, custom_error) << e.err.message();
  });
}

TEST_P(io_test, multi_writer_writes_to_each_in_turn) {
  gort::run([] {
    std::string a, b;
    io::multi_writer mw({std::make_shared<io::string_writer>(a),
                         std::make_shared<io::string_writer>(b)});
    EXPECT_EQ(mw.write("one ").n, 4u);
    const auto res = mw.write("two");
    EXPECT_EQ(res.n, 3u);
    EXPECT_FALSE(res.err);
    EXPECT_EQ(a, "one two");
    EXPECT_EQ(b, "one two");

    // Through a pipe too: a pipe writer in a multi-writer waits for its
    // reader.
    auto [r, w] = io::pipe();
    std::string c;
    io::multi_writer both({std::make_shared<io::string_writer>(c), w});
    auto done = go_waiting([&] { return both.write("piped"); });
    EXPECT_EQ(read_str(*r, 16).bytes, "piped");
    const auto pr = recv_within(done);
    ASSERT_TRUE(pr.has_value());
    EXPECT_EQ(pr->n, 5u);
    EXPECT_EQ(c, "piped");
  });
}

TEST_P(io_test, multi_writer_stops_at_the_first_error) {
  gort::run([] {
    std::string before, after;
    auto fw = std::make_shared<failing_writer>(3, custom_error);
    io::multi_writer mw({std::make_shared<io::string_writer>(before), fw,
                         std::make_shared<io::string_writer>(after)});
    const auto res = mw.write("abcdef");
    EXPECT_EQ(res.n, 3u) << "n is the failing writer's count";
    EXPECT_EQ(res.err, custom_error) << res.err.message();
    EXPECT_EQ(before, "abcdef");
    EXPECT_EQ(after, "") << "a writer after the failing one was written";

    auto shortw = std::make_shared<failing_writer>(2, std::error_code());
    std::string tail;
    io::multi_writer ms({shortw, std::make_shared<io::string_writer>(tail)});
    const auto sres = ms.write("abcdef");
    EXPECT_EQ(sres.n, 2u);
    EXPECT_EQ(sres.err, std::errc::io_error) << sres.err.message();
    EXPECT_EQ(tail, "");
  });
}

TEST_P(io_test, string_reader_reads_then_eof) {
  gort::run([] {
    io::string_reader sr("hello, world");
    EXPECT_EQ(read_str(sr, 5).bytes, "hello");
    const auto empty = sr.read(std::span<char>());
    EXPECT_EQ(empty.n, 0u);
    EXPECT_FALSE(empty.err);
    EXPECT_EQ(read_str(sr, 100).bytes, ", world");
    for (int i = 0; i < 2; ++i) {
      const auto e = read_str(sr, 100);
      EXPECT_EQ(e.r.n, 0u);
      EXPECT_EQ(e.r.err, errc::eof) << e.r.err.message();
    }
    io::string_reader nothing("");
    EXPECT_EQ(read_str(nothing, 4).r.err, errc::eof);
  });
}

TEST_P(io_test, conn_stream_is_a_read_write_closer) {
  gort::run([] {
    auto p = connected_pair();
    io::conn_stream client(p.client), server(p.server);
    io::read_write_closer& c = client;
    const std::string payload = seeded_payload(11, 300'000);
    gort::go([&c, &payload] {
      c.write(payload);
      static_cast<io::conn_stream&>(c).conn().close_write();
    });
    std::string out;
    io::string_writer sw(out);
    const auto res = io::copy(sw, server);
    EXPECT_FALSE(res.err) << res.err.message();
    EXPECT_TRUE(out == payload);
    EXPECT_FALSE(c.close());
    EXPECT_EQ(p.client.close(), errc::closed)
        << "conn_stream::close must close the shared conn";
    EXPECT_FALSE(server.close());
  });
}

TEST_P(io_pipe_stress_test, many_writers_many_readers) {
  const std::uint64_t seed = test_seed();
  gort::run([seed] {
    const int writers = 4 + static_cast<int>(mix(seed) % 13);  // 4..16
    const int readers = 1 + static_cast<int>(mix(seed + 1) % 6);
    const int writes = static_cast<int>(scaled(400, 100, 40));
    constexpr std::size_t max = 3000;
    std::printf("[   info   ] %d writers x %d writes, %d readers, %d procs\n",
                writers, writes, readers, gort::maxprocs());
    auto [r, w] = io::pipe();
    gort::wait_group wwg, rwg;
    std::atomic<int> good{0};
    wwg.add(writers);
    for (int i = 0; i < writers; ++i) {
      gort::go([&, i, w = w] {
        good.fetch_add(write_runs(*w, seed, i, writes, max));
        wwg.done();
      });
    }
    gort::go([&, w = w] {
      wwg.wait();
      w->close();
    });
    w.reset();
    std::vector<std::map<char, std::size_t>> totals(
        static_cast<std::size_t>(readers));
    std::atomic<int> mixed{0}, bad_end{0};
    rwg.add(readers);
    for (int i = 0; i < readers; ++i) {
      gort::go([&, i, r = r] {
        std::uint64_t x = mix(seed ^ (0x1000u + std::uint64_t(i)));
        auto& mine = totals[static_cast<std::size_t>(i)];
        for (;;) {
          x = mix(x);
          const auto c = read_str(*r, 1 + x % 5000);
          if (!c.bytes.empty()) {
            if (c.bytes.find_first_not_of(c.bytes[0]) != std::string::npos)
              mixed.fetch_add(1);
            mine[c.bytes[0]] += c.bytes.size();
          }
          if (c.r.err) {
            if (c.r.err != errc::eof) bad_end.fetch_add(1);
            break;
          }
          if (i % 2 == 1 && x % 7 == 0) gort::yield();
        }
        rwg.done();
      });
    }
    rwg.wait();
    EXPECT_EQ(good.load(), writers * writes);
    EXPECT_EQ(mixed.load(), 0) << "reads took bytes from more than one write";
    EXPECT_EQ(bad_end.load(), 0) << "a reader ended with an error, not eof";
    std::map<char, std::size_t> want, got;
    for (int i = 0; i < writers; ++i)
      for (int k = 0; k < writes; ++k)
        want[run_letter(i, k)] += run_length(seed, i, k, max);
    for (const auto& t : totals)
      for (const auto& [ch, n] : t) got[ch] += n;
    EXPECT_EQ(got, want) << "bytes lost or duplicated";
  });
}

}  // namespace
