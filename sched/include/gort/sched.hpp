// gort/sched.hpp: goroutines and the scheduler's user entry points.
//
// A goroutine is a function running on its own small stack. Goroutines are
// multiplexed onto worker threads (M) through processors (P): maxprocs()
// processors exist, each with a run queue, and a worker needs a processor to
// run goroutines. See HACKING.md for the vocabulary and "Scheduler" in
// sched/scheduler.cpp for the design.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <new>
#include <optional>
#include <source_location>
#include <tuple>
#include <type_traits>
#include <utility>

#include <gort/errors.hpp>
#include <gort/stats.hpp>

namespace gort {

using clock = std::chrono::steady_clock;
using time_point = clock::time_point;

namespace internal {

// The entry points the templates below are built on. They take no internal
// types; what they do is documented beside their definitions in sched/.
struct spawn_request {
  std::size_t size;                  // bytes the callable needs
  std::size_t align;                 // its alignment
  void (*invoke)(void*) = nullptr;   // runs it, then destroys it
  void (*destroy)(void*) = nullptr;  // destroys it without running it
  std::source_location site;
};
void* spawn_prepare(const spawn_request& req, void** handle);
void spawn_commit(void* handle) noexcept;
void spawn_cancel(void* handle) noexcept;
void run_main(void (*fn)(void*), void* arg);
void enter_blocking() noexcept;
void exit_blocking() noexcept;

template <class F, class... Args>
struct task {
  std::decay_t<F> fn;
  std::tuple<std::decay_t<Args>...> args;

