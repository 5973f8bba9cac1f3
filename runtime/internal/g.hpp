// runtime/internal/g.hpp: the goroutine control block (G) and the worker
// thread's machine state (M's runtime half).
//
// A G is allocated once and never freed (Go's allgs): a dead G goes on a
// free list and is reused by a later go(). So a raw g* stays valid for the
// life of the process, which is what lets ready(), stats() and dumps hold
// one without reference counts. A G's stack is separate: it is bound at the
// G's first run (not at spawn) and unbound when the G dies, so that a
// million goroutines spawned before any of them runs cost a million small
// control blocks, not a million touched stacks.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <source_location>

#include <gort/wait_reason.hpp>

namespace gort::internal {

struct stack_desc;
struct worker;

// gstatus is a goroutine's state. For each state: who owns the G (may
// change its fields and move it between lists) and its stack.
//
//   idle     Allocated by go(), not yet published. Owner: the spawner. No
//            stack. -> runnable (spawn_commit).
//   runnable On a run queue (local ring, runnext or global). Owner: that
//            queue. The stack, if bound, is not in use. -> running.
//   running  Executing on a worker M. Owner: that M. The stack is owned by
//            this goroutine. -> runnable (yield), waiting (park), blocking
//            (enter_blocking), dead (exit).
//   waiting  Parked. Owner: whatever can ready it (a wait queue under its
//            lock, a timer). The stack is not in use, but a waker may write
//            the waiter record that lives on it (a channel's hand-off).
//            -> runnable (ready; the only transition made by another M).
//   scanning Waiting, and a dump is reading its stack (Go's _Gscan): the
//            dumper CASes waiting -> scanning and stores waiting back; ready
//            and a called-off park wait for it. -> waiting.
//   blocking Inside blocking(). Owner: its M, which may have lost its P.
//            The stack is in use. -> running (exit_blocking).
//   dead     Finished; on a free list. Owner: the free list. No stack.
//            -> idle (reuse by go()).
enum class gstatus : std::uint32_t {
  idle,
  runnable,
  running,
  waiting,
  scanning,
  blocking,
  dead,
};

// eh_state mirrors libstdc++'s __cxa_eh_globals: the per-thread list of
// caught exceptions and the uncaught count. Each goroutine has its own copy,
// swapped in and out by the switch, so that `throw;` and
// std::uncaught_exceptions() stay right when a goroutine parks inside a
// catch block and resumes on another thread.
struct eh_state {
  void* caught = nullptr;
  unsigned int uncaught = 0;
};

// A timer entry (sched/internal/timers.hpp defines the operations). It lives
// here because every G embeds one for sleep(), as Go's g.timer does.
struct timer_heap;
struct timer {
  // Protected by the lock of the heap that holds it (heap below):
  std::int64_t when = 0;  // CLOCK_MONOTONIC ns
  std::int64_t period = 0;
  std::int32_t index = -1;  // position in the heap, -1: not in one
  // Set before add and not changed while in a heap:
  void (*fn)(void* arg, std::uint64_t seq) = nullptr;
  void* arg = nullptr;
  std::uint64_t seq = 0;
  // The heap holding it. Written under that heap's lock; read without a
  // lock by remove() to find which lock to take.
  std::atomic<timer_heap*> heap{nullptr};
  // How many run_expired calls are inside fn: incremented under the heap's
  // lock before fn, decremented after it. It is a count, not a flag: a
  // periodic timer stays in its heap while fn runs, so a thief's
  // run_expired may fire it again before the first call returns.
  // timer_heap::remove_sync waits for it to reach zero.
  std::atomic<std::uint32_t> running{0};
};

inline constexpr std::size_t g_inline_fn_bytes = 64;

// Layout: the fields every switch and spawn touch come first, in the first
// three cache lines (the callable's inline buffer is the third); what parks,
// dumps and sanitizers use comes after. A G moves between processors, so
// every line it drags along costs a cache miss on the way.
struct alignas(64) g {
  // --- Line 0: switching and queueing.
  void* ctx = nullptr;          // the goroutine's saved context, when off-CPU
  void* return_ctx = nullptr;   // its M's scheduler context, while running
  stack_desc* stack = nullptr;  // bound at first run, unbound at exit
  std::atomic<gstatus> status{gstatus::idle};
  int saved_errno = 0;     // errno across switches (platform.md 6)
  std::uint64_t id = 0;    // written by spawn before the G is published
  g* schedlink = nullptr;  // intrusive link: global run queue, free lists
  worker* m = nullptr;     // the M running it (running, blocking)
  void* fn = nullptr;      // the callable: fn_inline or the heap

  // --- Line 1: the body, the park request, exception state.
  void (*invoke)(void*) = nullptr;   // runs *fn then destroys it
  void (*destroy)(void*) = nullptr;  // destroys *fn without running it
  std::source_location site;         // where go() was called
  // Park request, written by the G before switching out, read by its M on
  // the scheduler context (park.hpp).
  bool (*commit)(g*, void*) = nullptr;
  void* commit_arg = nullptr;
  eh_state eh;                      // exception globals across switches
  std::uint16_t fn_heap_align = 0;  // heap callable's alignment; 0: inline
  bool is_main = false;             // run()'s main goroutine
  // Read racily by stats() and dumps, hence atomic (relaxed).
  std::atomic<wait_reason> reason{wait_reason::none};

  // --- Line 2: the callable, constructed in place by go().
  alignas(16) unsigned char fn_inline[g_inline_fn_bytes];

  // --- Cold.
  std::atomic<std::int64_t> wait_since{0};  // monotonic ns when parked
  std::atomic<int> wait_fd{-1};  // the fd of its last IO wait (dumps)
  void* main_done = nullptr;     // run(): the thread_parker to unpark at exit
  void* asan_fake_stack = nullptr;         // ASan: this goroutine's fake stack
  const void* asan_from_bottom = nullptr;  // ASan: the scheduler stack
  std::size_t asan_from_size = 0;
  void* tsan_fiber = nullptr;  // TSan: this goroutine's fiber
  g* allg_next = nullptr;      // registry of all Gs (never changes once set)
  timer sleep_timer;           // sleep(); armed by the park commit
};

// worker is the runtime half of an M: what the switch and the fault handler
// need. sched's m embeds it first. Fields are owned by the thread itself
// unless marked.
struct worker {
  int id = 0;
  g* curg = nullptr;                // the goroutine running on it, or nullptr
  void* asan_fake_stack = nullptr;  // ASan: the scheduler context's
  void* tsan_fiber = nullptr;       // TSan: the thread's own fiber
  void* altstack = nullptr;         // sigaltstack for the overflow report
  void* trace = nullptr;  // its trace writer (runtime/trace.cpp), or null
};

// current_worker returns the calling thread's worker, or nullptr on a plain
// thread. Out of line and opaque to the optimiser, so a goroutine that
// migrated never sees its old thread's value (platform.md 6).
worker* current_worker() noexcept;
// set_current_worker installs w as the calling thread's worker.
void set_current_worker(worker* w) noexcept;

}  // namespace gort::internal
