// Pool
//
// The type-independent half of gort::pool<T>: per-P caches, the global
// list and node memory. The design essay, the bounds and the numbered
// invariants are at the top of sync/include/gort/pool.hpp; this file keeps
// them. Everything here moves node pointers only: the values inside the
// nodes are the template's business (invariant 3).
//
// Reading the current P. current_p() is out of line and opaque to the
// optimiser (HACKING.md, "thread_local"), and it returns nullptr on a plain
// thread and inside blocking(). A goroutine that got a P keeps it until it
// parks or yields; none of the code between current_p() and the last touch
// of that P's private slot or spare list can park (no T code, no gort
// sync; rt_mutex blocks the thread, never the goroutine), which is what
// makes those fields owner-only without a lock (invariant 2).
#include <gort/pool.hpp>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <mutex>

#include "runtime/internal/rt_mutex.hpp"
#include "sched/internal/sched.hpp"

namespace gort::internal {

namespace {

// Empty nodes a P keeps for the next put (memory only: no value).
constexpr std::size_t spare_limit = 4;
constexpr std::uint32_t ring_mask = pool_shared_limit - 1;
static_assert((pool_shared_limit & ring_mask) == 0,
              "the shared ring's size must be a power of two");

// pool_local is one P's cache. The owner's fields and the shared ring are
// on separate cache lines, so a thief locking the ring does not take the
// owner's line away.
struct alignas(64) pool_local {
  // Owner only (invariant 2).
  pool_node* priv = nullptr;   // the private slot: one value
  pool_node* spare = nullptr;  // empty nodes, linked by next
  std::size_t nspare = 0;

  // The shared ring (invariant 3): ring[(head + i) & ring_mask] for i in
  // [0, count), oldest first. count is written under lock and read without
  // it as a hint, to skip an empty ring without locking.
  alignas(64) rt_mutex lock{lock_rank::leaf};
  std::atomic<std::uint32_t> count{0};
  std::uint32_t head = 0;
  pool_node* ring[pool_shared_limit] = {};

  pool_node* pop_newest() noexcept {
    std::lock_guard<rt_mutex> lk(lock);
    const std::uint32_t c = count.load(std::memory_order_relaxed);
    if (c == 0) return nullptr;
    count.store(c - 1, std::memory_order_relaxed);
    return ring[(head + c - 1) & ring_mask];
  }
  pool_node* pop_oldest() noexcept {
    std::lock_guard<rt_mutex> lk(lock);
    const std::uint32_t c = count.load(std::memory_order_relaxed);
    if (c == 0) return nullptr;
    pool_node* n = ring[head];
    head = (head + 1) & ring_mask;
    count.store(c - 1, std::memory_order_relaxed);
    return n;
  }
  bool push_newest(pool_node* n) noexcept {
    std::lock_guard<rt_mutex> lk(lock);
    const std::uint32_t c = count.load(std::memory_order_relaxed);
    if (c >= pool_shared_limit) return false;
    ring[(head + c) & ring_mask] = n;
    count.store(c + 1, std::memory_order_relaxed);
    return true;
  }
};

// procs is the processor count the global bound is multiplied by.
std::size_t procs() noexcept {
  if (!started()) return 1;
  return static_cast<std::size_t>(
      std::max(1, sched().gomaxprocs.load(std::memory_order_relaxed)));
}

}  // namespace

struct pool_state {
  pool_state(std::size_t size, std::size_t align)
      : node_size(size),
        node_align(align),
        locals(new std::atomic<pool_local*>[max_procs]()) {}

  const std::size_t node_size;
  const std::size_t node_align;
  // locals[i] is P i's cache, or nullptr before P i's first put
  // (invariant 5); hw is one more than the highest i set.
  const std::unique_ptr<std::atomic<pool_local*>[]> locals;
  std::atomic<int> hw{0};

  // The global list (invariant 3), LIFO; count is a hint outside lock.
  alignas(64) rt_mutex global_lock{lock_rank::leaf};
  std::atomic<std::size_t> global_count{0};
  pool_node* global_head = nullptr;

  pool_local* local(int id) noexcept {
    return locals[static_cast<std::size_t>(id)].load(std::memory_order_acquire);
  }

  // own_local returns P id's cache, creating it; called only by a goroutine
  // on P id, so no other creator can race (invariant 5). nullptr if memory
  // runs out.
  pool_local* own_local(int id) noexcept {
    pool_local* l = local(id);
    if (l != nullptr) return l;
    l = new (std::nothrow) pool_local;
    if (l == nullptr) return nullptr;
    locals[static_cast<std::size_t>(id)].store(l, std::memory_order_release);
    int h = hw.load(std::memory_order_relaxed);
    while (h < id + 1 &&
           !hw.compare_exchange_weak(h, id + 1, std::memory_order_release,
                                     std::memory_order_relaxed)) {
    }
    return l;
  }

