// A channel against a reference model, and many producers and consumers
// against the conservation of values.
//
// Sequential: a seeded random sequence of operations whose outcome does not
// depend on timing (try-send and try-recv as a select with a default,
// blocking send and recv only when the model says they cannot block,
// close, size, capacity) runs on a gort channel and on a mutex+deque model
// of Go's rules; each step's result must match. Channels of random capacity
// (unbuffered included) come and go; the sequence runs on a plain thread
// and on a goroutine.
//
// Concurrent: producers and consumers, goroutines and plain threads, mixing
// blocking and non-blocking operations on one channel. Every value must be
// received exactly once (count, sum, and a sum of hashes), and each
// consumer must see each producer's values in the order they were sent
// (Go's FIFO: a value sent earlier is dequeued earlier).
// GORT_TEST_SEED=<seed> repeats a run's choices.
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "gort/chan.hpp"
#include "gort/errors.hpp"
#include "gort/sched.hpp"
#include "gort/select.hpp"
#include "sched/internal/latch.hpp"
#include "support/procs_fixture.hpp"
#include "support/sanitizer.hpp"
#include "support/seed.hpp"

namespace {

using gort::internal::latch;

class chan_model_test : public gort_test::procs_fixture {};
GORT_INSTANTIATE_PROCS(chan_model_test);

enum class send_result { sent, would_block, closed };
// A try-recv result: nullopt if it would block, else what recv returns.
using recv_result = std::optional<std::optional<int>>;

// model_chan is Go's channel rules over a deque.
class model_chan {
 public:
  explicit model_chan(std::size_t cap) : cap_(cap) {}
  send_result try_send(int v) {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return send_result::closed;
    if (q_.size() >= cap_) return send_result::would_block;
    q_.push_back(v);
    return send_result::sent;
  }
  recv_result try_recv() {
    std::lock_guard<std::mutex> lock(mu_);
    if (!q_.empty()) {
      const int v = q_.front();
      q_.pop_front();
      return recv_result(std::in_place, v);
    }
    if (closed_) return recv_result(std::in_place, std::nullopt);
    return std::nullopt;
  }
  bool close() {  // false: already closed (gort throws)
    std::lock_guard<std::mutex> lock(mu_);
    return !std::exchange(closed_, true);
  }
  std::size_t size() {
    std::lock_guard<std::mutex> lock(mu_);
    return q_.size();
  }
  std::size_t capacity() const { return cap_; }

