// The switch
//
// The problem. A goroutine runs on its own stack and, when it parks, yields
// or exits, control must go back to its worker's scheduler loop; later any
// worker may resume it, on another OS thread. Doing that with Boost.Context's
// fcontext costs about 5 ns a switch (platform.md 1.2). Three things make it
// harder than calling jump_fcontext:
//   1. Publishing. A parking goroutine must not become visible to wakers
//      until its registers are saved, or another worker could resume it
//      while it is still running on its stack.
//   2. Sanitizers. Debian's Boost.Context is the fcontext back end, which
//      tells neither ASan nor TSan about switches; unannotated, ASan reports
//      false positives and TSan crashes (platform.md 3.4).
//   3. Thread state. Compilers cache the thread pointer, TLS addresses and
//      &errno in callee-saved registers across a call (platform.md 6), and
//      libstdc++ keeps the caught-exception list per thread.
//
// Rejected: boost::context::fiber (no hook for sanitizer bookkeeping around
// the jump, and it owns stack allocation); ucontext (50x slower: a
// sigprocmask syscall per switch); switching goroutine-to-goroutine directly
// (saves one jump per switch, but the park commit then has no stack of its
// own to run on).
//
// The approach: every switch goes through the worker's scheduler context
// (Go's g0), which is the worker thread's own stack.
//   1. resume(w, g), on the scheduler context: install g's errno and
//      exception globals in this thread, tell ASan and TSan where we are
//      going, jump_fcontext to g.
//   2. g runs. To stop, it calls suspend(g, why): check its stack for
//      overflow, tell the sanitizers, jump_fcontext to the scheduler context
//      it came from (g->return_ctx), passing `why`.
//   3. Back in resume, on the same thread g just left: finish the sanitizer
//      switch, save the thread's errno and exception globals into g (they
//      are g's: nothing ran on this thread in between) and put the
//      scheduler's back, record g's new saved context, return `why`. The
//      scheduler acts on it (park commit, requeue, free) only now, with g's
//      registers saved: that solves problem 1.
//   4. When g is resumed, possibly by another worker on another thread, it
//      lands in suspend after its jump: it records the new return context
//      and finishes the sanitizer switch. Its errno and exception globals
//      were installed in the new thread by that worker's resume (step 1).
// Problem 3 is solved on the scheduler side because the scheduler context
// never migrates: each worker computes &errno and __cxa_get_globals() once,
// at start, and every switch is a few loads and stores, with no TLS lookup
// on the goroutine's side at all.
// TSan's switch call sits in the same function as each jump (a wrapper that
// returns in between corrupts TSan's shadow stack; Tencent/flare #197).
#include "runtime/internal/context.hpp"

#include <cxxabi.h>

#include <boost/context/detail/fcontext.hpp>
#include <cerrno>
#include <utility>

#include "runtime/internal/check.hpp"
#include "runtime/internal/stack.hpp"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#define GORT_ASAN 1
#endif
#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#define GORT_TSAN 1
#endif

namespace fctx = boost::context::detail;

