// tests/bench/sync_work.hpp: the loops of the sync and context workloads,
// written once for gort's types and for their std baselines (std/sync.hpp,
// which has gort's API). The anchor programs (anchors/mutex.cpp,
// rwmutex.cpp, cond.cpp, wait_group.cpp, pool.cpp, context.cpp,
// semaphore.cpp) run them as whole workloads, the same work as the Go
// programs (../shared/anchors/go/mutex, go/<w>/ here); bm_sync.cpp cuts
// them into benchmark iterations.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <utility>

namespace sync_work {

// run_tasks: runs f(0) ... f(k-1) on k tasks started with spawn(callable)
// (gort::go, or a detached std::thread) and waits for them on a WaitGroup.
template <class WaitGroup, class Spawn, class F>
void run_tasks(int k, Spawn&& spawn, F&& f) {
  WaitGroup wg;
  wg.add(k);
  for (int t = 0; t < k; ++t)
    spawn([&f, &wg, t] {
      f(t);
      wg.done();
    });
  wg.wait();
}

// lock_loop: n x (lock; ++counter; unlock).
template <class Mutex>
void lock_loop(Mutex& mu, long& counter, long n) {
  for (long i = 0; i < n; ++i) {
    mu.lock();
    ++counter;
    mu.unlock();
  }
}

// rw_loop: n operations on rw; operation i is a write when i % write_every
// is 0 (lock; ++counter; unlock), else a read (lock_shared; sum +=
// counter; unlock_shared). Returns the sum of what the reads saw.
template <class RW>
long rw_loop(RW& rw, long& counter, long n, long write_every) {
  long sum = 0;
  for (long i = 0; i < n; ++i) {
    if (i % write_every == 0) {
      rw.lock();
      ++counter;
      rw.unlock();
    } else {
      rw.lock_shared();
      sum += counter;
      rw.unlock_shared();
    }
  }
  return sum;
}

// turns is the state two parties pass back and forth through a cond.
template <class Mutex, class Cond>
struct turns {
  Mutex mu;
  Cond c;
  int turn = 0;     // whose turn it is: 0 or 1
  long passes = 0;  // turns passed, under mu
};

// take_turns: party me (0 or 1) n times waits for its turn, passes it to
// the other party and signals it (after unlocking, as Go programs do).
template <class Turns>
void take_turns(Turns& t, int me, long n) {
  for (long i = 0; i < n; ++i) {
    {
      std::unique_lock lk(t.mu);
      t.c.wait(lk, [&] { return t.turn == me; });
      t.turn = 1 - me;
      ++t.passes;
    }
    t.c.signal();
  }
}

// fan_out: one round of fan-out and fan-in on wg: add(width), start width
// tasks with spawn(f) that each count themselves in ran and call done(),
// then wait.
template <class WaitGroup, class Spawn>
void fan_out(WaitGroup& wg, std::atomic<long>& ran, long width, Spawn&& spawn) {
  wg.add(width);
  for (long i = 0; i < width; ++i)
    spawn([&wg, &ran] {
      ran.fetch_add(1, std::memory_order_relaxed);
      wg.done();
    });
  wg.wait();
}

// pool_loop: n x (get a buffer; increment one byte of it; put it back).
// The pool holds pointers to arrays of 1 KiB. Returns how many gets came
// back empty (a null pointer).
template <class Pool>
long pool_loop(Pool& p, long n) {
  long empty = 0;
  for (long i = 0; i < n; ++i) {
    auto b = p.get();
    if (!b) {
      ++empty;
      continue;
    }
    ++(*b)[static_cast<std::size_t>(i) & 1023];
    p.put(std::move(b));
  }
  return empty;
}

// cancel_loop: n x (a child of parent with with_cancel; cancel it). Returns
// how many children did not report an error after their cancel.
template <class Context>
long cancel_loop(const Context& parent, long n) {
  long live = 0;
  for (long i = 0; i < n; ++i) {
    auto [ctx, cancel] = with_cancel(parent);  // found by ADL
    cancel();
    if (!ctx.err()) ++live;
  }
  return live;
}

// sem_loop: n x (acquire(w); add w to held and count an overrun of
// capacity; take w off held; release(w)). Returns the overruns.
template <class Semaphore>
long sem_loop(Semaphore& s, std::int64_t w, long n,
              std::atomic<std::int64_t>& held, std::int64_t capacity) {
  long over = 0;
  for (long i = 0; i < n; ++i) {
    s.acquire(w);
    if (held.fetch_add(w, std::memory_order_relaxed) + w > capacity) ++over;
    held.fetch_sub(w, std::memory_order_relaxed);
    s.release(w);
  }
  return over;
}

}  // namespace sync_work
