// sched/internal/sched.hpp: processors (P), machines (M) and the global
// scheduler state. The protocols are in sched/scheduler.cpp ("Scheduler",
// "Spinning workers", "Idle workers and timers") and sched/runq.cpp ("Run
// queues").
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "runtime/internal/futex.hpp"
#include "runtime/internal/g.hpp"
#include "runtime/internal/rt_mutex.hpp"
#include "runtime/internal/stack.hpp"
#include "runtime/internal/topology.hpp"
#include "sched/internal/timers.hpp"

namespace gort::internal {

inline constexpr int max_procs = 1024;
inline constexpr std::uint32_t runq_size = 256;

// pstatus is a processor's state.
//   idle      On the idle list; its run queue is empty (it may have timers).
//             Owner: sched.lock.
//   running   Owned by exactly one M; only that M changes its run queue's
//             tail, its caches and its status (except below).
//   blocking  Its M is inside blocking(). Sysmon may CAS it to idle and hand
//             it to another M (retake); the M may CAS it back to running.
//   dead      Removed by set_maxprocs; its queues were drained. Reused if
//             maxprocs grows again.
using victim_table = std::vector<std::vector<std::vector<int>>>;

enum class pstatus : std::uint32_t { idle, running, blocking, dead };

struct m;

// store_load_barrier orders the caller's earlier stores before its later
// loads (the StoreLoad of "Spinning workers", step 4). GCC's TSan does not
// model atomic_thread_fence, so under TSan a seq_cst read-modify-write of a
// private atomic stands in for it (a locked instruction: a full barrier).
inline void store_load_barrier() noexcept {
#if defined(__SANITIZE_THREAD__)
  static std::atomic<int> dummy{0};
  dummy.fetch_add(0, std::memory_order_seq_cst);
#else
  std::atomic_thread_fence(std::memory_order_seq_cst);
#endif
}

// bump adds n to a counter that only one thread writes (the P's owner):
// a load and a store, not a locked read-modify-write, so the scheduler's hot
// paths pay no bus lock for statistics. Readers (stats) may see it late.
inline void bump(std::atomic<std::uint32_t>& c, std::uint32_t n = 1) noexcept {
  c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}
inline void bump(std::atomic<std::uint64_t>& c, std::uint64_t n = 1) noexcept {
  c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

// Per-P counters: written by the owner with bump(), except stolen_from
// (written by thieves with fetch_add); read by stats().
struct p_counters {
  std::atomic<std::uint64_t> scheduled{0};
  std::atomic<std::uint64_t> spawned{0};
  std::atomic<std::uint64_t> steals{0};
  std::atomic<std::uint64_t> stolen{0};
  std::atomic<std::uint64_t> stolen_from{0};  // written by thieves
  std::atomic<std::uint64_t> parks{0};
  std::atomic<std::uint64_t> timers_fired{0};
};

struct p {
  int id = 0;
  std::atomic<pstatus> status{pstatus::dead};
  std::atomic<m*> owner{nullptr};  // the M that holds it (stats only)

  // Run queue (sched/runq.cpp). head: consumers CAS; tail: owner stores.
  alignas(64) std::atomic<std::uint32_t> head{0};
  std::atomic<std::uint32_t> tail{0};
  std::atomic<g*> runnext{nullptr};
  std::atomic<g*> ring[runq_size];

  // Owned by the P's owner.
  alignas(64) std::uint32_t schedtick = 0;      // goroutines scheduled, slices
  std::atomic<std::uint32_t> schedtick_pub{0};  // copy for sysmon
  std::atomic<std::uint32_t> blocktick{0};      // blocking() entries
  std::atomic<bool> preempt{false};  // sysmon: slice over; skip runnext once
  int io_budget = 0;  // I/O ops done without parking (io_budget_spend)
  std::uint64_t goid_next = 0, goid_end = 0;  // goroutine-id batch
  g* gfree = nullptr;                         // dead Gs
  int gfree_count = 0;
  stack_desc* sfree = nullptr;  // free stacks
  int sfree_count = 0;

  timer_heap timers;
  p_counters counters;

  // Placement, replaced by set_maxprocs (read by the owner and thieves).
  std::atomic<int> bind_pu{-1};  // OS CPU its worker binds to; -1: none
  std::atomic<const std::vector<std::vector<int>>*> victims{nullptr};
  std::atomic<std::uint32_t> switches{0};  // every resume, for sysmon
  std::atomic<bool> in_g{false};           // a goroutine is on it now

  // Sysmon's observations (sysmon thread only).
  std::uint32_t sysmon_switches = 0;
  std::uint32_t sysmon_tick = 0;
  std::int64_t sysmon_when = 0;
  bool sysmon_reported = false;
  std::uint32_t sysmon_blocktick = 0;
  std::int64_t sysmon_block_when = 0;

  p* idle_link = nullptr;  // protected by sched.lock
};

// m is a worker thread: the runtime's worker (runtime/internal/g.hpp) plus
// scheduling state.
struct m {
  worker w;                        // must stay first
  p* pp = nullptr;                 // the P it holds (owner: this M)
  p* oldp = nullptr;               // the P it held when entering blocking()
  std::atomic<p*> nextp{nullptr};  // a P handed to it before a wake-up
  bool spinning = false;           // counted in sched.nmspinning
  std::atomic<bool> wake_spinning{false};  // set with nextp by start_m
  std::atomic<bool> in_blocking{false};
  thread_parker parker;
  m* idle_link = nullptr;     // protected by sched.lock
  bool on_idle_list = false;  // protected by sched.lock
  int bound_cpu = -1;         // OS CPU it is bound to
  std::uint64_t rng = 0;      // victim order
};

// sched_t is the single global scheduler (Go's schedt).
struct sched_t {
  rt_mutex lock{lock_rank::sched};

  // Protected by lock:
  g* runq_head = nullptr;  // global run queue (FIFO via g->schedlink)
  g* runq_tail = nullptr;
  p* pidle = nullptr;          // idle Ps
  m* midle = nullptr;          // idle Ms
  std::atomic<int> nmidle{0};  // written under lock, read anywhere
  std::vector<m*> allm;

  // Atomics:
  std::atomic<std::size_t> runq_size{0};  // readable without the lock
  std::atomic<int> npidle{0};
  std::atomic<int> nmspinning{0};
  std::atomic<int> nmblocking{0};
  std::atomic<int> gomaxprocs{0};
  std::atomic<int> mcount{0};
  std::atomic<std::int64_t> timed_sleeper{never};  // deadline of the M
                                                   // sleeping for timers
  std::atomic<std::uint64_t> goid_gen{0};
  std::atomic<std::size_t> ngoroutines{0};
  std::atomic<std::uint64_t> ncreated{0};
  std::atomic<std::uint64_t> long_running{0};
  std::atomic<std::uint64_t> retakes{0};
  std::atomic<std::uint64_t> sysmon_wakes{0};  // sysmon's timed wake-ups
  std::atomic<std::uint64_t> handoffs{0};

  p* allp[max_procs] = {};  // Ps are created once and never freed

  // Configuration, fixed at start.
  pin_mode pin = pin_mode::none;
  int schedtrace_ms = 0;
  std::unique_ptr<topology> topo;
  std::int64_t start_ns = 0;

  std::mutex resize_mu;  // serialises set_maxprocs (not a scheduler lock)
  std::vector<std::unique_ptr<victim_table>> victim_tables;  // resize_mu

  // The global dead-G pool.
  rt_mutex gfree_lock{lock_rank::stack_pool};
  g* gfree = nullptr;  // protected by gfree_lock
  std::size_t gfree_count = 0;

  // Registry of all Gs (for stats and dumps).
  rt_mutex allgs_lock{lock_rank::allgs};
  std::atomic<g*> allgs{nullptr};  // linked through g->allg_next

  // gort's own threads besides the workers and sysmon (the signal thread),
  // for the deadlock detector's thread census (sched/deadlock.cpp, D4).
  std::atomic<int> helper_threads{0};

  // Sysmon.
  std::atomic<std::uint32_t> sysmon_wake{0};
  std::atomic<bool> sysmon_sleeping{false};
};

// The scheduler. started() is false until the first go() or run().
extern sched_t* g_sched;  // set once by ensure_started, never freed
inline sched_t& sched() noexcept { return *g_sched; }
inline bool started() noexcept { return g_sched != nullptr; }
void ensure_started();

// The calling thread's M, or nullptr on a plain thread (out of line).
inline m* current_m() noexcept {
  return reinterpret_cast<m*>(current_worker());
}
// The P of the calling goroutine's M, or nullptr (plain thread, blocking()).
inline p* current_p() noexcept {
  m* mp = current_m();
  return mp != nullptr ? mp->pp : nullptr;
}

// --- Run queues (sched/runq.cpp). ---
void runq_put(p* pp, g* gp, bool next) noexcept;
g* runq_get(p* pp, bool* inherit) noexcept;
g* runq_steal(p* pp, p* victim, bool steal_runnext) noexcept;
bool runq_empty(const p* pp) noexcept;
std::uint32_t runq_len(const p* pp) noexcept;
void runq_drain_to_global(p* pp) noexcept;  // P retirement
void globrunq_put(g* gp) noexcept;
void globrunq_put_batch(g* head, g* tail, std::size_t n) noexcept;
g* globrunq_get(p* pp, int max) noexcept;  // lock taken inside

// --- Scheduler (sched/scheduler.cpp). ---
void wakep() noexcept;
std::int64_t earliest_timer() noexcept;
void flush_caches(p* pp) noexcept;
[[noreturn]] void m_main(m* mp);
void start_m(p* pp, bool spinning) noexcept;
void handoff_p(p* pp) noexcept;
void pidle_put(p* pp) noexcept;  // sched.lock held
p* pidle_get() noexcept;         // sched.lock held
void acquire_p(m* mp, p* pp) noexcept;
bool retire_if_removed(m* mp) noexcept;
void note_timer_added(std::int64_t when) noexcept;

// --- Park and ready (sched/park.cpp). ---
// set_runnable is ready()'s status change (waiting -> runnable) without
// queueing: for a batch that inject_glist queues.
void set_runnable(g* gp) noexcept;
// inject_glist queues a list of runnable goroutines (through schedlink),
// n of them, and starts Ms for idle Ps: Go's injectglist. With a P, one
// goroutine per idle P goes to the global queue, the rest to pp's queue.
void inject_glist(g* list, int n, p* pp) noexcept;

// --- Goroutines (sched/proc.cpp). ---
g* g_alloc(p* pp) noexcept;
void g_entry(g* gp);
std::uint64_t goid_new(p* pp) noexcept;
void execute(m* mp, g* gp, bool inherit);

// --- Processors (sched/procs.cpp). ---
void procs_init(int n);
void procs_resize(int n);
void retire_p(p* pp) noexcept;  // sched.lock may be held
void bind_thread(m* mp, int pu) noexcept;

// --- Tracing (sched/trace_control.cpp). ---
void trace_env_init();                 // GORT_TRACE, GORT_TRACE_RING; at start
void trace_sched_snapshot() noexcept;  // a `sched` event, if tracing

// --- Deadlock detection (sched/deadlock.cpp). ---
struct dead_check {
  bool dead = false;           // D1-D4 hold
  bool recheck = false;        // not dead now, but it may become so unnoticed
  std::uint64_t progress = 0;  // for D5: compare two checks
};
dead_check check_dead() noexcept;
[[noreturn]] void report_deadlock() noexcept;

// --- Signals (sched/signals.cpp). ---
void signals_start();                    // SIGQUIT: dump and exit 2
void flight_recorder_signal() noexcept;  // SIGUSR2 writes the recorder

// --- Sysmon (sched/sysmon.cpp). ---
void sysmon_start();
void sysmon_wake() noexcept;

}  // namespace gort::internal
