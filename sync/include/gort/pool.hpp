// gort/pool.hpp: Go's sync.Pool, a cache of reusable values, adapted to a
// runtime without a garbage collector.
//
//   gort::pool<std::unique_ptr<buffer>> buffers(
//       [] { return std::make_unique<buffer>(); });
//   auto b = buffers.get();  // a cached buffer, or a new one from make
//   ... use *b ...
//   buffers.put(std::move(b));  // for the next get, on any goroutine
//
// A pool amortises the cost of temporary objects (buffers, encoders) over
// many goroutines. It is a cache, not a container: get returns some value
// that was put earlier, or a fresh one from make; which one is unspecified,
// and a value that was put may be destroyed instead of being kept (below).
//
// Why per processor. Most goroutines get a value, use it and put it back
// before they park. gort is cooperative: a goroutine keeps its processor
// (P) until it parks or yields. So the pool keeps one cache per P, and a
// get/put pair touches only its own P's cache: a `private` slot holding one
// value, reached with no lock and no atomic read-modify-write, because
// nothing else runs on that P between the moment the pool reads the current
// P and its last touch of the slot (the pool calls nothing that can park in
// between; this is Go's procPin without the pin). Beside it each P has a
// `shared` list, guarded by a small lock, where values go when the private
// slot is taken and from which other Ps steal when their own cache is
// empty: the owner pushes and pops the newest end (warm in its cache),
// thieves take the oldest. Past the per-P caches is one global list, which
// is also all that plain OS threads and goroutines inside blocking() (no P)
// put to.
//
//   get:  own private -> own shared, newest -> other Ps' shared, oldest,
//         starting after its own P -> global list -> make().
//         Without a P: global list -> other Ps' shared -> make().
//   put:  own private if empty -> own shared if below its bound -> global
//         list if below its bound -> else the value is destroyed.
//         Without a P: global list if below its bound -> else destroyed.
//
// Why bounded. Go's pool forgets: each garbage collection turns the caches
// into a victim cache and drops the previous victim, so the values left
// over from a burst of puts are freed within two cycles. gort has no
// collector, so a pool that kept every put would hold the high-water mark
// of the worst burst for ever. Instead every list has a fixed bound and a
// put past it destroys the value at once:
//
//   private slot    1 per P
//   shared list     shared_limit (64) per P
//   global list     global_limit_per_proc (64) x maxprocs() at the time of
//                   the put (x 1 before the runtime has started)
//
// so a pool holds at most 65 x (processors that have used it) + 64 x (the
// largest maxprocs() seen by a put) values. There is no victim cache and
// no ageing: a value stays until a get takes it or the pool is destroyed.
//
// Nodes. Each value lives in its own heap node and the lists hold node
// pointers, so every section under a lock, and every touch of a P's
// private state, moves pointers only: make(), and T's constructors,
// destructors and moves, run with no lock held and outside those sections.
// They may do anything, including park or use the pool itself. Each P
// keeps up to 4 empty nodes, so a steady get/put cycle allocates nothing.
//
// Processors. Per-P state is indexed by the P's id in a table sized for
// the most processors the runtime supports (1,024 pointers, 8 KiB per
// pool); a P's cache (640 bytes, cache-line aligned so that two Ps never
// share a line) is allocated on its first put. set_maxprocs may remove and
// revive Ps at any time, and run() may be called many times: nothing is
// resized. A removed P's shared list stays reachable, because thieves scan
// every P that has ever used the pool; its private slot waits until the P
// comes back or the pool is destroyed (it is within the bound above). Go
// drops the per-P arrays when GOMAXPROCS changes; gort cannot, because it
// does not stop the world.
//
// Other differences from Go: the shared lists are small locked rings (a
// few pointer moves per critical section; a lock is contended only by a
// thief) instead of lock-free chains; plain threads may use the pool; and
// T need not be a pointer: any move-constructible T works, move-only ones
// included.
//
// Ordering: a put(v) happens before the get() that returns v (Go's memory
// model for Pool).
//
// Invariants (sync/pool.cpp keeps them):
//   1. A node is in exactly one place: a P's private slot, a P's shared
//      ring, the global list, a P's spare list (empty nodes only), or the
//      hands of one caller between taking it and returning. So no value is
//      ever handed to two holders at once.
//   2. A P's private slot and spare list are touched only by the goroutine
//      running on that P, between reading the current P and its next call
//      that could park (the pool makes none), and by the destructor.
//   3. A P's shared ring changes only under that P's lock; the global list
//      only under the global lock. These locks are leaves: the pool never
//      holds two at once, nor any while it calls make() or T's code.
//   4. shared holds at most shared_limit nodes; a push to the global list
//      succeeds only while it holds fewer than global_limit_per_proc x the
//      current maxprocs() (a later shrink evicts nothing: the bound on the
//      total above uses the largest value seen).
//   5. A P's cache is created at most once, by a goroutine on that P, and
//      freed only by the pool's destructor.
//   6. The destructor destroys every value the pool holds exactly once, and
//      frees every node.
#pragma once

#include <cstddef>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

namespace gort {

namespace internal {

// The bounds (invariant 4): a P's shared list, and the global list per
// processor.
inline constexpr std::size_t pool_shared_limit = 64;
inline constexpr std::size_t pool_global_limit_per_proc = 64;

// pool_node heads every node; the value (if any) follows at the offset the
// template computes.
struct pool_node {
  pool_node* next = nullptr;
};

struct pool_state;  // sync/pool.cpp

// pool_make: F is a make function for a pool<T>.
template <class F, class T>
concept pool_make =
    std::is_invocable_r_v<T, F&> && std::is_move_constructible_v<F>;

// pool_base is everything in pool<T> that does not depend on T: per-P
// caches, the global list and node memory. It only moves node pointers;
// the template constructs and destroys the values inside the nodes. Every
// member may be called from any goroutine or plain thread.
class pool_base {
 public:
  pool_base(const pool_base&) = delete;
  pool_base& operator=(const pool_base&) = delete;