  // steal takes the oldest node of another P's shared ring, scanning from
  // the P after self (self < 0: a plain thread, from P 0).
  pool_node* steal(int self) noexcept {
    const int n = hw.load(std::memory_order_acquire);
    const int start = self + 1;
    for (int k = 0; k < n; ++k) {
      const int i = (start + k) % n;
      if (i == self) continue;
      pool_local* l = local(i);
      if (l == nullptr || l->count.load(std::memory_order_relaxed) == 0)
        continue;
      if (pool_node* got = l->pop_oldest()) return got;
    }
    return nullptr;
  }

  pool_node* global_pop() noexcept {
    if (global_count.load(std::memory_order_relaxed) == 0) return nullptr;
    std::lock_guard<rt_mutex> lk(global_lock);
    pool_node* n = global_head;
    if (n == nullptr) return nullptr;
    global_head = n->next;
    n->next = nullptr;
    global_count.store(global_count.load(std::memory_order_relaxed) - 1,
                       std::memory_order_relaxed);
    return n;
  }

  bool global_push(pool_node* n) noexcept {
    const std::size_t bound = pool_global_limit_per_proc * procs();
    std::lock_guard<rt_mutex> lk(global_lock);
    const std::size_t c = global_count.load(std::memory_order_relaxed);
    if (c >= bound) return false;
    n->next = global_head;
    global_head = n;
    global_count.store(c + 1, std::memory_order_relaxed);
    return true;
  }

  void delete_node(pool_node* n) noexcept {
    n->~pool_node();
    ::operator delete(n, node_size, std::align_val_t(node_align));
  }
};

pool_base::pool_base(std::size_t node_size, std::size_t node_align)
    : s_(new pool_state(node_size, node_align)) {}

pool_base::~pool_base() {
  pool_state& s = *s_;
  const int n = s.hw.load(std::memory_order_acquire);
  for (int i = 0; i < n; ++i) {
    pool_local* l = s.local(i);
    if (l == nullptr) continue;
    while (pool_node* e = l->spare) {
      l->spare = e->next;
      s.delete_node(e);
    }
    delete l;
  }
  delete s_;
}

pool_node* pool_base::alloc_node() {
  pool_state& s = *s_;
  if (p* pp = current_p()) {
    // Owner-only from here to the return (invariant 2).
    pool_local* l = s.local(pp->id);
    if (l != nullptr && l->spare != nullptr) {
      pool_node* n = l->spare;
      l->spare = n->next;
      --l->nspare;
      n->next = nullptr;
      return n;
    }
  }
  void* mem = ::operator new(s.node_size, std::align_val_t(s.node_align));
  return ::new (mem) pool_node{};
}

void pool_base::free_node(pool_node* n) noexcept {
  pool_state& s = *s_;
  if (p* pp = current_p()) {
    pool_local* l = s.local(pp->id);  // owner-only (invariant 2)
    if (l != nullptr && l->nspare < spare_limit) {
      n->next = l->spare;
      l->spare = n;
      ++l->nspare;
      return;
    }
  }
  s.delete_node(n);
}

void pool_base::delete_node(pool_node* n) noexcept { s_->delete_node(n); }

pool_node* pool_base::take() noexcept {
  pool_state& s = *s_;
  p* pp = current_p();
  if (pp == nullptr) {  // plain thread or blocking(): no private state
    if (pool_node* n = s.global_pop()) return n;
    return s.steal(-1);
  }
  const int self = pp->id;
  if (pool_local* l = s.local(self)) {
    if (pool_node* n = l->priv) {  // owner-only (invariant 2)
      l->priv = nullptr;
      return n;
    }
    // From here on the P may change (the lock may block the thread, never
    // park the goroutine); nothing below relies on staying on it.
    if (l->count.load(std::memory_order_relaxed) != 0)
      if (pool_node* n = l->pop_newest()) return n;
  }
  if (pool_node* n = s.steal(self)) return n;
  return s.global_pop();
}

pool_node* pool_base::give(pool_node* n) noexcept {
  pool_state& s = *s_;
  n->next = nullptr;
  if (p* pp = current_p()) {
    if (pool_local* l = s.own_local(pp->id)) {
      if (l->priv == nullptr) {  // owner-only (invariant 2)
        l->priv = n;
        return nullptr;
      }
      if (l->count.load(std::memory_order_relaxed) < pool_shared_limit &&
          l->push_newest(n))
        return nullptr;
    }
  }
  if (s.global_push(n)) return nullptr;
  return n;
}

pool_node* pool_base::drain() noexcept {
  pool_state& s = *s_;
  pool_node* out = nullptr;
  auto keep = [&out](pool_node* n) {
    n->next = out;
    out = n;
  };
  const int n = s.hw.load(std::memory_order_acquire);
  for (int i = 0; i < n; ++i) {
    pool_local* l = s.local(i);
    if (l == nullptr) continue;
    if (l->priv != nullptr) keep(l->priv);
    l->priv = nullptr;
    while (pool_node* e = l->pop_oldest()) keep(e);
  }
  while (pool_node* e = s.global_pop()) keep(e);
  return out;
}

}  // namespace gort::internal
