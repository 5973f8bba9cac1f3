// A seeded select workload: producers send unique ids over K channels of
// random capacities (0..8) with select send cases, sometimes with a
// default; consumers select over receive cases on all K channels plus a
// send case that forwards what they hold to a results channel, in both the
// variadic and the run-time list form; the main goroutine collects the
// results. Each producer owns two channels and is the only one to close
// them: one at a random point, the other after its last send, so nobody
// sends on a closed channel; consumers nil out the channels they see
// closed. Producers and consumers are goroutines and plain threads. Every
// id must be collected exactly once (a seen-bitmap, the count and a
// checksum of hashed ids). The workload is a function of the seed; the
// interleaving is not. GORT_TEST_SEED=<seed> repeats a run's workload.
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "gort/chan.hpp"
#include "gort/select.hpp"
#include "sched/internal/latch.hpp"
#include "support/procs_fixture.hpp"
#include "support/sanitizer.hpp"
#include "support/seed.hpp"

namespace {

using gort::case_default;
using gort::case_recv;
using gort::case_send;
using u64 = std::uint64_t;
using chan_t = gort::chan<u64>;
using gort::internal::latch;

constexpr int producers = 4;  // the last one is a plain thread
constexpr int consumers = 4;  // the last one is a plain thread
constexpr std::size_t k_chans = 2 * producers;
constexpr std::size_t queue_max = 4;  // values a consumer holds at most

class select_stress_test : public gort_test::procs_fixture {};
GORT_INSTANTIATE_PROCS(select_stress_test);

struct world {
  u64 per_producer;
  std::array<chan_t, k_chans> data;
  chan_t results;
  std::atomic<int> consumers_left{consumers};
};

// back_off: after a default, let the others run.
void back_off() { gort::yield(); }

// Producer p owns data[p] and data[p + producers].
void produce(world& w, int p, u64 seed) {
  std::mt19937_64 rng(seed);
  std::array<chan_t, 2> own{w.data[p], w.data[p + producers]};
  const std::size_t early = rng() % 2;  // which one closes early, if any
  const u64 close_at = rng() % 2 ? rng() % w.per_producer : w.per_producer;
  for (u64 i = 0; i < w.per_producer;) {
    if (i == close_at && !own[early].nil())
      std::exchange(own[early], {}).close();
    const u64 id = static_cast<u64>(p) * w.per_producer + i;
    const std::size_t r =
        rng() % 8 == 0
            ? gort::select(case_send(own[0], id), case_send(own[1], id),
                           case_default())
            : gort::select(case_send(own[0], id), case_send(own[1], id));
    if (r < 2)
      ++i;
    else
      back_off();
  }
  for (auto& c : own)
    if (!c.nil()) c.close();
}

struct consumer_state {
  std::array<chan_t, k_chans> in;
  std::size_t open = k_chans;
  std::deque<u64> held;

