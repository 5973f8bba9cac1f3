// runtime/internal/context.hpp: the context switch between a worker's
// scheduler context and a goroutine. runtime/context.cpp is the one file that
// includes boost/context, and the one place with the sanitizer and valgrind
// switch annotations. See "The switch" there.
#pragma once

#include "runtime/internal/g.hpp"

namespace gort::internal {

// The reason a goroutine hands control back to its scheduler context. The
// scheduler acts on it after the switch, when the goroutine's registers are
// saved (Go's mcall).
enum class switch_reason : int {
  park,           // g->commit decides; see sched/internal/park.hpp
  yield,          // requeue at the local tail
  exit_blocking,  // left blocking() without a P; requeue globally
  exit,           // finished; free it
};

// goroutine_entry is what a goroutine's first frame calls: the scheduler's
// body for a new goroutine (runs g->invoke, reports escaping exceptions).
// It must return normally when the goroutine is done.
using entry_fn = void (*)(g*);

// context_init records entry as the body of every goroutine. Once.
void context_init(entry_fn entry) noexcept;

// worker_switch_init prepares the calling worker thread for switching: its
// &errno, its exception globals and its TSan fiber. Once per worker thread,
// before its first resume.
void worker_switch_init(worker* w) noexcept;

// resume runs g on the calling worker's scheduler context until g switches
// back, and returns the reason it gave. If g has no context yet, one is made
// on its stack (g->stack must be bound). Scheduler context only.
switch_reason resume(worker* w, g* gp) noexcept;

// suspend switches from the running goroutine gp back to its worker's
// scheduler context with `why`, and returns when some worker resumes gp
// (possibly on another thread, with gp's errno and exception globals
// installed there). Checks the stack for overflow. Goroutine only.
void suspend(g* gp, switch_reason why) noexcept;

// release_context frees what the switch attached to a dead goroutine (its
// TSan fiber). Scheduler context only, never from gp itself.
void release_context(g* gp) noexcept;

}  // namespace gort::internal
