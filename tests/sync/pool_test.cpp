// gort::pool: the million-goroutine buffer example (a handful of buffers
// are made, not thousands), make on an empty pool and reuse of the same
// object, get's order (private, own shared newest, other Ps' shared oldest),
// move-only and over-aligned values, the bounds and what destruction frees,
// re-entrant make and destructors, plain threads and blocking(), and a
// seeded stress test with owner tags while maxprocs changes.
#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "gort/pool.hpp"
#include "gort/sched.hpp"
#include "sched/internal/latch.hpp"
#include "sched/internal/sched.hpp"
#include "support/hammer.hpp"
#include "support/procs_fixture.hpp"
#include "support/sanitizer.hpp"
#include "support/seed.hpp"
#include "support/watchdog.hpp"

namespace {

using gort::internal::latch;

// The processor the calling goroutine runs on.
int current_proc() { return gort::internal::current_p()->id; }

// item is a pooled object that counts how many exist and carries an owner
// tag: the holder claims it with a CAS from 0 and releases it before put,
// so a value handed to two holders at once is caught.
struct counters {
  std::atomic<long> made{0};
  std::atomic<long> live{0};
};

struct item {
  item(counters* c, std::uint64_t t) : cnt(c), tag(t) {
    cnt->made.fetch_add(1, std::memory_order_relaxed);
    cnt->live.fetch_add(1, std::memory_order_relaxed);
  }
  item(const item&) = delete;
  item& operator=(const item&) = delete;
  ~item() { cnt->live.fetch_sub(1, std::memory_order_relaxed); }