 protected:
  // node_size and node_align describe a node with room for one value.
  // Throws std::bad_alloc.
  pool_base(std::size_t node_size, std::size_t node_align);
  // Frees the caches and empty nodes; drain() must have emptied the pool.
  ~pool_base();

  // alloc_node returns an empty node: a spare of the current P, or fresh
  // memory. Throws std::bad_alloc.
  pool_node* alloc_node();
  // free_node takes back an empty node (its value already destroyed).
  void free_node(pool_node* n) noexcept;
  // take removes a node holding a value, in get's order, or returns
  // nullptr if the pool is empty.
  pool_node* take() noexcept;
  // give stores a node holding a value in put's order and returns nullptr,
  // or returns n if every list it may use is at its bound.
  pool_node* give(pool_node* n) noexcept;
  // drain removes every node holding a value and returns them linked by
  // next. Only while no other call on the pool runs (the destructor).
  pool_node* drain() noexcept;
  // delete_node frees an empty node's memory at once.
  void delete_node(pool_node* n) noexcept;

 private:
  pool_state* s_;
};

}  // namespace internal

// pool<T> caches values of type T for reuse across goroutines and threads.
//
// T must be a move-constructible object type; move-only types work. T's
// moves and destructor, and make, run with no runtime lock held, so they
// may park or use the pool. A pool is neither copyable nor movable.
//
// Example:
//   gort::pool<std::string> strings([] { return std::string(); });
//   std::string s = strings.get();
//   s.assign("scratch");
//   strings.put(std::move(s));
template <class T>
class pool : private internal::pool_base {
  static_assert(std::is_object_v<T> && !std::is_const_v<T> &&
                    !std::is_volatile_v<T> && !std::is_array_v<T>,
                "gort::pool<T>: T must be a non-const, non-array object type");
  static_assert(std::is_move_constructible_v<T> && std::is_destructible_v<T>,
                "gort::pool<T>: T must be move-constructible");

 public:
  // shared_limit is how many values one processor's shared list holds.
  static constexpr std::size_t shared_limit = internal::pool_shared_limit;
  // global_limit_per_proc times maxprocs() is how many values the global
  // list holds (times 1 before the runtime has started).
  static constexpr std::size_t global_limit_per_proc =
      internal::pool_global_limit_per_proc;

  // pool creates an empty pool whose get() calls make() when it finds no
  // cached value. make is moved into the pool; it may be move-only. It
  // runs on whichever goroutine or thread calls get, possibly on several
  // at once, and must return a T. Throws std::bad_alloc.
  template <internal::pool_make<T> F>
  explicit pool(F make)
      : internal::pool_base(node_size, node_align),
        make_(std::make_unique<maker<F>>(std::move(make))) {}

  // ~pool destroys every value the pool holds. No get or put may run, or
  // start, while it runs; values taken out by get are the caller's and
  // are not affected.
  ~pool() {
    internal::pool_node* n = drain();
    while (n != nullptr) {
      internal::pool_node* next = n->next;
      value_of(n)->~T();
      delete_node(n);
      n = next;
    }
  }

  pool(const pool&) = delete;
  pool& operator=(const pool&) = delete;

  // get removes and returns a cached value, in the order the top of this
  // file gives, or returns make() if the pool holds none. Any goroutine or
  // plain thread. It does not park (make and T's moves may); a contended
  // pool lock may hold up its thread for a few pointer moves. Throws what
  // make or T's move constructor throws; if the move constructor throws,
  // the cached value is destroyed.
  T get() {
    internal::pool_node* n = take();
    if (n == nullptr) return make_->call();
    struct release {
      pool* self;
      internal::pool_node* n;
      ~release() {
        value_of(n)->~T();
        self->free_node(n);
      }
    } r{this, n};
    return T(std::move(*value_of(n)));
  }

  // put gives value to the pool for a later get, or destroys it if the
  // lists it may use are full (the bounds at the top of this file). Any
  // goroutine or plain thread. It does not park (T's move constructor and
  // destructor may), and locks as get does. Throws std::bad_alloc, or what
  // T's move constructor throws; value is then destroyed with the
  // argument.
  void put(T value) {
    internal::pool_node* n = alloc_node();
    T* v = nullptr;
    try {
      v = ::new (storage_of(n)) T(std::move(value));
    } catch (...) {
      free_node(n);
      throw;
    }
    if (give(n) != nullptr) {
      v->~T();
      free_node(n);
    }
  }

 private:
  struct maker_base {
    virtual ~maker_base() = default;
    virtual T call() = 0;
  };
  template <class F>
  struct maker final : maker_base {
    explicit maker(F&& f) : fn(std::move(f)) {}
    T call() override { return fn(); }
    F fn;
  };

  static constexpr std::size_t value_offset =
      (sizeof(internal::pool_node) + alignof(T) - 1) / alignof(T) * alignof(T);
  static constexpr std::size_t node_size = value_offset + sizeof(T);
  static constexpr std::size_t node_align = alignof(T) >
                                                    alignof(internal::pool_node)
                                                ? alignof(T)
                                                : alignof(internal::pool_node);

  static void* storage_of(internal::pool_node* n) noexcept {
    return reinterpret_cast<unsigned char*>(n) + value_offset;
  }
  static T* value_of(internal::pool_node* n) noexcept {
    return std::launder(static_cast<T*>(storage_of(n)));
  }

  std::unique_ptr<maker_base> make_;
};

}  // namespace gort
