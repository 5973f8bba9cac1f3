// tests/bench/bm_chan.cpp: micro-benchmarks of channels and select (chan/),
// each family beside a std::thread baseline (STYLE.md, "Benchmarks").
//
//   family     gort                 baseline (std::thread + std::mutex +
//                                             std::condition_variable)
//   pingpong   bm_chan_pingpong     bm_thread_queue_pingpong
//   mpmc       bm_chan_mpmc         bm_thread_queue_mpmc
//   select     bm_chan_select       bm_thread_queue_select
//   daisy      bm_chan_daisy        bm_thread_queue_daisy (100 links)
//   skynet     bm_chan_skynet       bm_thread_queue_skynet (1,000 leaves)
//
// The workloads are those of the anchor programs (../shared/anchors/, and
// the ports in anchors/), cut into iterations:
//   pingpong  one round trip over two unbuffered channels per iteration;
//   mpmc      400,000 items through one channel of capacity 1024, 4
//             producers and 4 consumers (started per iteration), then close;
//   select    100,000 items: 4 producers each send 25,000 on their own
//             unbuffered channel and close it; the consumer (the benchmark's
//             goroutine) selects over the 4, setting a closed one to nil;
//   daisy     Pike's whispers: a chain of 10,000 goroutines and 10,001
//             unbuffered channels, built by the benchmark's goroutine, one
//             value passed through;
//   skynet    the 10-ary tree with 1,000,000 leaves, each parent receiving
//             its children's numbers on its own unbuffered channel.
// Every iteration checks its result (count, sum) and stops the benchmark
// with an error when it is wrong.
//
// Baselines. blocking_queue<T> is a channel made of one std::mutex and two
// std::condition_variables with the same semantics as the gort channel it
// stands beside: capacity 0 is a rendezvous (send returns once a receiver
// has taken the value), capacity > 0 a bounded FIFO; close wakes every
// receiver, which then drains and gets nullopt. cv_select4 is the baseline
// of select: four rendezvous slots under one mutex, so one consumer can wait
// for any of them on one condition variable and take one ready slot chosen
// at random, as select does. The baselines run with one OS thread per
// goroutine; daisy and skynet, which need one thread per task, are smaller
// (100 links, 1,111 threads): compare items_per_second, not time.
//
// items_per_second counts: round trips (pingpong), items received (mpmc,
// select), links a value passed (daisy), tree nodes (skynet).
//
// The gort cases take the processor count as their argument (/procs:1 and
// /procs:2) and run their timing loop inside gort::run, as in bm_sched.cpp;
// every benchmark uses real time. They use only the public API: goroutines
// join the benchmark's goroutine through buffered done channels.
#include <benchmark/benchmark.h>

#include <array>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include <gort/gort.hpp>
#include "in_gort.hpp"

namespace {

using gort_bench::in_gort;
using gort_bench::procs_sweep;

// ---------------------------------------------------------------- baselines

// blocking_queue is the thread baseline's channel (see the top of the file).
template <class T>
class blocking_queue {
 public:
  explicit blocking_queue(std::size_t capacity = 0) : cap_(capacity) {}
  blocking_queue(const blocking_queue&) = delete;
  blocking_queue& operator=(const blocking_queue&) = delete;

  // send blocks until a receiver has taken v (capacity 0) or v is queued.
  void send(T v) {
    std::unique_lock lock(mu_);
    if (cap_ == 0) {
      space_cv_.wait(lock, [&] { return !full_ || closed_; });
      if (closed_) throw std::logic_error("send on closed blocking_queue");
      slot_ = std::move(v);
      full_ = true;
      const std::uint64_t mine = ++put_;
      recv_cv_.notify_one();
      ack_cv_.wait(lock, [&] { return taken_ >= mine; });
      return;
    }
    space_cv_.wait(lock, [&] { return buf_.size() < cap_ || closed_; });
    if (closed_) throw std::logic_error("send on closed blocking_queue");
    buf_.push_back(std::move(v));
    lock.unlock();
    recv_cv_.notify_one();
  }

  // recv blocks for a value; nullopt once closed and drained.
  std::optional<T> recv() {
    std::unique_lock lock(mu_);
    if (cap_ == 0) {
      recv_cv_.wait(lock, [&] { return full_ || closed_; });
      if (!full_) return std::nullopt;
      std::optional<T> v(std::move(slot_));
      full_ = false;
      ++taken_;
      lock.unlock();
      ack_cv_.notify_all();  // its sender (two, if the next one filled it)
      space_cv_.notify_one();
      return v;
    }
    recv_cv_.wait(lock, [&] { return !buf_.empty() || closed_; });
    if (buf_.empty()) return std::nullopt;
    std::optional<T> v(std::move(buf_.front()));
    buf_.pop_front();
    lock.unlock();
    space_cv_.notify_one();
    return v;
  }