  counters* cnt;
  std::uint64_t tag;
  std::atomic<int> owner{0};
  std::uint64_t payload[8] = {};  // written only by the holder
};
using item_ptr = std::unique_ptr<item>;

// violation counts a value seen with two holders; the first is reported at
// once (a double hand-off usually ends in a double free soon after).
void violation(std::atomic<long>& count, const char* what, int holder,
               int other) {
  if (count.fetch_add(1) != 0) return;
  std::fprintf(stderr, "pool_test: %s: holder %d, other holder %d\n", what,
               holder, other);
  ADD_FAILURE() << "a value was handed to two holders: " << what;
}

// claim and release bracket a holder's use of an item.
void claim(item& v, int holder, std::atomic<long>& violations) {
  int free = 0;
  if (!v.owner.compare_exchange_strong(free, holder))
    violation(violations, "claimed an owned value", holder, free);
  for (auto& x : v.payload) x = static_cast<std::uint64_t>(holder);
}
void release(item& v, int holder, std::atomic<long>& violations) {
  for (auto x : v.payload)
    if (x != static_cast<std::uint64_t>(holder))
      violation(violations, "payload changed under its holder", holder,
                static_cast<int>(x));
  const int was = v.owner.exchange(0);
  if (was != holder)
    violation(violations, "released a value owned by another", holder, was);
}

// The bound on what a pool keeps after puts from one goroutine that never
// parks (one P: private + shared) plus the global list.
std::size_t one_proc_bound(int procs) {
  return 1 + gort::pool<item_ptr>::shared_limit +
         gort::pool<item_ptr>::global_limit_per_proc *
             static_cast<std::size_t>(procs);
}

// The instantiations are named Pool, so that --gtest_filter='*Pool*'
// selects every test of this file.
#define POOL_INSTANTIATE(suite, ...)                                    \
  INSTANTIATE_TEST_SUITE_P(Pool, suite, ::testing::Values(__VA_ARGS__), \
                           ::gort_test::procs_name)

class pool_test : public gort_test::procs_fixture {};
POOL_INSTANTIATE(pool_test, 1, 2, 4);

// The example runs at 1, 2 and 8 processors (more than the 2 cores).
class pool_example_test : public gort_test::procs_fixture {};
POOL_INSTANTIATE(pool_example_test, 1, 2, 8);

// Stealing needs a second processor.
class pool_steal_test : public gort_test::procs_fixture {};
POOL_INSTANTIATE(pool_steal_test, 2, 4, 8);

// 1. The material's example: 1,000,000 goroutines each get a 1 KiB
// buffer, use it and put it back. Each goroutine holds its buffer without
// parking, so every P reuses its own private one: creations stay on the
// order of maxprocs, not thousands. (Under TSan, in waves: it allows about
// 8k live goroutines.)
TEST_P(pool_example_test, million_goroutines_make_a_few_buffers) {
  using buffer = std::array<char, 1024>;
  const std::size_t n = gort_test::scaled(1'000'000, 100'000, 10'000);
  const std::size_t wave = gort_test::under_tsan ? 2'000 : n;
  std::atomic<long> created{0};
  std::atomic<long> corrupted{0};
  gort::pool<std::unique_ptr<buffer>> buffers([&] {
    created.fetch_add(1, std::memory_order_relaxed);
    return std::make_unique<buffer>();
  });
  gort::run([&] {
    for (std::size_t base = 0; base < n; base += wave) {
      const std::size_t count = std::min(wave, n - base);
      latch finished(static_cast<std::int64_t>(count));
      for (std::size_t i = base; i < base + count; ++i) {
        gort::go([&, i] {
          std::unique_ptr<buffer> b = buffers.get();
          const char c = static_cast<char>(i);
          std::memset(b->data(), c, b->size());
          if ((*b)[0] != c || (*b)[b->size() - 1] != c) corrupted.fetch_add(1);
          buffers.put(std::move(b));
          finished.count_down();
        });
      }
      finished.wait();
    }
  });
  std::printf("[  pool    ] procs=%d goroutines=%zu buffers created=%ld\n",
              procs(), n, created.load());
  RecordProperty("created", std::to_string(created.load()));
  EXPECT_EQ(corrupted.load(), 0);
  EXPECT_GE(created.load(), 1);
  EXPECT_LE(created.load(), 4L * procs()) << "goroutines=" << n;
}

// 2. An empty pool calls make; a put then a get on the same goroutine
// returns the very object; then get's order on one P: private first, then
// the shared list newest first.
TEST_P(pool_test, empty_pool_makes_and_put_then_get_returns_the_same_object) {
  counters c;
  gort::pool<item_ptr> items([&] { return std::make_unique<item>(&c, 1000); });
  gort::run([&] {
    item_ptr a = items.get();
    EXPECT_EQ(c.made.load(), 1) << "get on an empty pool must call make";
    EXPECT_EQ(a->tag, 1000u);
    item* addr = a.get();
    items.put(std::move(a));
    item_ptr b = items.get();
    EXPECT_EQ(b.get(), addr) << "put then get must return the same object";
    EXPECT_EQ(c.made.load(), 1);
    items.put(std::move(b));

    // One goroutine that never parks stays on its P: tags 0..9 go to the
    // private slot (the reused object above is there: tag 1000) and the
    // shared list.
    for (std::uint64_t t = 0; t < 10; ++t)
      items.put(std::make_unique<item>(&c, t));
    std::vector<std::uint64_t> order;
    for (int k = 0; k < 11; ++k) order.push_back(items.get()->tag);
    const std::vector<std::uint64_t> want = {1000, 9, 8, 7, 6, 5,
                                             4,    3, 2, 1, 0};
    EXPECT_EQ(order, want) << "private first, then shared newest first";
    EXPECT_EQ(c.made.load(), 11);
  });
  EXPECT_EQ(c.live.load(), 0);
}

TEST_P(pool_test, plain_thread_put_then_get_returns_the_same_object) {
  counters c;
  gort::pool<item_ptr> items([&] { return std::make_unique<item>(&c, 7); });
  item_ptr a = items.get();  // this test's thread is a plain thread
  EXPECT_EQ(c.made.load(), 1);
  item* addr = a.get();
  items.put(std::move(a));
  EXPECT_EQ(items.get().get(), addr);
  EXPECT_EQ(c.made.load(), 1);
}

// 3. Move-only values: the example's buffer type, a move-only make, and a
// move-only, over-aligned value stored inline (not behind a pointer).
struct alignas(64) inline_value {
  explicit inline_value(int v) : owner(std::make_unique<int>(v)) {}
  inline_value(inline_value&& o) noexcept
      : owner(std::move(o.owner)), bytes(o.bytes) {
    // Where the pool stores it, too (inside its node).
    if (reinterpret_cast<std::uintptr_t>(this) % alignof(inline_value) != 0)
      misaligned.fetch_add(1, std::memory_order_relaxed);
  }
  inline_value& operator=(inline_value&&) noexcept = default;
  std::unique_ptr<int> owner;
  std::array<char, 200> bytes{};
  static inline std::atomic<int> misaligned{0};
};
static_assert(!std::is_copy_constructible_v<inline_value>);

TEST_P(pool_test, move_only_values_and_move_only_make) {
  using buffer = std::array<char, 1024>;
  auto seed = std::make_unique<int>(3);  // makes the lambda move-only
  gort::pool<std::unique_ptr<buffer>> buffers(
      [seed = std::move(seed)] { return std::make_unique<buffer>(); });
  gort::pool<inline_value> values([] { return inline_value(42); });
  gort::run([&] {
    std::unique_ptr<buffer> b = buffers.get();
    buffer* addr = b.get();
    (*b)[0] = 'x';
    buffers.put(std::move(b));
    std::unique_ptr<buffer> again = buffers.get();
    EXPECT_EQ(again.get(), addr);
    EXPECT_EQ((*again)[0], 'x');

    inline_value v = values.get();
    EXPECT_EQ(*v.owner, 42);
    *v.owner = 7;
    v.bytes[199] = 'y';
    int* heap = v.owner.get();
    values.put(std::move(v));
    EXPECT_EQ(v.owner, nullptr) << "put must move from its argument";
    inline_value w = values.get();
    EXPECT_EQ(w.owner.get(), heap);
    EXPECT_EQ(*w.owner, 7);
    EXPECT_EQ(w.bytes[199], 'y');
    for (int k = 0; k < 100; ++k) values.put(inline_value(k));  // shared too
    for (int k = 0; k < 100; ++k) values.get();
  });
  EXPECT_EQ(inline_value::misaligned.load(), 0) << "T stored misaligned";
}

// 4. A goroutine on another P finds values put on this one: it steals from
// this P's shared list, oldest first, and never sees the private slot.
// The owner spins without parking, so it keeps its P (and its private
// slot) and the thief, spawned into its runnext, must be run elsewhere.
TEST_P(pool_steal_test, another_processor_steals_the_oldest_shared_values) {
  counters c;
  gort::pool<item_ptr> items([&] { return std::make_unique<item>(&c, 1000); });
  int owner_proc = -1;
  int thief_proc = -1;
  std::uint64_t owner_got = 0;
  std::vector<std::uint64_t> stolen;
  gort::run([&] {
    latch done(1);
    gort::go([&] {
      owner_proc = current_proc();
      for (std::uint64_t t = 0; t < 10; ++t)
        items.put(std::make_unique<item>(&c, t));  // 0: private, 1-9 shared
      std::atomic<bool> thief_done{false};
      gort::go([&] {
        thief_proc = current_proc();
        for (int k = 0; k < 10; ++k) stolen.push_back(items.get()->tag);
        thief_done.store(true, std::memory_order_release);
      });
      while (!thief_done.load(std::memory_order_acquire)) {
      }
      owner_got = items.get()->tag;
      done.count_down();
    });
    done.wait();
  });
  EXPECT_NE(thief_proc, owner_proc);
  const std::vector<std::uint64_t> want = {1, 2, 3, 4, 5, 6, 7, 8, 9, 1000};
  EXPECT_EQ(stolen, want) << "steal takes the oldest first, then make";
  EXPECT_EQ(owner_got, 0u) << "the private slot is the owner's";
  EXPECT_EQ(c.made.load(), 11);
  EXPECT_EQ(c.live.load(), 0);
}

// 5. The bound: 100,000 puts without a get keep at most one P's private
// slot and shared list plus the global list; the rest are destroyed at
// once. Destroying the pool destroys what it holds (ASan checks there is
// no leak and no double free).
TEST_P(pool_test, puts_past_the_bound_are_destroyed) {
  constexpr int n = 100'000;
  counters c;
  std::optional<gort::pool<item_ptr>> items(
      std::in_place, [&] { return std::make_unique<item>(&c, 0); });
  gort::run([&] {
    // One goroutine that does not park: one P's caches, then global.
    for (int k = 0; k < n; ++k) items->put(std::make_unique<item>(&c, k));
  });
  EXPECT_EQ(c.made.load(), n);
  EXPECT_EQ(static_cast<std::size_t>(c.live.load()), one_proc_bound(procs()));
  items.reset();
  EXPECT_EQ(c.live.load(), 0) << "destroying the pool must free its values";

  // From a plain thread only the global list is used.
  c.made = 0;
  items.emplace([&] { return std::make_unique<item>(&c, 0); });
  for (int k = 0; k < n; ++k) items->put(std::make_unique<item>(&c, k));
  EXPECT_EQ(static_cast<std::size_t>(c.live.load()),
            gort::pool<item_ptr>::global_limit_per_proc *
                static_cast<std::size_t>(procs()));
  items.reset();
  EXPECT_EQ(c.live.load(), 0);
}

TEST_P(pool_test, destroying_the_pool_frees_values_on_every_processor) {
  counters c;
  std::optional<gort::pool<item_ptr>> items(
      std::in_place, [&] { return std::make_unique<item>(&c, 0); });
  const int per = 300;
  gort_test::hammer(4 * procs(), 1, per, [&](int w, int k) {
    items->put(std::make_unique<item>(&c, static_cast<std::uint64_t>(k)));
    if (k % 8 == 0 && w < 4 * procs()) gort::yield();  // spread over Ps
  });
  EXPECT_GT(c.live.load(), 0);
  EXPECT_LE(c.live.load(),
            static_cast<long>(procs() * (1 + 64) + 64 * procs()));
  items.reset();
  EXPECT_EQ(c.live.load(), 0);
}

// make and a dropped value's destructor run with no pool lock held, so
// both may use the pool itself (holding a lock, either would deadlock).
struct reentrant {
  gort::pool<reentrant>* home = nullptr;
  bool reenter = false;
  int* destroyed = nullptr;
  reentrant() = default;
  reentrant(reentrant&& o) noexcept
      : home(o.home),
        reenter(std::exchange(o.reenter, false)),
        destroyed(std::exchange(o.destroyed, nullptr)) {}
  ~reentrant() {
    if (destroyed != nullptr) ++*destroyed;
    if (reenter && home != nullptr) home->put(home->get());
  }
};

TEST_P(pool_test, make_and_destructors_may_use_the_pool) {
  gort::pool<reentrant>* self = nullptr;
  int made = 0;
  gort::pool<reentrant> values([&] {
    if (made++ == 0) self->put(reentrant());  // make puts another value
    return reentrant();
  });
  self = &values;
  gort::run([&] {
    reentrant first = values.get();  // make runs and puts one
    EXPECT_EQ(made, 1);
    reentrant second = values.get();  // the one make put
    EXPECT_EQ(made, 1);
    // Fill every list, then put one whose destruction (at the bound)
    // gets from and puts to the same pool.
    for (std::size_t k = 0; k < one_proc_bound(procs()); ++k)
      values.put(reentrant());
    int destroyed = 0;
    reentrant last;
    last.home = &values;
    last.reenter = true;
    last.destroyed = &destroyed;
    values.put(std::move(last));
    EXPECT_EQ(destroyed, 1) << "the value past the bound was not destroyed";
  });
}

// 6. Plain threads and goroutines share one pool: a value a thread put is
// found by a goroutine, a goroutine's shared values are found by a
// thread, a goroutine inside blocking() (no P) uses the global list; then
// both kinds get and put at once, with owner tags.
TEST_P(pool_test, plain_threads_and_goroutines_share_values) {
  counters c;
  gort::pool<item_ptr> items([&] { return std::make_unique<item>(&c, 1000); });
  std::vector<item*> from_thread;
  for (std::uint64_t t = 0; t < 3; ++t) {  // plain thread: global list
    item_ptr v = std::make_unique<item>(&c, t);
    from_thread.push_back(v.get());
    items.put(std::move(v));
  }
  gort::run([&] {
    std::vector<item*> got;
    std::vector<item_ptr> hold;
    for (int k = 0; k < 3; ++k) {
      hold.push_back(items.get());
      got.push_back(hold.back().get());
    }
    std::sort(got.begin(), got.end());
    std::sort(from_thread.begin(), from_thread.end());
    EXPECT_EQ(got, from_thread) << "a goroutine must find a thread's values";
    EXPECT_EQ(c.made.load(), 3);
    for (auto& v : hold) items.put(std::move(v));  // private, shared, shared
    std::vector<std::uint64_t> thread_got;
    // Joined without blocking(): this goroutine keeps its P throughout.
    std::thread([&] {
      for (int k = 0; k < 3; ++k) thread_got.push_back(items.get()->tag);
    }).join();
    ASSERT_EQ(thread_got.size(), 3u);
    EXPECT_EQ(thread_got[2], 1000u) << "the private slot is the owner's";
    EXPECT_EQ(c.made.load(), 4);
    items.get();  // empties the private slot

    item* in_blocking = nullptr;
    gort::blocking([&] {  // no P: the global list
      item_ptr v = std::make_unique<item>(&c, 77);
      in_blocking = v.get();
      items.put(std::move(v));
    });
    item* seen = nullptr;
    std::thread([&] { seen = items.get().release(); }).join();
    EXPECT_EQ(seen, in_blocking) << "blocking() must put to the global list";
    delete seen;
  });

  const int per = static_cast<int>(gort_test::scaled(20'000, 5'000, 1'000));
  std::atomic<long> violations{0};
  gort_test::hammer(4, 2, per, [&](int w, int k) {
    // Hold two at times, so that goroutines also fill their shared lists.
    item_ptr a = items.get();
    item_ptr b = (k % 3 == 0) ? items.get() : nullptr;
    for (item* v : {a.get(), b.get()})
      if (v != nullptr) claim(*v, w + 1, violations);
    for (item* v : {a.get(), b.get()})
      if (v != nullptr) release(*v, w + 1, violations);
    items.put(std::move(a));
    if (b != nullptr) items.put(std::move(b));
  });
  EXPECT_EQ(violations.load(), 0) << "a value was handed to two holders";
  EXPECT_LE(c.live.load(),
            static_cast<long>(procs() * (1 + 64) + 64 * procs()));
}

// 7. Seeded stress: goroutines and plain threads get, hold, modify, put
// and drop values at random, with owner tags; goroutines yield while
// holding, use the pool inside blocking(), and the values' moves and
// destructors may yield too. One worker changes maxprocs as it goes.
struct stress_state {
  std::atomic<long> violations{0};
  std::atomic<std::uint64_t> yields{0};
};
// traveller is a move-only pooled value whose move and destruction may
// yield (park) on a goroutine that holds a P (not inside blocking(), where
// parking is not allowed): the pool must not be in the middle of touching
// a P's private state when T's code runs.
struct traveller {
  explicit traveller(item* v, stress_state* s) : it(v), st(s) {}
  traveller(traveller&& o) noexcept
      : it(std::exchange(o.it, nullptr)), st(o.st) {
    maybe_yield();
  }
  traveller& operator=(traveller&& o) noexcept {
    std::swap(it, o.it);  // o destroys what this held, if anything
    st = o.st;
    return *this;
  }
  ~traveller() {
    if (it == nullptr) return;
    maybe_yield();
    delete it;
  }
  void maybe_yield() {
    if (gort::internal::current_p() == nullptr) return;
    if (st->yields.fetch_add(1, std::memory_order_relaxed) % 7 == 0)
      gort::yield();
  }
  item* it;
  stress_state* st;
};

TEST_P(pool_test, seeded_stress_never_hands_a_value_to_two_holders) {
  const std::uint64_t seed = gort_test::test_seed();
  const int per = static_cast<int>(gort_test::scaled(200'000, 40'000, 20'000));
  constexpr int goroutines = 8;
  constexpr int threads = 2;
  counters c;
  stress_state st;
  std::optional<gort::pool<traveller>> items(
      std::in_place, [&] { return traveller(new item(&c, 0), &st); });
  struct worker_state {
    std::mt19937_64 rng;
    std::vector<traveller> held;
  };
  std::vector<worker_state> ws(goroutines + threads);
  for (std::size_t w = 0; w < ws.size(); ++w)
    ws[w].rng.seed(gort_test::mix(seed + w));

  auto hold = [&](traveller& v, int w) { claim(*v.it, w + 1, st.violations); };
  auto let_go = [&](traveller& v, int w) {
    release(*v.it, w + 1, st.violations);
  };
  gort_test::hammer(goroutines, threads, per, [&](int w, int k) {
    worker_state& me = ws[static_cast<std::size_t>(w)];
    const bool on_goroutine = w < goroutines;
    const std::uint64_t r = me.rng();
    if (w == 0 && k % 97 == 0)  // maxprocs 1..8 while the others run
      gort::set_maxprocs(static_cast<int>(r >> 40) % 8 + 1);
    switch (r % 8) {
      case 0:
      case 1:
      case 2:  // get and hold (at most 3)
        if (me.held.size() < 3) {
          me.held.push_back(items->get());
          hold(me.held.back(), w);
          break;
        }
        [[fallthrough]];
      case 3:
      case 4:  // put one back
        if (!me.held.empty()) {
          const std::size_t i = (r >> 8) % me.held.size();
          std::swap(me.held[i], me.held.back());
          let_go(me.held.back(), w);
          items->put(std::move(me.held.back()));
          me.held.pop_back();
        }
        break;
      case 5:  // modify what it holds
        for (auto& v : me.held) {
          let_go(v, w);
          hold(v, w);
        }
        if (on_goroutine && (r >> 16) % 4 == 0) gort::yield();  // migrate
        break;
      case 6:  // a get and put with no P
        if (on_goroutine) {
          gort::blocking([&] {
            traveller v = items->get();
            hold(v, w);
            let_go(v, w);
            items->put(std::move(v));
          });
        }
        break;
      case 7:  // drop one instead of putting it back
        if (!me.held.empty()) {
          let_go(me.held.back(), w);
          me.held.pop_back();
        }
        break;
    }
    if (k == per - 1) {
      for (auto& v : me.held) {
        let_go(v, w);
        items->put(std::move(v));
      }
      me.held.clear();
    }
  });
  gort::set_maxprocs(procs());
  EXPECT_EQ(st.violations.load(), 0)
      << "a value was handed to two holders; seed " << seed;
  EXPECT_LE(c.live.load(), 8L * (1 + 64) + 64 * 8) << "seed " << seed;
  items.reset();
  EXPECT_EQ(c.live.load(), 0) << "seed " << seed;
}

}  // namespace
