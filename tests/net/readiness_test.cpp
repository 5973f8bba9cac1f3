// Readiness racing the park (netpoll.md §6.3): an edge that arrives
// between a read's EAGAIN and its park must end the wait, or the reader
// sleeps with data buffered. Small writes make such edges frequent.
//
// A seeded stress: several connections, each with a writer goroutine per
// direction sending a seeded stream in random small pieces (sometimes
// yielding between them) and a reader goroutine per direction reading
// with random small buffers. Every stream ends with close_write; every
// reader checks the length and the checksum of what it got. A lost edge
// shows up as a hang (the watchdog reports it), a lost or doubled byte as
// a checksum mismatch. GORT_TEST_SEED=<seed> repeats the run's choices.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "gort/net.hpp"
#include "gort/sched.hpp"
#include "gort/wait_group.hpp"
#include "net/net_helpers.hpp"
#include "support/procs_fixture.hpp"
#include "support/sanitizer.hpp"
#include "support/seed.hpp"

namespace {

using namespace gort_test;
using gort::errc;

class net_readiness_test : public procs_fixture {};
GORT_INSTANTIATE_PROCS(net_readiness_test);

// send_in_pieces writes payload on c in random pieces of 1..max_piece
// bytes, then closes c's write side.
void send_in_pieces(const net::conn& c, std::string_view payload,
                    std::uint64_t seed, std::size_t max_piece,
                    std::atomic<int>& errors) {
  std::mt19937_64 rng(seed);
  std::size_t at = 0;
  while (at < payload.size()) {
    const std::size_t n =
        std::min<std::size_t>(1 + rng() % max_piece, payload.size() - at);
    if (c.write(payload.substr(at, n)).err) {
      errors.fetch_add(1);
      return;
    }
    at += n;
    if (rng() % 4 == 0) gort::yield();
  }
  c.close_write();
}

// receive_in_pieces reads c with random buffer sizes until end of stream
// and returns the bytes, flagging any error but eof.
std::string receive_in_pieces(const net::conn& c, std::uint64_t seed,
                              std::size_t max_piece, std::atomic<int>& errors) {
  std::mt19937_64 rng(seed);
  std::string got;
  std::string buf(max_piece, '\0');
  for (;;) {
    const std::size_t n = 1 + rng() % max_piece;
    const auto r = c.read(std::span<char>(buf.data(), n));
    got.append(buf.data(), r.n);
    if (r.err) {
      if (r.err != errc::eof) errors.fetch_add(1);
      return got;
    }
  }
}

TEST_P(net_readiness_test, small_writes_and_reads_lose_no_wakeup) {
  const std::uint64_t seed = test_seed();
  const int conns = 8;
  const std::size_t bytes = scaled(256 * 1024, 32 * 1024, 16 * 1024);
  gort::run([=] {
    std::vector<conn_pair> pairs;
    for (int i = 0; i < conns; ++i)
      pairs.push_back(connected_pair(i % 2 == 0 ? "tcp" : "unix"));
    std::atomic<int> errors{0};
    std::atomic<int> mismatches{0};
    gort::wait_group wg;
    for (int i = 0; i < conns; ++i) {
      for (int dir = 0; dir < 2; ++dir) {
        const std::uint64_t s = mix(seed + static_cast<unsigned>(2 * i + dir));
        const net::conn from = dir == 0 ? pairs[i].client : pairs[i].server;
        const net::conn to = dir == 0 ? pairs[i].server : pairs[i].client;
        const std::size_t max_piece = 1 + s % 64;
        wg.add(2);
        gort::go([=, &errors, &wg] {
          send_in_pieces(from, seeded_payload(s, bytes), mix(s), max_piece,
                         errors);
          wg.done();
        });
        gort::go([=, &errors, &mismatches, &wg] {
          const std::string got =
              receive_in_pieces(to, mix(s + 1), max_piece, errors);
          if (got.size() != bytes ||
              checksum(got) != checksum(seeded_payload(s, bytes)))
            mismatches.fetch_add(1);
          wg.done();
        });
      }
    }
    wg.wait();
    EXPECT_EQ(errors.load(), 0);
    EXPECT_EQ(mismatches.load(), 0) << "a byte was lost, doubled or moved";
    for (const auto& p : pairs) close_both(p);
  });
}

}  // namespace