  void close() {
    {
      std::lock_guard lock(mu_);
      closed_ = true;
    }
    recv_cv_.notify_all();
    space_cv_.notify_all();
  }

 private:
  const std::size_t cap_;
  std::mutex mu_;
  std::condition_variable recv_cv_;   // receivers: a value or closed
  std::condition_variable space_cv_;  // senders: room (or the free slot)
  std::condition_variable ack_cv_;    // capacity 0: the value was taken
  std::deque<T> buf_;                 // capacity > 0
  T slot_{};                          // capacity 0: the hand-off slot
  bool full_ = false;
  bool closed_ = false;
  std::uint64_t put_ = 0, taken_ = 0;  // capacity 0: hand-offs made, taken
};

// cv_select4 is the baseline of a select over four unbuffered channels:
// four rendezvous slots under one mutex. send(i, v) blocks until the
// consumer has taken v from slot i; select(active) waits until a slot in
// the bit mask `active` holds a value or is closed, and takes one such slot
// chosen uniformly at random (a closed one: nullopt, and the consumer
// clears its bit, as Go sets the channel to nil).
class cv_select4 {
 public:
  void send(int i, int v) {
    slot& s = slots_[static_cast<std::size_t>(i)];
    std::unique_lock lock(mu_);
    s.space_cv.wait(lock, [&] { return !s.full; });
    s.v = v;
    s.full = true;
    const std::uint64_t mine = ++s.put;
    consumer_cv_.notify_one();
    s.ack_cv.wait(lock, [&] { return s.taken >= mine; });
  }
  void close(int i) {
    {
      std::lock_guard lock(mu_);
      slots_[static_cast<std::size_t>(i)].closed = true;
    }
    consumer_cv_.notify_one();
  }
  // select returns the slot index and its value (nullopt: closed).
  std::pair<int, std::optional<int>> select(unsigned active) {
    std::unique_lock lock(mu_);
    int ready[4];
    int n = 0;
    consumer_cv_.wait(lock, [&] {
      n = 0;
      for (int i = 0; i < 4; ++i) {
        const slot& s = slots_[static_cast<std::size_t>(i)];
        if ((active >> i & 1U) != 0 && (s.full || s.closed)) ready[n++] = i;
      }
      return n > 0;
    });
    rng_ ^= rng_ << 13;
    rng_ ^= rng_ >> 7;
    rng_ ^= rng_ << 17;
    const int i = ready[rng_ % static_cast<unsigned>(n)];
    slot& s = slots_[static_cast<std::size_t>(i)];
    if (!s.full) return {i, std::nullopt};
    const int v = s.v;
    s.full = false;
    ++s.taken;
    lock.unlock();
    s.ack_cv.notify_all();
    s.space_cv.notify_one();
    return {i, v};
  }