  auto on_recv(std::size_t k) {
    return [this, k](std::optional<u64> v) {
      if (v) {
        held.push_back(*v);
      } else {
        in[k] = {};
        --open;
      }
    };
  }
  auto on_sent() {
    return [this] { held.pop_front(); };
  }
};

// One select in the variadic form: receive cases on the channels (nil when
// not receiving), the send case (nil when holding nothing), maybe default.
// Returns whether the default ran.
template <std::size_t... K>
bool select_variadic(consumer_state& s, const chan_t& results, bool recv,
                     bool dflt, std::index_sequence<K...>) {
  const chan_t nil;
  const chan_t& out = s.held.empty() ? nil : results;
  const u64 v = s.held.empty() ? 0 : s.held.front();
  if (dflt) {
    return gort::select(case_recv(recv ? s.in[K] : nil, s.on_recv(K))...,
                        case_send(out, v, s.on_sent()),
                        case_default()) == k_chans + 1;
  }
  gort::select(case_recv(recv ? s.in[K] : nil, s.on_recv(K))...,
               case_send(out, v, s.on_sent()));
  return false;
}

// The same select in the run-time list form, without the nil cases.
bool select_list(consumer_state& s, const chan_t& results, bool recv,
                 bool dflt) {
  std::vector<gort::select_case> cases;
  for (std::size_t k = 0; k < k_chans; ++k)
    if (recv && !s.in[k].nil())
      cases.emplace_back(case_recv(s.in[k], s.on_recv(k)));
  if (!s.held.empty())
    cases.emplace_back(case_send(results, s.held.front(), s.on_sent()));
  if (dflt) cases.emplace_back(case_default());
  return gort::select(cases) == cases.size() - 1 && dflt;
}

void consume(world& w, u64 seed) {
  std::mt19937_64 rng(seed);
  consumer_state s{w.data, k_chans, {}};
  while (s.open > 0 || !s.held.empty()) {
    const bool recv = s.open > 0 && s.held.size() < queue_max;
    const bool dflt = rng() % 8 == 0;
    const bool ran_default =
        rng() % 2 ? select_list(s, w.results, recv, dflt)
                  : select_variadic(s, w.results, recv, dflt,
                                    std::make_index_sequence<k_chans>());
    if (ran_default) back_off();
  }
  if (--w.consumers_left == 0) w.results.close();
}

// run_workload runs one seeded workload and checks what was collected.
void run_workload(u64 seed, u64 per_producer) {
  std::mt19937_64 rng(seed);
  world w{per_producer, {}, {}};
  for (auto& c : w.data) c = gort::make_chan<u64>(rng() % 9);
  w.results = gort::make_chan<u64>(rng() % 9);
  const u64 total = per_producer * producers;
  std::vector<char> seen(total, 0);
  u64 count = 0, duplicates = 0, out_of_range = 0, checksum = 0;
  std::vector<std::thread> threads;
  gort::run([&] {
    for (int p = 0; p < producers; ++p) {
      const u64 s = gort_test::mix(seed ^ (0x100 + p));
      if (p == producers - 1)
        threads.emplace_back(produce, std::ref(w), p, s);
      else
        gort::go(produce, std::ref(w), p, s);
    }
    for (int c = 0; c < consumers; ++c) {
      const u64 s = gort_test::mix(seed ^ (0x200 + c));
      if (c == consumers - 1)
        threads.emplace_back(consume, std::ref(w), s);
      else
        gort::go(consume, std::ref(w), s);
    }
    for (u64 id : w.results) {
      ++count;
      if (id >= total) {
        ++out_of_range;
        continue;
      }
      duplicates += seen[id]++ != 0;
      checksum += gort_test::mix(id);
    }
  });
  for (auto& t : threads) t.join();
  u64 expected = 0;
  for (u64 id = 0; id < total; ++id) expected += gort_test::mix(id);
  EXPECT_EQ(count, total);
  EXPECT_EQ(duplicates, 0u);
  EXPECT_EQ(out_of_range, 0u);
  EXPECT_EQ(checksum, expected);
}

TEST_P(select_stress_test, every_value_is_received_exactly_once) {
  const u64 seed = gort_test::test_seed();
  const u64 per_producer = gort_test::scaled(10'000, 4'000, 2'000);
  for (u64 round = 0; round < 4; ++round) {
    SCOPED_TRACE("round " + std::to_string(round) + " of this seed");
    run_workload(gort_test::mix(seed + round), per_producer);
    if (HasFailure()) break;
  }
}

// A goroutine and a thread (polling with a default) send 2m values over two
// channels; a goroutine and two threads (one polling) receive them until
// both channels are closed. Every value arrives once.
TEST_P(select_stress_test, plain_threads_and_goroutines_select_together) {
  const int m = static_cast<int>(gort_test::scaled(20'000, 5'000, 2'000));
  auto a = gort::make_chan<int>(), b = gort::make_chan<int>(3);
  std::atomic<long long> sum{0};
  std::atomic<int> count{0};
  latch sent(2), received(3);
  auto produce = [&](int base, bool poll) {
    for (int i = 1; i <= m;) {
      if (!poll) {
        gort::select(case_send(a, base + i), case_send(b, base + i));
        ++i;
      } else if (gort::select(case_send(a, base + i), case_send(b, base + i),
                              case_default()) < 2) {
        ++i;
      } else {
        gort::yield();
      }
    }
    sent.count_down();
  };
  auto consume = [&](bool poll) {
    gort::chan<int> x = a, y = b;
    long long s = 0;
    int k = 0;
    auto hx = [&](std::optional<int> v) {
      v ? (void)(s += *v, ++k) : (void)(x = {});
    };
    auto hy = [&](std::optional<int> v) {
      v ? (void)(s += *v, ++k) : (void)(y = {});
    };
    while (!x.nil() || !y.nil()) {
      if (!poll)
        gort::select(case_recv(x, hx), case_recv(y, hy));
      else if (gort::select(case_recv(x, hx), case_recv(y, hy),
                            case_default()) == 2)
        gort::yield();
    }
    sum += s;
    count += k;
    received.count_down();
  };
  std::vector<std::thread> threads;
  gort::run([&] {
    threads.emplace_back(produce, m, true);
    threads.emplace_back(consume, false);
    threads.emplace_back(consume, true);
    gort::go(consume, false);
    gort::go(produce, 0, false);
    sent.wait();
    a.close();
    b.close();
    received.wait();
  });
  for (auto& t : threads) t.join();
  EXPECT_EQ(count.load(), 2 * m);
  EXPECT_EQ(sum.load(), 1LL * m * (2 * m + 1));
}

}  // namespace
