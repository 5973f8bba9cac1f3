// tests/bench/bm_sync.cpp: micro-benchmarks of sync and context (sync/),
// each family beside its std::thread baseline (STYLE.md, "Benchmarks").
//
//   family                        gort: bm_sync_<family>
//                                 baseline: bm_thread_<family>
//   mutex_uncontended             lock; ++counter; unlock, one task
//   mutex_contended               tasks x 10,000 of the same on one mutex
//   rwmutex_read                  lock_shared; read; unlock_shared, one task
//   rwmutex_read_heavy            tasks x 10,000 operations, 1 in 100 a
//                                 write (the rwmutex anchor's loop)
//   cond_roundtrip                two tasks pass a turn through a cond and
//                                 its mutex; one iteration, one round trip
//   wait_group_add_done_wait      add(1); done(); wait(), one task
//   wait_group_fan_out            add(100), 100 tasks that done(), wait()
//   pool_get_put                  get a 1 KiB buffer, write it, put it back
//   pool_contended                tasks x 10,000 of the same on one pool
//   context_with_cancel           with_cancel(parent) and cancel(), one task
//   context_with_cancel_contended tasks x 10,000 of the same, one parent
//   semaphore_uncontended         acquire(1); release(1), one task
//   semaphore_contended           tasks x 10,000 acquire(w); release(w),
//                                 weights 1 and 2, capacity max(2, tasks/2)
//
// Each family is one function template, run on two systems (the policies
// gort_sys and thread_sys below): gort's types on goroutines, and the
// std baselines of std/sync.hpp (std::mutex, std::shared_mutex,
// std::condition_variable, a locked free list, a FIFO weighted semaphore,
// std::stop_source contexts) on one OS thread per goroutine. The loops are
// those of the anchor programs (sync_work.hpp), cut into iterations.
//
// Arguments: the gort cases run at /procs:1 and /procs:2 (in_gort.hpp, as
// bm_sched.cpp and bm_chan.cpp); the *_contended cases (and read_heavy,
// fan_out's width is fixed) also take /tasks:2 and /tasks:8, and their
// baselines /tasks only: the OS spreads threads as it likes. Every
// benchmark uses real time; items_per_second counts operations (lock/unlock
// pairs, round trips, tasks finished, get/put pairs, with_cancel+cancel,
// acquire/release pairs). Contended iterations start their tasks afresh
// (8 thread creations cost the baselines about 2% of an iteration), and
// check their result.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <utility>

#include <gort/cond.hpp>
#include <gort/context.hpp>
#include <gort/mutex.hpp>
#include <gort/pool.hpp>
#include <gort/rwmutex.hpp>
#include <gort/sched.hpp>
#include <gort/semaphore.hpp>
#include <gort/wait_group.hpp>
#include "in_gort.hpp"
#include "std/sync.hpp"
#include "sync_work.hpp"

namespace {

using gort_bench::in_gort;
using gort_bench::procs_sweep;

// ---------------------------------------------------------------- systems

// gort_sys: gort's types; tasks are goroutines; the benchmark's loop runs
// on a main goroutine at the processor count of its first argument.
struct gort_sys {
  using mutex = gort::mutex;
  using rwmutex = gort::rwmutex;
  using cond = gort::cond;
  using wait_group = gort::wait_group;
  template <class T>
  using pool = gort::pool<T>;
  using semaphore = gort::semaphore;
  using context = gort::context;

  static constexpr int tasks_arg = 1;  // range(0) is procs
  template <class F>
  static void spawn(F&& f) {
    gort::go(std::forward<F>(f));
  }
  template <class F>
  static void run(benchmark::State& state, F&& body) {
    in_gort(state, std::forward<F>(body));
  }
  static void args(benchmark::internal::Benchmark* b) { procs_sweep(b); }
  static void task_args(benchmark::internal::Benchmark* b) {
    b->ArgNames({"procs", "tasks"})->ArgsProduct({{1, 2}, {2, 8}});
    b->UseRealTime();
  }
};

// thread_sys: the std baselines; tasks are detached std::threads joined
// through a wait_group; the loop runs on the benchmark's thread.
struct thread_sys {
  using mutex = stdsync::mutex;
  using rwmutex = stdsync::rwmutex;
  using cond = stdsync::cond;
  using wait_group = stdsync::wait_group;
  template <class T>
  using pool = stdsync::pool<T>;
  using semaphore = stdsync::semaphore;
  using context = stdsync::context;

