// Processors: start-up, set_maxprocs, placement and pinning.
//
// Resizing without stopping the world. Go's procresize stops the world;
// gort cannot, because it cannot preempt a goroutine. Instead:
//   1. Growing stores the new count, then puts the new (or revived dead) Ps
//      on the idle list and calls wakep(): they are used at once.
//   2. Shrinking stores the new count first. Then, under sched.lock, the
//      idle Ps being removed are taken off the idle list and retired, and
//      those in blocking() are retired by a CAS on their status (their M
//      finds out when it leaves blocking()). A running P being removed is
//      retired by its own M at its next scheduling point
//      (retire_if_removed), and pidle_put never puts a removed P on the idle
//      list, so no P escapes.
//   3. Retiring a P moves its queued goroutines to the global queue, its
//      timers to P0's heap (P0 always exists), and its caches to the global
//      pools, and marks it dead. Dead Ps keep their memory: thieves may
//      still be reading them, and a later grow revives them.
#include <sched.h>

#include <algorithm>
#include <cstdio>
#include <mutex>

#include "runtime/internal/check.hpp"
#include "runtime/internal/context.hpp"
#include "runtime/internal/env.hpp"
#include "runtime/internal/trace.hpp"
#include "sched/internal/sched.hpp"

namespace gort::internal {

sched_t* g_sched = nullptr;

namespace {

std::once_flag g_once;
bool g_pin_explicit = false;
cpu_set_t g_process_affinity;

// place computes each P's CPU and victim order for n processors.
void place(int n) {
  sched_t& s = sched();
  pin_mode mode = s.pin;
  if (!g_pin_explicit) {
    const int cores = s.topo != nullptr ? s.topo->cores() : 0;
    mode = n <= cores ? pin_mode::core : pin_mode::none;
  }
  std::vector<cpu_slot> slots;
  if (s.topo != nullptr) {
    slots = s.topo->place(n, mode);
  } else {
    slots.resize(static_cast<std::size_t>(n));
  }
  auto tiers = std::make_unique<victim_table>(victim_tiers(slots));
  for (int i = 0; i < n; ++i) {
    p* pp = s.allp[i];
    const cpu_slot& slot = slots[static_cast<std::size_t>(i)];
    pp->bind_pu.store(slot.bind ? slot.pu_os : -1, std::memory_order_relaxed);
    pp->victims.store(&(*tiers)[static_cast<std::size_t>(i)],
                      std::memory_order_release);
  }
  // Old tables stay alive in sched_t, which is never destroyed: a thief may
  // still be walking one, and workers outlive main's static destructors.
  s.victim_tables.push_back(std::move(tiers));
}

p* new_p(int id) {
  p* pp = new p;
  pp->id = id;
  pp->status.store(pstatus::dead, std::memory_order_relaxed);
  return pp;
}

void start() {
  g_sched = new sched_t;  // never destroyed: threads may outlive main
  sched_t& s = *g_sched;
  s.start_ns = monotonic_ns();
  CPU_ZERO(&g_process_affinity);
  sched_getaffinity(0, sizeof g_process_affinity, &g_process_affinity);
  const int procs =
      static_cast<int>(env_int("GORT_MAXPROCS", 1, max_procs, default_procs()));
  static const char* const pins[] = {"none", "core", "pu"};
  const int pin = env_choice("GORT_PIN", pins, 3, -1);
  g_pin_explicit = pin >= 0;
  s.pin = pin >= 0 ? static_cast<pin_mode>(pin) : pin_mode::none;
  stack_init(env_size("GORT_STACK_SIZE", 16 * 1024, std::size_t{1} << 30,
                      default_stack_size()));
  s.schedtrace_ms =
      static_cast<int>(env_int("GORT_SCHEDTRACE", 0, 3'600'000, 0));
  s.topo = topology::load_system();
  context_init(&g_entry);
  install_overflow_handler();
  procs_init(procs);
  signals_start();
  trace_env_init();
  sysmon_start();
}

}  // namespace

void ensure_started() { std::call_once(g_once, start); }

void procs_init(int n) {
  sched_t& s = sched();
  for (int i = 0; i < n; ++i) s.allp[i] = new_p(i);
  s.gomaxprocs.store(n, std::memory_order_release);
  place(n);
  std::lock_guard<rt_mutex> lk(s.lock);
  for (int i = n - 1; i >= 0; --i) pidle_put(s.allp[i]);
}

void procs_resize(int n) {
  sched_t& s = sched();
  std::lock_guard<std::mutex> resize(s.resize_mu);
  const int old = s.gomaxprocs.load(std::memory_order_acquire);
  if (n == old) return;
  trace::emit(ev::procs, n);
  if (n > old) {
    for (int i = old; i < n; ++i)
      if (s.allp[i] == nullptr) s.allp[i] = new_p(i);
    place(n);
    s.gomaxprocs.store(n, std::memory_order_seq_cst);
    {
      std::lock_guard<rt_mutex> lk(s.lock);
      for (int i = old; i < n; ++i) {
        p* pp = s.allp[i];
        // A P still running here was being removed; its M keeps it now.
        if (pp->status.load(std::memory_order_acquire) == pstatus::dead)
          pidle_put(pp);
      }
    }
    wakep();
    return;
  }
  s.gomaxprocs.store(n, std::memory_order_seq_cst);
  place(n);
  std::vector<p*> blocked;
  {
    std::lock_guard<rt_mutex> lk(s.lock);
    p** link = &s.pidle;
    while (*link != nullptr) {
      p* pp = *link;
      if (pp->id >= n) {
        *link = pp->idle_link;
        pp->idle_link = nullptr;
        s.npidle.fetch_sub(1, std::memory_order_seq_cst);
        retire_p(pp);
      } else {
        link = &pp->idle_link;
      }
    }
    for (int i = n; i < old; ++i) {
      pstatus b = pstatus::blocking;
      if (s.allp[i]->status.compare_exchange_strong(b, pstatus::idle))
        blocked.push_back(s.allp[i]);
    }
  }
  for (p* pp : blocked) retire_p(pp);  // may drain into the global queue
  wakep();
}

void retire_p(p* pp) noexcept {
  sched_t& s = sched();
  if (!runq_empty(pp)) runq_drain_to_global(pp);  // never under s.lock: S1
  pp->timers.move_all(s.allp[0]->timers);
  flush_caches(pp);
  pp->owner.store(nullptr, std::memory_order_relaxed);
  pp->status.store(pstatus::dead, std::memory_order_release);
  // No wakep() here: callers may hold sched.lock (pidle_put, procs_resize).
  // The moved timers are found by whoever idles next (stop_m computes the
  // earliest timer of every P), and procs_resize and retire_if_removed call
  // wakep() once the lock is released. (Regression: calling it here
  // self-deadlocked on sched.lock; sched_test's
  // shrinking_maxprocs_while_timers_are_pending.)
}

void flush_caches(p* pp) noexcept {
  sched_t& s = sched();
  if (pp->sfree != nullptr) {
    stack_free_batch(pp->sfree, static_cast<std::size_t>(pp->sfree_count));
    pp->sfree = nullptr;
    pp->sfree_count = 0;
  }
  if (pp->gfree != nullptr) {
    g* tail = pp->gfree;
    while (tail->schedlink != nullptr) tail = tail->schedlink;
    std::lock_guard<rt_mutex> lk(s.gfree_lock);
    tail->schedlink = s.gfree;
    s.gfree = pp->gfree;
    s.gfree_count += static_cast<std::size_t>(pp->gfree_count);
    pp->gfree = nullptr;
    pp->gfree_count = 0;
  }
}

void bind_thread(m* mp, int pu) noexcept {
  sched_t& s = sched();
  if (pu >= 0 && s.topo != nullptr) {
    cpu_slot slot;
    slot.pu_os = pu;
    slot.bind = true;
    s.topo->bind_current_thread(slot);
  } else {
    sched_setaffinity(0, sizeof g_process_affinity, &g_process_affinity);
  }
  mp->bound_cpu = pu;
}

}  // namespace gort::internal
