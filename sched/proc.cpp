// Goroutine creation, the goroutine body, and exit.
//
// go() is two calls so that the callable can be constructed in place, in
// the G's inline buffer, by the template in gort/sched.hpp: spawn_prepare
// takes a dead G from the P's free list (or the global pool, or allocates
// a batch), and spawn_commit publishes it into the P's runnext slot (Go:
// the new G runs next, the old runnext moves to the tail) and calls
// wakep(). No stack is touched at spawn: a G gets a stack from its P's
// cache when it first runs (execute in scheduler.cpp), so a burst of a
// million spawns costs a million control blocks, and a stack is reused hot
// from the goroutine that just ended.
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <new>

#include <gort/sched.hpp>
#include "runtime/internal/check.hpp"
#include "runtime/internal/futex.hpp"
#include "runtime/internal/trace.hpp"
#include "sched/internal/park.hpp"
#include "sched/internal/sched.hpp"

namespace gort::internal {
namespace {

constexpr int g_batch = 64;
constexpr std::uint64_t goid_batch = 16;

g* alloc_batch(p* pp) {
  sched_t& s = sched();
  g* block = new g[g_batch];
  {
    std::lock_guard<rt_mutex> lk(s.allgs_lock);
    for (int i = 0; i < g_batch; ++i) {
      block[i].status.store(gstatus::dead, std::memory_order_relaxed);
      block[i].allg_next = s.allgs.load(std::memory_order_relaxed);
      s.allgs.store(&block[i], std::memory_order_release);
    }
  }
  // Keep one; the others go to the P's free list or the global pool.
  for (int i = 1; i < g_batch; ++i) {
    if (pp != nullptr) {
      block[i].schedlink = pp->gfree;
      pp->gfree = &block[i];
      ++pp->gfree_count;
    } else {
      std::lock_guard<rt_mutex> lk(s.gfree_lock);
      block[i].schedlink = s.gfree;
      s.gfree = &block[i];
      ++s.gfree_count;
    }
  }
  return &block[0];
}

[[noreturn]] void panic(g* gp, const char* what) noexcept {
  std::fflush(stdout);
  {
    out_buffer out(2);
    out << "gort: panic: " << what << "\n\ngoroutine " << gp->id
        << " [running]:\ncreated by " << gp->site.function_name() << "\n\t"
        << gp->site.file_name() << ':' << std::uint64_t{gp->site.line()}
        << "\n";
  }
  trace::on_fatal();
  std::_Exit(2);
}

}  // namespace

std::uint64_t goid_new(p* pp) noexcept {
  sched_t& s = sched();
  if (pp == nullptr) return s.goid_gen.fetch_add(1) + 1;
  if (pp->goid_next == pp->goid_end) {
    pp->goid_next = s.goid_gen.fetch_add(goid_batch) + 1;
    pp->goid_end = pp->goid_next + goid_batch;
  }
  return pp->goid_next++;
}

g* g_alloc(p* pp) noexcept {
  if (pp != nullptr && pp->gfree != nullptr) {
    g* gp = pp->gfree;
    pp->gfree = gp->schedlink;
    --pp->gfree_count;
    return gp;
  }
  sched_t& s = sched();
  {
    std::lock_guard<rt_mutex> lk(s.gfree_lock);
    if (s.gfree != nullptr) {
      // Take up to 32 at once, as Go refills a P's list.
      g* gp = s.gfree;
      s.gfree = gp->schedlink;
      --s.gfree_count;
      for (int i = 0; pp != nullptr && i < 31 && s.gfree != nullptr; ++i) {
        g* more = s.gfree;
        s.gfree = more->schedlink;
        --s.gfree_count;
        more->schedlink = pp->gfree;
        pp->gfree = more;
        ++pp->gfree_count;
      }
      return gp;
    }
  }
  return alloc_batch(pp);
}

namespace {
// free_fn releases a goroutine's callable storage if it was on the heap,
// with the alignment it was allocated with (a plain delete of an aligned
// new is undefined behaviour; ASan reports it).
void free_fn(g* gp) noexcept {
  if (gp->fn_heap_align != 0)
    ::operator delete (gp->fn, std::align_val_t{gp->fn_heap_align});
  gp->fn = nullptr;
}
}  // namespace

// g_entry is every goroutine's body (called by the switch's trampoline).
void g_entry(g* gp) {
  try {
    gp->invoke(gp->fn);
  } catch (const std::exception& e) {
    panic(gp, e.what());
  } catch (...) {
    panic(gp, "an exception not derived from std::exception");
  }
  free_fn(gp);
}

void* spawn_prepare(const spawn_request& req, void** handle) {
  ensure_started();
  p* pp = current_p();
  g* gp = g_alloc(pp);
  gp->status.store(gstatus::idle, std::memory_order_relaxed);
  gp->site = req.site;
  gp->invoke = req.invoke;
  gp->destroy = req.destroy;
  gp->schedlink = nullptr;
  if (req.size <= g_inline_fn_bytes && req.align <= 16) {
    gp->fn = gp->fn_inline;
    gp->fn_heap_align = 0;
  } else {
    GORT_CHECK(req.align <= 0x8000);  // fits fn_heap_align
    gp->fn_heap_align =
        static_cast<std::uint16_t>(req.align < 16 ? 16 : req.align);
    gp->fn = ::operator new (req.size, std::align_val_t{gp->fn_heap_align});
  }
  *handle = gp;
  return gp->fn;
}

void spawn_cancel(void* handle) noexcept {
  auto* gp = static_cast<g*>(handle);
  free_fn(gp);
  gp->status.store(gstatus::dead, std::memory_order_relaxed);
  sched_t& s = sched();
  std::lock_guard<rt_mutex> lk(s.gfree_lock);
  gp->schedlink = s.gfree;
  s.gfree = gp;
  ++s.gfree_count;
}

void spawn_commit(void* handle) noexcept {
  auto* gp = static_cast<g*>(handle);
  sched_t& s = sched();
  p* pp = current_p();
  gp->id = goid_new(pp);
  s.ngoroutines.fetch_add(1, std::memory_order_relaxed);
  s.ncreated.fetch_add(1, std::memory_order_relaxed);
  if (trace::on()) {
    const g* parent = current_g();
    trace::emit(ev::go_create, gp->id, trace::site_id(gp->site),
                parent != nullptr ? parent->id : 0);
  }
  gp->status.store(gstatus::runnable, std::memory_order_release);
  if (pp != nullptr) {
    bump(pp->counters.spawned);
    runq_put(pp, gp, true);
  } else {
    globrunq_put(gp);
  }
  wakep();
}

void run_main(void (*fn)(void*), void* arg) {
  if (current_g() != nullptr) {
    fn(arg);  // run() from a goroutine: just call it
    return;
  }
  struct main_task {
    void (*fn)(void*);
    void* arg;
    static void invoke(void* self) {
      auto* t = static_cast<main_task*>(self);
      t->fn(t->arg);
    }
    static void destroy(void*) {}
  };
  thread_parker done;
  void* handle = nullptr;
  void* mem =
      spawn_prepare({sizeof(main_task), alignof(main_task), &main_task::invoke,
                     &main_task::destroy, std::source_location::current()},
                    &handle);
  ::new (mem) main_task{fn, arg};
  auto* gp = static_cast<g*>(handle);
  gp->is_main = true;
  gp->main_done = &done;
  plain_asleep_in();  // D2: free_g counts this thread out as it wakes it
  spawn_commit(handle);
  while (!done.park()) {
  }
}

}  // namespace gort::internal
