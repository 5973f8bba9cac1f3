// fib.hpp: the fork-join fib of the fib anchor (../shared/anchors/go/fib),
// shared by the anchor port (anchors/fib.cpp) and gort_bench (bm_sched_fib).
// A call with n > cutoff spawns a goroutine for fib(n-1), computes fib(n-2)
// itself and joins through a latch(1) on its own stack (Go: a WaitGroup);
// n <= cutoff is plain recursion.
#pragma once

#include <gort/sched.hpp>

#include "sched/internal/latch.hpp"

namespace gort_bench {

inline constexpr long fib_cutoff = 20;

// noinline as in the Boost.Fiber port, so that g++ keeps the plain double
// recursion (Go's compiler does not inline recursive calls either).
__attribute__((noinline)) inline long fib_serial(long n) {
  return n < 2 ? n : fib_serial(n - 1) + fib_serial(n - 2);
}

inline long fib_par(long n) {
  if (n <= fib_cutoff) return fib_serial(n);
  long x = 0;
  gort::internal::latch done(1);
  gort::go([&x, &done, n] {
    x = fib_par(n - 1);
    done.count_down();
  });
  const long y = fib_par(n - 2);
  done.wait();
  return x + y;
}

}  // namespace gort_bench