 private:
  struct slot {
    int v = 0;
    bool full = false;
    bool closed = false;
    std::uint64_t put = 0, taken = 0;
    std::condition_variable space_cv, ack_cv;
  };
  std::mutex mu_;
  std::condition_variable consumer_cv_;
  std::array<slot, 4> slots_;
  std::uint64_t rng_ = 0x9e3779b97f4a7c15ULL;  // consumer only, under mu_
};

// ---------------------------------------------------------------- pingpong

// pingpong_loop is the timed loop of both pingpong families: one round
// trip per iteration over any pair with send(long) and recv() -> optional.
template <class Q>
void pingpong_loop(benchmark::State& state, Q& ping, Q& pong) {
  long i = 0;
  for (auto _ : state) {
    ping.send(i);
    const std::optional<long> v = pong.recv();
    if (!v || *v != i) {
      state.SkipWithError("pingpong: wrong reply");
      break;
    }
    ++i;
  }
}

// bm_chan_pingpong: a partner goroutine echoes what it receives on ping
// back on pong; one iteration is one round trip (two unbuffered hand-offs).
void bm_chan_pingpong(benchmark::State& state) {
  in_gort(state, [&] {
    auto ping = gort::make_chan<long>();
    auto pong = gort::make_chan<long>();
    auto done = gort::make_chan<int>(1);
    gort::go([ping, pong, done] {
      for (long v : ping) pong.send(v);
      done.send(0);
    });
    pingpong_loop(state, ping, pong);
    ping.close();
    done.recv();
  });
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(bm_chan_pingpong)->Apply(procs_sweep);

// bm_thread_queue_pingpong: the same between two threads over two
// rendezvous blocking_queues.
void bm_thread_queue_pingpong(benchmark::State& state) {
  blocking_queue<long> ping, pong;
  std::thread partner([&] {
    while (std::optional<long> v = ping.recv()) pong.send(*v);
  });
  pingpong_loop(state, ping, pong);
  ping.close();
  partner.join();
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(bm_thread_queue_pingpong)->UseRealTime();

// ---------------------------------------------------------------- mpmc

constexpr int kMpmcProducers = 4, kMpmcConsumers = 4;
constexpr std::int64_t kMpmcItems = 400000;  // per iteration, all producers
constexpr std::int64_t kMpmcPer = kMpmcItems / kMpmcProducers;
constexpr std::size_t kMpmcCap = 1024;

struct count_sum {
  std::int64_t cnt = 0, sum = 0;
};

constexpr bool mpmc_ok(const count_sum& r) {
  return r.cnt == kMpmcItems && r.sum == kMpmcItems * (kMpmcItems - 1) / 2;
}

// bm_chan_mpmc: per iteration, 4 producer and 4 consumer goroutines move
// kMpmcItems through one channel of capacity 1024; main waits for the
// producers, closes the channel and collects the consumers' counts.
void bm_chan_mpmc(benchmark::State& state) {
  in_gort(state, [&] {
    for (auto _ : state) {
      auto ch = gort::make_chan<std::int64_t>(kMpmcCap);
      auto pdone = gort::make_chan<int>(kMpmcProducers);
      auto cdone = gort::make_chan<count_sum>(kMpmcConsumers);
      for (int p = 0; p < kMpmcProducers; ++p)
        gort::go([ch, pdone, p] {
          const std::int64_t base = p * kMpmcPer;
          for (std::int64_t i = 0; i < kMpmcPer; ++i) ch.send(base + i);
          pdone.send(0);
        });
      for (int c = 0; c < kMpmcConsumers; ++c)
        gort::go([ch, cdone] {
          count_sum r;
          for (std::int64_t v : ch) {
            r.sum += v;
            ++r.cnt;
          }
          cdone.send(r);
        });
      for (int p = 0; p < kMpmcProducers; ++p) pdone.recv();
      ch.close();
      count_sum all;
      for (int c = 0; c < kMpmcConsumers; ++c) {
        const count_sum r = cdone.recv().value_or(count_sum{});
        all.cnt += r.cnt;
        all.sum += r.sum;
      }
      if (!mpmc_ok(all)) {
        state.SkipWithError("mpmc: wrong count or sum");
        break;
      }
    }
  });
  state.SetItemsProcessed(state.iterations() * kMpmcItems);
}
BENCHMARK(bm_chan_mpmc)->Apply(procs_sweep)->Unit(benchmark::kMillisecond);

// bm_thread_queue_mpmc: the same with 8 threads per iteration and a
// blocking_queue of capacity 1024.
void bm_thread_queue_mpmc(benchmark::State& state) {
  std::vector<std::thread> producers, consumers;
  for (auto _ : state) {
    blocking_queue<std::int64_t> ch(kMpmcCap);
    count_sum res[kMpmcConsumers];
    for (int p = 0; p < kMpmcProducers; ++p)
      producers.emplace_back([&ch, p] {
        const std::int64_t base = p * kMpmcPer;
        for (std::int64_t i = 0; i < kMpmcPer; ++i) ch.send(base + i);
      });
    for (int c = 0; c < kMpmcConsumers; ++c)
      consumers.emplace_back([&ch, r = &res[c]] {
        count_sum mine;
        while (std::optional<std::int64_t> v = ch.recv()) {
          mine.sum += *v;
          ++mine.cnt;
        }
        *r = mine;
      });
    for (auto& t : producers) t.join();
    ch.close();
    for (auto& t : consumers) t.join();
    producers.clear();
    consumers.clear();
    count_sum all;
    for (const count_sum& r : res) {
      all.cnt += r.cnt;
      all.sum += r.sum;
    }
    if (!mpmc_ok(all)) {
      state.SkipWithError("mpmc: wrong count or sum");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * kMpmcItems);
}
BENCHMARK(bm_thread_queue_mpmc)->UseRealTime()->Unit(benchmark::kMillisecond);

// ---------------------------------------------------------------- select

constexpr int kSelectItems = 100000;  // per iteration, all 4 producers
constexpr int kSelectPer = kSelectItems / 4;

constexpr bool select_ok(const count_sum& r) {
  return r.cnt == kSelectItems &&
         r.sum == 4 * std::int64_t{kSelectPer} * (kSelectPer - 1) / 2;
}

// bm_chan_select: per iteration, 4 producer goroutines each send kSelectPer
// values on their own unbuffered channel and close it; the benchmark's
// goroutine selects over the 4 until all are closed.
void bm_chan_select(benchmark::State& state) {
  in_gort(state, [&] {
    for (auto _ : state) {
      std::array<gort::chan<int>, 4> chs;
      for (auto& c : chs) {
        c = gort::make_chan<int>();
        gort::go([c] {
          for (int i = 0; i < kSelectPer; ++i) c.send(i);
          c.close();
        });
      }
      count_sum r;
      int open = 4;
      auto on = [&](gort::chan<int>& c) {
        return [&c, &r, &open](std::optional<int> v) {
          if (!v) {
            c = gort::chan<int>();  // nil: never ready again
            --open;
            return;
          }
          r.sum += *v;
          ++r.cnt;
        };
      };
      while (open > 0)
        gort::select(gort::case_recv(chs[0], on(chs[0])),
                     gort::case_recv(chs[1], on(chs[1])),
                     gort::case_recv(chs[2], on(chs[2])),
                     gort::case_recv(chs[3], on(chs[3])));
      if (!select_ok(r)) {
        state.SkipWithError("select: wrong count or sum");
        break;
      }
    }
  });
  state.SetItemsProcessed(state.iterations() * kSelectItems);
}
BENCHMARK(bm_chan_select)->Apply(procs_sweep)->Unit(benchmark::kMillisecond);

// bm_thread_queue_select: the same with 4 producer threads per iteration
// and a cv_select4; the benchmark's thread is the consumer.
void bm_thread_queue_select(benchmark::State& state) {
  std::vector<std::thread> producers;
  for (auto _ : state) {
    cv_select4 sel;
    for (int p = 0; p < 4; ++p)
      producers.emplace_back([&sel, p] {
        for (int i = 0; i < kSelectPer; ++i) sel.send(p, i);
        sel.close(p);
      });
    count_sum r;
    unsigned active = 0xF;
    while (active != 0) {
      const auto [i, v] = sel.select(active);
      if (!v) {
        active &= ~(1U << i);
        continue;
      }
      r.sum += *v;
      ++r.cnt;
    }
    for (auto& t : producers) t.join();
    producers.clear();
    if (!select_ok(r)) {
      state.SkipWithError("select: wrong count or sum");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * kSelectItems);
}
BENCHMARK(bm_thread_queue_select)->UseRealTime()->Unit(benchmark::kMillisecond);

// ---------------------------------------------------------------- daisy

constexpr long kDaisyLinks = 10000;
constexpr long kThreadDaisyLinks = 100;

void whisper(gort::chan<long> left, gort::chan<long> right) {
  left.send(1 + right.recv().value_or(-1'000'000'000L));
}

// bm_chan_daisy: per iteration, the benchmark's goroutine builds a chain of
// kDaisyLinks goroutines (left <- 1 + <-right), feeds 1 in at the right
// end and receives kDaisyLinks + 1 at the left.
void bm_chan_daisy(benchmark::State& state) {
  in_gort(state, [&] {
    for (auto _ : state) {
      const gort::chan<long> leftmost = gort::make_chan<long>();
      gort::chan<long> left = leftmost, right = leftmost;
      for (long i = 0; i < kDaisyLinks; ++i) {
        right = gort::make_chan<long>();
        gort::go(whisper, left, right);
        left = right;
      }
      gort::go([](gort::chan<long> c) { c.send(1); }, right);
      if (leftmost.recv() != kDaisyLinks + 1) {
        state.SkipWithError("daisy: wrong result");
        break;
      }
    }
  });
  state.SetItemsProcessed(state.iterations() * kDaisyLinks);
}
BENCHMARK(bm_chan_daisy)->Apply(procs_sweep)->Unit(benchmark::kMillisecond);

// bm_thread_queue_daisy: the same chain of kThreadDaisyLinks threads over
// rendezvous blocking_queues, joined at the end of each iteration.
void bm_thread_queue_daisy(benchmark::State& state) {
  std::vector<std::thread> threads;
  threads.reserve(kThreadDaisyLinks);
  for (auto _ : state) {
    std::vector<std::unique_ptr<blocking_queue<long>>> chans;
    chans.reserve(kThreadDaisyLinks + 1);
    for (long i = 0; i <= kThreadDaisyLinks; ++i)
      chans.push_back(std::make_unique<blocking_queue<long>>());
    for (long i = 0; i < kThreadDaisyLinks; ++i)
      threads.emplace_back(
          [left = chans[static_cast<std::size_t>(i)].get(),
           right = chans[static_cast<std::size_t>(i + 1)].get()] {
            left->send(1 + right->recv().value_or(-1'000'000'000L));
          });
    std::thread feed([c = chans.back().get()] { c->send(1); });
    const std::optional<long> r = chans.front()->recv();
    feed.join();
    for (auto& t : threads) t.join();
    threads.clear();
    if (r != kThreadDaisyLinks + 1) {
      state.SkipWithError("daisy: wrong result");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * kThreadDaisyLinks);
}
BENCHMARK(bm_thread_queue_daisy)->UseRealTime()->Unit(benchmark::kMillisecond);

// ---------------------------------------------------------------- skynet

constexpr long kChanSkynetLeaves = 1000000;     // 1,111,111 goroutines
constexpr long kThreadChanSkynetLeaves = 1000;  // 1,111 threads

constexpr long tree_nodes(long leaves) {
  return leaves == 1 ? 1 : 1 + 10 * tree_nodes(leaves / 10);
}

// skynet_chan is Go's skynet: a leaf sends its number on c; a parent makes
// one unbuffered channel, spawns its 10 children on it, sums what they send
// and sends the sum on c.
void skynet_chan(gort::chan<long> c, long num, long size) {
  if (size == 1) {
    c.send(num);
    return;
  }
  const auto rc = gort::make_chan<long>();
  const long child = size / 10;
  for (long i = 0; i < 10; ++i)
    gort::go(skynet_chan, rc, num + i * child, child);
  long sum = 0;
  for (long i = 0; i < 10; ++i) sum += rc.recv().value_or(0);
  c.send(sum);
}

// bm_chan_skynet: skynet over channels with 1,000,000 leaves; checks
// 499999500000. (bm_sched_skynet is the same tree joined with latches.)
void bm_chan_skynet(benchmark::State& state) {
  in_gort(state, [&] {
    for (auto _ : state) {
      const auto c = gort::make_chan<long>();
      gort::go(skynet_chan, c, 0L, kChanSkynetLeaves);
      if (c.recv() != kChanSkynetLeaves * (kChanSkynetLeaves - 1) / 2) {
        state.SkipWithError("skynet: wrong sum");
        break;
      }
    }
  });
  state.SetItemsProcessed(state.iterations() * tree_nodes(kChanSkynetLeaves));
}
BENCHMARK(bm_chan_skynet)->Apply(procs_sweep)->Unit(benchmark::kMillisecond);

// skynet_thread_queue: the same tree of threads; each parent's rendezvous
// blocking_queue lives on its stack and outlives its children (joined).
void skynet_thread_queue(blocking_queue<long>* c, long num, long size) {
  if (size == 1) {
    c->send(num);
    return;
  }
  blocking_queue<long> rc;
  std::vector<std::thread> children;
  children.reserve(10);
  const long child = size / 10;
  for (long i = 0; i < 10; ++i)
    children.emplace_back(skynet_thread_queue, &rc, num + i * child, child);
  long sum = 0;
  for (long i = 0; i < 10; ++i) sum += rc.recv().value_or(0);
  for (auto& t : children) t.join();
  c->send(sum);
}

// bm_thread_queue_skynet: the tree with 1,000 leaves (1,111 threads).
void bm_thread_queue_skynet(benchmark::State& state) {
  for (auto _ : state) {
    blocking_queue<long> c;
    std::thread root(skynet_thread_queue, &c, 0L, kThreadChanSkynetLeaves);
    const std::optional<long> sum = c.recv();
    root.join();
    if (sum != kThreadChanSkynetLeaves * (kThreadChanSkynetLeaves - 1) / 2) {
      state.SkipWithError("skynet: wrong sum");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() *
                          tree_nodes(kThreadChanSkynetLeaves));
}
BENCHMARK(bm_thread_queue_skynet)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