  static constexpr int tasks_arg = 0;
  template <class F>
  static void spawn(F&& f) {
    std::thread(std::forward<F>(f)).detach();
  }
  template <class F>
  static void run(benchmark::State&, F&& body) {
    std::forward<F>(body)();
  }
  static void args(benchmark::internal::Benchmark* b) { b->UseRealTime(); }
  static void task_args(benchmark::internal::Benchmark* b) {
    b->ArgName("tasks")->Arg(2)->Arg(8)->UseRealTime();
  }
};

// SYNC_BENCH registers family<gort_sys> as bm_sync_<family> and
// family<thread_sys> as bm_thread_<family>, with the systems' argument
// sets `args` (args or task_args).
#define SYNC_BENCH(family, args)         \
  BENCHMARK_TEMPLATE(family, gort_sys)   \
      ->Name("bm_sync_" #family)         \
      ->Apply(gort_sys::args);           \
  BENCHMARK_TEMPLATE(family, thread_sys) \
      ->Name("bm_thread_" #family)       \
      ->Apply(thread_sys::args)

constexpr long kOpsPerTask = 10000;  // per task and iteration (contended)

// contended is the timing loop of the contended families: each iteration
// starts as many of Sys's tasks as the /tasks argument says, runs op(t) (of
// kOpsPerTask operations) on task t and waits for them all. It returns the
// operations done.
template <class Sys, class Op>
long contended(benchmark::State& state, Op&& op) {
  const int tasks = static_cast<int>(state.range(Sys::tasks_arg));
  for (auto _ : state)
    sync_work::run_tasks<typename Sys::wait_group>(
        tasks, [](auto g) { Sys::spawn(std::move(g)); }, op);
  const long ops = static_cast<long>(state.iterations()) * tasks * kOpsPerTask;
  state.SetItemsProcessed(ops);
  return ops;
}

// ---------------------------------------------------------------- mutex

template <class Sys>
void mutex_uncontended(benchmark::State& state) {
  Sys::run(state, [&] {
    typename Sys::mutex mu;
    long counter = 0;
    for (auto _ : state) sync_work::lock_loop(mu, counter, 1);
    benchmark::DoNotOptimize(counter);
  });
  state.SetItemsProcessed(state.iterations());
}
SYNC_BENCH(mutex_uncontended, args);

template <class Sys>
void mutex_contended(benchmark::State& state) {
  Sys::run(state, [&] {
    typename Sys::mutex mu;
    long counter = 0;
    const long ops = contended<Sys>(
        state, [&](int) { sync_work::lock_loop(mu, counter, kOpsPerTask); });
    if (counter != ops) state.SkipWithError("mutex: wrong count");
  });
}
SYNC_BENCH(mutex_contended, task_args);

// ---------------------------------------------------------------- rwmutex

template <class Sys>
void rwmutex_read(benchmark::State& state) {
  Sys::run(state, [&] {
    typename Sys::rwmutex rw;
    long counter = 0;
    for (auto _ : state) {
      rw.lock_shared();
      benchmark::DoNotOptimize(counter);
      rw.unlock_shared();
    }
  });
  state.SetItemsProcessed(state.iterations());
}
SYNC_BENCH(rwmutex_read, args);

template <class Sys>
void rwmutex_read_heavy(benchmark::State& state) {
  constexpr long kWriteEvery = 100;
  Sys::run(state, [&] {
    typename Sys::rwmutex rw;
    long counter = 0;
    std::atomic<long> sum{0};
    const long ops = contended<Sys>(state, [&](int) {
      sum += sync_work::rw_loop(rw, counter, kOpsPerTask, kWriteEvery);
    });
    if (counter != ops / kWriteEvery || sum.load() < 0)
      state.SkipWithError("rwmutex: wrong count of writes");
  });
}
SYNC_BENCH(rwmutex_read_heavy, task_args);

// ---------------------------------------------------------------- cond

// cond_roundtrip: a partner task takes turn 1 as many times as the loop
// will take turn 0 (state.max_iterations); one iteration is one round trip.
template <class Sys>
void cond_roundtrip(benchmark::State& state) {
  Sys::run(state, [&] {
    sync_work::turns<typename Sys::mutex, typename Sys::cond> t;
    typename Sys::wait_group partner;
    partner.add(1);
    const long n = static_cast<long>(state.max_iterations);
    Sys::spawn([&] {
      sync_work::take_turns(t, 1, n);
      partner.done();
    });
    for (auto _ : state) sync_work::take_turns(t, 0, 1);
    partner.wait();
    if (t.passes != 2 * n) state.SkipWithError("cond: wrong count of passes");
  });
  state.SetItemsProcessed(state.iterations());
}
SYNC_BENCH(cond_roundtrip, args);

// ---------------------------------------------------------------- wait_group

template <class Sys>
void wait_group_add_done_wait(benchmark::State& state) {
  Sys::run(state, [&] {
    typename Sys::wait_group wg;
    for (auto _ : state) {
      wg.add(1);
      wg.done();
      wg.wait();
    }
  });
  state.SetItemsProcessed(state.iterations());
}
SYNC_BENCH(wait_group_add_done_wait, args);

template <class Sys>
void wait_group_fan_out(benchmark::State& state) {
  constexpr long kWidth = 100;
  Sys::run(state, [&] {
    typename Sys::wait_group wg;
    std::atomic<long> ran{0};
    for (auto _ : state)
      sync_work::fan_out(wg, ran, kWidth,
                         [](auto f) { Sys::spawn(std::move(f)); });
    if (ran.load() != static_cast<long>(state.iterations()) * kWidth)
      state.SkipWithError("wait_group: a task did not run");
  });
  state.SetItemsProcessed(state.iterations() * kWidth);
}
SYNC_BENCH(wait_group_fan_out, args);

// ---------------------------------------------------------------- pool

using buffer = std::unique_ptr<std::array<unsigned char, 1024>>;

buffer make_buffer() {
  return std::make_unique<std::array<unsigned char, 1024>>();
}

template <class Sys>
void pool_get_put(benchmark::State& state) {
  Sys::run(state, [&] {
    typename Sys::template pool<buffer> p(make_buffer);
    long empty = 0;
    for (auto _ : state) empty += sync_work::pool_loop(p, 1);
    if (empty != 0) state.SkipWithError("pool: an empty get");
  });
  state.SetItemsProcessed(state.iterations());
}
SYNC_BENCH(pool_get_put, args);

template <class Sys>
void pool_contended(benchmark::State& state) {
  Sys::run(state, [&] {
    typename Sys::template pool<buffer> p(make_buffer);
    std::atomic<long> empty{0};
    contended<Sys>(state,
                   [&](int) { empty += sync_work::pool_loop(p, kOpsPerTask); });
    if (empty.load() != 0) state.SkipWithError("pool: an empty get");
  });
}
SYNC_BENCH(pool_contended, task_args);

// ---------------------------------------------------------------- context

// Children of one cancellable parent, as in the context anchor.
template <class Sys>
void context_with_cancel(benchmark::State& state) {
  Sys::run(state, [&] {
    const auto parent = with_cancel(Sys::context::background());
    long live = 0;
    for (auto _ : state) live += sync_work::cancel_loop(parent.first, 1);
    parent.second();
    if (live != 0) state.SkipWithError("with_cancel: a child stayed live");
  });
  state.SetItemsProcessed(state.iterations());
}
SYNC_BENCH(context_with_cancel, args);

template <class Sys>
void context_with_cancel_contended(benchmark::State& state) {
  Sys::run(state, [&] {
    const auto parent = with_cancel(Sys::context::background());
    std::atomic<long> live{0};
    contended<Sys>(state, [&](int) {
      live += sync_work::cancel_loop(parent.first, kOpsPerTask);
    });
    parent.second();
    if (live.load() != 0)
      state.SkipWithError("with_cancel: a child stayed live");
  });
}
SYNC_BENCH(context_with_cancel_contended, task_args);

// ---------------------------------------------------------------- semaphore

template <class Sys>
void semaphore_uncontended(benchmark::State& state) {
  Sys::run(state, [&] {
    typename Sys::semaphore sem(1);
    for (auto _ : state) {
      sem.acquire(1);
      sem.release(1);
    }
  });
  state.SetItemsProcessed(state.iterations());
}
SYNC_BENCH(semaphore_uncontended, args);

template <class Sys>
void semaphore_contended(benchmark::State& state) {
  const std::int64_t capacity =
      std::max<std::int64_t>(2, state.range(Sys::tasks_arg) / 2);
  Sys::run(state, [&] {
    typename Sys::semaphore sem(capacity);
    std::atomic<std::int64_t> held{0};
    std::atomic<long> over{0};
    contended<Sys>(state, [&](int t) {
      over += sync_work::sem_loop(sem, 1 + t % 2, kOpsPerTask, held, capacity);
    });
    if (over.load() != 0) state.SkipWithError("semaphore: capacity exceeded");
  });
}
SYNC_BENCH(semaphore_contended, task_args);

}  // namespace