namespace gort::internal {
namespace {

entry_fn g_entry = nullptr;

static_assert(sizeof(eh_state) == 2 * sizeof(void*),
              "eh_state must mirror __cxa_eh_globals");

// The calling worker thread's errno and exception globals, computed once
// per worker (worker_switch_init) and used only on its scheduler context.
struct thread_state {
  int* errno_ptr = nullptr;
  eh_state* eh = nullptr;
};
thread_local thread_state tls_state __attribute__((tls_model("initial-exec")));

// install puts gp's errno and exception globals into this thread and keeps
// the scheduler's; uninstall does the reverse (steps 1 and 3 above).
struct saved_sched_state {
  int errno_value;
  eh_state eh;
};
inline saved_sched_state install(const thread_state& ts, g* gp) noexcept {
  saved_sched_state saved{*ts.errno_ptr, *ts.eh};
  *ts.errno_ptr = gp->saved_errno;
  *ts.eh = gp->eh;
  return saved;
}
inline void uninstall(const thread_state& ts, g* gp,
                      const saved_sched_state& saved) noexcept {
  gp->saved_errno = *ts.errno_ptr;
  gp->eh = *ts.eh;
  *ts.errno_ptr = saved.errno_value;
  *ts.eh = saved.eh;
}

std::size_t usable_size(const stack_desc* s) noexcept {
  return s->size - s->guard_bytes();
}

[[noreturn]] void trampoline(fctx::transfer_t t) noexcept {
  g* gp = static_cast<g*>(t.data);
  gp->return_ctx = t.fctx;
#ifdef GORT_ASAN
  __sanitizer_finish_switch_fiber(nullptr, &gp->asan_from_bottom,
                                  &gp->asan_from_size);
#endif
  g_entry(gp);
  // The final switch: never resumed, so ASan may free the fake stack.
  worker* w = current_worker();
  (void)w;
#ifdef GORT_ASAN
  __sanitizer_start_switch_fiber(nullptr, gp->asan_from_bottom,
                                 gp->asan_from_size);
#endif
#ifdef GORT_TSAN
  __tsan_switch_to_fiber(w->tsan_fiber, 0);
#endif
  fctx::jump_fcontext(gp->return_ctx,
                      reinterpret_cast<void*>(switch_reason::exit));
  __builtin_unreachable();
}

}  // namespace

void context_init(entry_fn entry) noexcept { g_entry = entry; }

void worker_switch_init(worker* w) noexcept {
  tls_state.errno_ptr = &errno;
  tls_state.eh = reinterpret_cast<eh_state*>(abi::__cxa_get_globals());
#ifdef GORT_TSAN
  w->tsan_fiber = __tsan_get_current_fiber();
#else
  (void)w;
#endif
}

switch_reason resume(worker* w, g* gp) noexcept {
  if (gp->ctx == nullptr) {
    GORT_CHECK(gp->stack != nullptr);
    gp->ctx = fctx::make_fcontext(gp->stack->hi(), usable_size(gp->stack),
                                  trampoline);
#ifdef GORT_TSAN
    gp->tsan_fiber = __tsan_create_fiber(0);
#endif
    gp->saved_errno = 0;
    gp->eh = eh_state{};
  }
  const thread_state& ts = tls_state;  // the scheduler context never moves
  const saved_sched_state saved = install(ts, gp);
#ifdef GORT_ASAN
  __sanitizer_start_switch_fiber(&w->asan_fake_stack, gp->stack->usable_lo(),
                                 usable_size(gp->stack));
#endif
#ifdef GORT_TSAN
  __tsan_switch_to_fiber(gp->tsan_fiber, 0);
#endif
  fctx::transfer_t t = fctx::jump_fcontext(gp->ctx, gp);
#ifdef GORT_ASAN
  __sanitizer_finish_switch_fiber(w->asan_fake_stack, nullptr, nullptr);
#else
  (void)w;
#endif
  uninstall(ts, gp, saved);
  auto why =
      static_cast<switch_reason>(reinterpret_cast<std::intptr_t>(t.data));
  gp->ctx = why == switch_reason::exit ? nullptr : t.fctx;
  return why;
}

void suspend(g* gp, switch_reason why) noexcept {
  stack_check(gp->stack, __builtin_frame_address(0));
#ifdef GORT_TSAN
  __tsan_switch_to_fiber(current_worker()->tsan_fiber, 0);
#endif
#ifdef GORT_ASAN
  __sanitizer_start_switch_fiber(&gp->asan_fake_stack, gp->asan_from_bottom,
                                 gp->asan_from_size);
#endif
  fctx::transfer_t t =
      fctx::jump_fcontext(gp->return_ctx, reinterpret_cast<void*>(why));
  // Resumed, perhaps on another thread: nothing thread-local computed
  // before the jump may be used below.
  gp->return_ctx = t.fctx;
#ifdef GORT_ASAN
  __sanitizer_finish_switch_fiber(gp->asan_fake_stack, &gp->asan_from_bottom,
                                  &gp->asan_from_size);
#endif
}

void release_context(g* gp) noexcept {
#ifdef GORT_TSAN
  if (gp->tsan_fiber != nullptr) __tsan_destroy_fiber(gp->tsan_fiber);
  gp->tsan_fiber = nullptr;
#endif
  gp->ctx = nullptr;
  gp->asan_fake_stack = nullptr;
}

}  // namespace gort::internal