 private:
  std::mutex mu_;
  std::deque<int> q_;
  const std::size_t cap_;
  bool closed_ = false;
};

send_result try_send(const gort::chan<int>& c, int v, bool view) {
  try {
    const std::size_t i =
        view ? gort::select(gort::case_send(gort::send_chan<int>(c), v),
                            gort::case_default())
             : gort::select(gort::case_send(c, v), gort::case_default());
    return i == 0 ? send_result::sent : send_result::would_block;
  } catch (const gort::usage_error&) {
    return send_result::closed;
  }
}

recv_result try_recv(const gort::chan<int>& c, bool view) {
  std::optional<int> got;
  auto on_recv = [&](std::optional<int> v) { got = v; };
  const std::size_t i =
      view ? gort::select(gort::case_recv(gort::recv_chan<int>(c), on_recv),
                          gort::case_default())
           : gort::select(gort::case_recv(c, on_recv), gort::case_default());
  if (i == 1) return std::nullopt;
  return recv_result(std::in_place, got);
}

std::string show(const recv_result& r) {
  if (!r) return "would block";
  if (!*r) return "closed";
  return std::to_string(**r);
}

const char* show(send_result r) {
  switch (r) {
    case send_result::sent:
      return "sent";
    case send_result::would_block:
      return "would block";
    case send_result::closed:
      return "closed";
  }
  return "?";
}

// run_sequence applies `steps` random operations to channels and models,
// a new pair every so often. Stops at the first mismatch.
void run_sequence(std::uint64_t seed, std::size_t steps) {
  std::mt19937_64 rng(seed);
  auto pick = [&](std::uint64_t n) { return rng() % n; };
  int next = 0;
  std::size_t step = 0;
  while (step < steps) {
    const std::size_t cap = pick(4) == 0 ? 16 + pick(50) : pick(6);
    auto c = gort::make_chan<int>(cap);
    model_chan m(cap);
    const std::size_t episode = 1 + pick(600);
    for (std::size_t e = 0; e < episode && step < steps; ++e, ++step) {
      SCOPED_TRACE("step " + std::to_string(step) + ", capacity " +
                   std::to_string(cap));
      const bool view = pick(2) == 0;
      const std::uint64_t op = pick(100);
      if (op < 35) {  // try-send
        const int v = next++;
        const send_result want = m.try_send(v);
        const send_result got = try_send(c, v, view);
        ASSERT_EQ(show(got), show(want)) << "try-send " << v;
      } else if (op < 70) {  // try-recv
        const recv_result want = m.try_recv();
        const recv_result got = try_recv(c, view);
        ASSERT_EQ(show(got), show(want)) << "try-recv";
      } else if (op < 84) {  // blocking send where it cannot block
        const int v = next++;
        const send_result want = m.try_send(v);
        if (want == send_result::would_block) continue;
        send_result got = send_result::sent;
        try {
          view ? gort::send_chan<int>(c).send(v) : c.send(v);
        } catch (const gort::usage_error&) {
          got = send_result::closed;
        }
        ASSERT_EQ(show(got), show(want)) << "send " << v;
      } else if (op < 98) {  // blocking recv where it cannot block
        const recv_result want = m.try_recv();
        if (!want) continue;
        const std::optional<int> got =
            view ? gort::recv_chan<int>(c).recv() : c.recv();
        ASSERT_EQ(show(recv_result(std::in_place, got)), show(want)) << "recv";
      } else {  // close
        const bool want = m.close();
        bool got = true;
        try {
          view ? gort::send_chan<int>(c).close() : c.close();
        } catch (const gort::usage_error&) {
          got = false;
        }
        ASSERT_EQ(got, want) << "close";
      }
      ASSERT_EQ(c.size(), m.size());
      ASSERT_EQ(c.capacity(), m.capacity());
    }
  }
}

TEST_P(chan_model_test, random_operations_match_the_model) {
  const std::uint64_t seed = gort_test::test_seed();
  const std::size_t steps = gort_test::scaled(30'000, 10'000, 5'000);
  run_sequence(gort_test::mix(seed), steps);
  gort::run([&] { run_sequence(gort_test::mix(seed + 1), steps); });
}

// ---- concurrent producers and consumers ---------------------------------

constexpr int producer_shift = 24;

struct tally {
  std::uint64_t count = 0;
  std::uint64_t sum = 0;
  std::uint64_t hash_sum = 0;
  void add(std::uint64_t v) {
    ++count;
    sum += v;
    hash_sum += gort_test::mix(v);
  }
};

struct consumer_result {
  tally t;
  int out_of_order = 0;
};

// produce sends this producer's values, each by a blocking send or by a
// few tries of a select with a default (a yield between them) before a
// blocking send: if every party only tried, an unbuffered channel would
// never pair anyone.
void produce(const gort::chan<int>& c, int id, int n, std::uint64_t seed,
             tally& t) {
  std::mt19937_64 rng(seed);
  for (int i = 0; i < n; ++i) {
    const int v = (id << producer_shift) | i;
    bool sent = false;
    for (auto tries = rng() % 4; tries > 0 && !sent; --tries) {
      sent = gort::select(gort::case_send(c, v), gort::case_default()) == 0;
      if (!sent) gort::yield();
    }
    if (!sent) c.send(v);
    t.add(static_cast<std::uint64_t>(v));
  }
}

// consume receives until the channel is closed and drained, the same way,
// and checks that each producer's values arrive in order.
void consume(const gort::chan<int>& c, int producers, std::uint64_t seed,
             consumer_result& r) {
  std::mt19937_64 rng(seed);
  std::vector<int> last(producers, -1);
  while (true) {
    std::optional<int> v;
    bool ready = false;
    for (auto tries = rng() % 4; tries > 0 && !ready; --tries) {
      ready =
          gort::select(gort::case_recv(c, [&](std::optional<int> x) { v = x; }),
                       gort::case_default()) == 0;
      if (!ready) gort::yield();
    }
    if (!ready) v = c.recv();
    if (!v) return;
    const int p = *v >> producer_shift;
    const int seq = *v & ((1 << producer_shift) - 1);
    if (p < 0 || p >= producers || seq <= last[p]) {
      ++r.out_of_order;
    } else {
      last[p] = seq;
    }
    r.t.add(static_cast<std::uint64_t>(*v));
  }
}

TEST_P(chan_model_test, concurrent_producers_and_consumers_conserve_values) {
  const std::uint64_t seed = gort_test::test_seed();
  const int per_producer =
      static_cast<int>(gort_test::scaled(20'000, 4'000, 1'500));
  constexpr int go_producers = 4, thread_producers = 1;
  constexpr int go_consumers = 4, thread_consumers = 1;
  constexpr int producers = go_producers + thread_producers;
  constexpr int consumers = go_consumers + thread_consumers;
  for (std::size_t cap : {0u, 1u, 7u, 64u}) {
    SCOPED_TRACE("capacity " + std::to_string(cap));
    auto c = gort::make_chan<int>(cap);
    std::vector<tally> sent(producers);
    std::vector<consumer_result> got(consumers);
    latch produced(producers);
    latch consumed(consumers);
    auto stream = [&](int k) { return gort_test::mix(seed + cap * 131 + k); };
    std::vector<std::thread> ts;
    gort::run([&] {
      for (int i = 0; i < producers; ++i) {
        auto body = [&, i] {
          produce(c, i, per_producer, stream(i), sent[i]);
          produced.count_down();
        };
        if (i < go_producers)
          gort::go(body);
        else
          ts.emplace_back(body);
      }
      for (int i = 0; i < consumers; ++i) {
        auto body = [&, i] {
          consume(c, producers, stream(100 + i), got[i]);
          consumed.count_down();
        };
        if (i < go_consumers)
          gort::go(body);
        else
          ts.emplace_back(body);
      }
      produced.wait();
      c.close();
      consumed.wait();
    });
    for (auto& t : ts) t.join();
    tally want, have;
    int out_of_order = 0;
    for (const auto& t : sent) {
      want.count += t.count;
      want.sum += t.sum;
      want.hash_sum += t.hash_sum;
    }
    for (const auto& r : got) {
      have.count += r.t.count;
      have.sum += r.t.sum;
      have.hash_sum += r.t.hash_sum;
      out_of_order += r.out_of_order;
    }
    EXPECT_EQ(want.count, std::uint64_t{producers} * per_producer);
    EXPECT_EQ(have.count, want.count);
    EXPECT_EQ(have.sum, want.sum);
    EXPECT_EQ(have.hash_sum, want.hash_sum);
    EXPECT_EQ(out_of_order, 0) << "a producer's values arrived out of order";
    EXPECT_EQ(c.size(), 0u);
  }
}

}  // namespace