  static void invoke(void* self) {
    auto* t = static_cast<task*>(self);
    struct destroy_on_exit {
      task* t;
      ~destroy_on_exit() { t->~task(); }
    } d{t};
    std::apply(std::move(t->fn), std::move(t->args));
  }
  static void destroy(void* self) { static_cast<task*>(self)->~task(); }
};

}  // namespace internal

namespace internal {

// spawn is the body of every go() overload below.
template <class F, class... Args>
void spawn(const std::source_location& site, F&& fn, Args&&... args) {
  using task_t = task<F, Args...>;
  static_assert(std::is_invocable_v<std::decay_t<F>, std::decay_t<Args>...>,
                "gort::go: fn(args...) must be callable with decayed args");
  void* handle = nullptr;
  void* mem = spawn_prepare({sizeof(task_t), alignof(task_t), &task_t::invoke,
                             &task_t::destroy, site},
                            &handle);
  try {
    ::new (mem) task_t{std::forward<F>(fn), std::tuple<std::decay_t<Args>...>(
                                                std::forward<Args>(args)...)};
  } catch (...) {
    spawn_cancel(handle);
    throw;
  }
  spawn_commit(handle);
}

using site_t = std::source_location;

}  // namespace internal

// go starts a new goroutine running fn(args...), as Go's `go` statement.
//
// Any thread may call it: a goroutine, `main` before run(), a std::thread.
// It starts the runtime if it is not running. It does not block. fn and args
// are decay-copied (or moved) as std::thread's are, and the copies are made
// before go returns. The spawn site is recorded from std::source_location
// for dumps, traces and the panic message.
//
// Ordering: everything the caller did before go happens before fn starts.
// A new goroutine spawned from a goroutine goes into its processor's
// `runnext` slot, so a spawner and its child tend to share a cache.
// An exception that escapes fn prints the goroutine's id, its spawn site and
// what(), then ends the process with status 2, as a panic does in Go.
//
// go has one overload per argument count up to eight, because the defaulted
// spawn site must come after the arguments and a parameter pack cannot be
// followed by a defaulted parameter. (A class template with a deduction
// guide can, but then `gort::go(worker);` would declare a variable named
// worker.) With nine or more arguments go still works, but records no
// spawn site.
//
// Example:
//   gort::go([](int n) { std::printf("%d\n", n); }, 42);
template <class F>
void go(F&& fn, internal::site_t site = internal::site_t::current()) {
  internal::spawn(site, std::forward<F>(fn));
}
template <class F, class A1>
void go(F&& fn, A1&& a1, internal::site_t site = internal::site_t::current()) {
  internal::spawn(site, std::forward<F>(fn), std::forward<A1>(a1));
}
template <class F, class A1, class A2>
void go(F&& fn, A1&& a1, A2&& a2,
        internal::site_t site = internal::site_t::current()) {
  internal::spawn(site, std::forward<F>(fn), std::forward<A1>(a1),
                  std::forward<A2>(a2));
}
template <class F, class A1, class A2, class A3>
void go(F&& fn, A1&& a1, A2&& a2, A3&& a3,
        internal::site_t site = internal::site_t::current()) {
  internal::spawn(site, std::forward<F>(fn), std::forward<A1>(a1),
                  std::forward<A2>(a2), std::forward<A3>(a3));
}
template <class F, class A1, class A2, class A3, class A4>
void go(F&& fn, A1&& a1, A2&& a2, A3&& a3, A4&& a4,
        internal::site_t site = internal::site_t::current()) {
  internal::spawn(site, std::forward<F>(fn), std::forward<A1>(a1),
                  std::forward<A2>(a2), std::forward<A3>(a3),
                  std::forward<A4>(a4));
}
template <class F, class A1, class A2, class A3, class A4, class A5>
void go(F&& fn, A1&& a1, A2&& a2, A3&& a3, A4&& a4, A5&& a5,
        internal::site_t site = internal::site_t::current()) {
  internal::spawn(site, std::forward<F>(fn), std::forward<A1>(a1),
                  std::forward<A2>(a2), std::forward<A3>(a3),
                  std::forward<A4>(a4), std::forward<A5>(a5));
}
template <class F, class A1, class A2, class A3, class A4, class A5, class A6>
void go(F&& fn, A1&& a1, A2&& a2, A3&& a3, A4&& a4, A5&& a5, A6&& a6,
        internal::site_t site = internal::site_t::current()) {
  internal::spawn(site, std::forward<F>(fn), std::forward<A1>(a1),
                  std::forward<A2>(a2), std::forward<A3>(a3),
                  std::forward<A4>(a4), std::forward<A5>(a5),
                  std::forward<A6>(a6));
}
template <class F, class A1, class A2, class A3, class A4, class A5, class A6,
          class A7>
void go(F&& fn, A1&& a1, A2&& a2, A3&& a3, A4&& a4, A5&& a5, A6&& a6, A7&& a7,
        internal::site_t site = internal::site_t::current()) {
  internal::spawn(site, std::forward<F>(fn), std::forward<A1>(a1),
                  std::forward<A2>(a2), std::forward<A3>(a3),
                  std::forward<A4>(a4), std::forward<A5>(a5),
                  std::forward<A6>(a6), std::forward<A7>(a7));
}
template <class F, class A1, class A2, class A3, class A4, class A5, class A6,
          class A7, class A8>
void go(F&& fn, A1&& a1, A2&& a2, A3&& a3, A4&& a4, A5&& a5, A6&& a6, A7&& a7,
        A8&& a8, internal::site_t site = internal::site_t::current()) {
  internal::spawn(
      site, std::forward<F>(fn), std::forward<A1>(a1), std::forward<A2>(a2),
      std::forward<A3>(a3), std::forward<A4>(a4), std::forward<A5>(a5),
      std::forward<A6>(a6), std::forward<A7>(a7), std::forward<A8>(a8));
}
template <class F, class A1, class A2, class A3, class A4, class A5, class A6,
          class A7, class A8, class A9, class... Rest>
void go(F&& fn, A1&& a1, A2&& a2, A3&& a3, A4&& a4, A5&& a5, A6&& a6, A7&& a7,
        A8&& a8, A9&& a9, Rest&&... rest) {
  internal::spawn(
      internal::site_t{}, std::forward<F>(fn), std::forward<A1>(a1),
      std::forward<A2>(a2), std::forward<A3>(a3), std::forward<A4>(a4),
      std::forward<A5>(a5), std::forward<A6>(a6), std::forward<A7>(a7),
      std::forward<A8>(a8), std::forward<A9>(a9), std::forward<Rest>(rest)...);
}

// run runs fn() as the main goroutine and returns its result when it ends.
//
// Call it from a plain thread (usually main). It starts the runtime if it is
// not running, blocks the calling thread in the kernel until fn returns, and
// returns fn's result. An exception escaping fn is rethrown from run. run may
// be called more than once, one after the other or from several threads at
// once; goroutines still running when fn returns go on running. Called from a
// goroutine, run simply calls fn() on that goroutine.
//
// Example:
//   int main() { return gort::run([] { return 0; }); }
template <class F>
auto run(F&& fn) -> std::invoke_result_t<F&> {
  using R = std::invoke_result_t<F&>;
  struct frame {
    std::remove_reference_t<F>* fn;
    std::conditional_t<std::is_void_v<R>, bool, std::optional<R>> result{};
    std::exception_ptr error{};
  } f{&fn, {}, {}};
  internal::run_main(
      [](void* p) {
        auto* fr = static_cast<frame*>(p);
        try {
          if constexpr (std::is_void_v<R>) {
            (*fr->fn)();
          } else {
            fr->result.emplace((*fr->fn)());
          }
        } catch (...) {
          fr->error = std::current_exception();
        }
      },
      &f);
  if (f.error) std::rethrow_exception(f.error);
  if constexpr (!std::is_void_v<R>) return std::move(*f.result);
}

// yield lets other goroutines run (Go's runtime.Gosched). The caller goes to
// the tail of its processor's run queue and is resumed after the goroutines
// ahead of it. On a plain thread it calls sched_yield. Never blocks.
void yield() noexcept;

// sleep parks the calling goroutine for at least d on the runtime's timers;
// its worker runs other goroutines meanwhile. A worker with nothing else to
// do sleeps in the kernel until the earliest timer, with sub-millisecond
// precision. On a plain thread it sleeps the thread. d <= 0 returns at once
// after a yield.
void sleep(clock::duration d);
template <class Rep, class Period>
void sleep(std::chrono::duration<Rep, Period> d) {
  sleep(std::chrono::duration_cast<clock::duration>(d));
}

// sleep_until parks the calling goroutine until at least t (see sleep).
void sleep_until(time_point t);

// blocking runs fn(), a call that may block in the kernel (file I/O, a C
// library), and returns its result. While fn runs, the caller's processor
// may be handed to another worker so that other goroutines keep running
// (Go's entersyscall/exitsyscall): at once if the call is already known to
// be slow, else when sysmon sees it blocked. fn must not call gort functions
// that park (channels, sync, sleep); it may call go(). Exceptions from fn
// propagate. On a plain thread it just calls fn().
template <class F>
auto blocking(F&& fn) -> std::invoke_result_t<F&> {
  struct scope {
    scope() noexcept { internal::enter_blocking(); }
    ~scope() { internal::exit_blocking(); }
  } s;
  return fn();
}

// goroutine_id returns the calling goroutine's id (ids start at 1 and are
// never reused), or 0 on a plain thread. Any thread; never blocks.
std::uint64_t goroutine_id() noexcept;

// maxprocs returns the number of processors (P). Any thread.
int maxprocs() noexcept;

// set_maxprocs changes the number of processors at run time and returns the
// old value. n is clamped to [1, 1024]. Any thread; it does not wait. Growing
// takes effect at once. When shrinking, a processor being removed moves its
// queued goroutines and timers to the global queue as soon as its worker
// next enters the scheduler (a goroutine that never parks or yields keeps
// its processor until it does).
int set_maxprocs(int n);

// num_goroutines returns the number of goroutines alive now, counting every
// run()'s main goroutine. Any thread.
std::size_t num_goroutines() noexcept;

// stats returns a snapshot of the scheduler's counters (see gort/stats.hpp).
// Any thread. It does not stop the world.
sched_stats stats();

}  // namespace gort
