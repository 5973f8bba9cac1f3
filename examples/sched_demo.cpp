// sched_demo: many goroutines spread over the processors, and what the
// scheduler did with them.
//
// One goroutine spawns a fork-join tree of small tasks plus a crowd of
// sleepers; every processor ends up running some of them (steals move work
// from the spawning processor to the others), and the program prints
// gort::stats(): goroutines run, steals, timers, per processor.
//
//   usage: sched_demo [tasks]        GORT_MAXPROCS, GORT_SCHEDTRACE=ms apply
#include <gort/gort.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>

namespace {

// tree spawns `n` leaves as a binary fork-join tree; each leaf does a little
// arithmetic and adds it to `sum`.
void tree(long lo, long hi, std::atomic<long>& sum,
          std::atomic<long>& remaining) {
  if (hi - lo == 1) {
    long x = lo;
    for (int i = 0; i < 200; ++i) x = (x * 1103515245 + 12345) % 1000003;
    asm volatile("" : : "r"(x));  // keep the work
    sum.fetch_add(lo, std::memory_order_relaxed);
    remaining.fetch_sub(1, std::memory_order_release);
    return;
  }
  long mid = lo + (hi - lo) / 2;
  gort::go(tree, mid, hi, std::ref(sum), std::ref(remaining));
  tree(lo, mid, sum, remaining);
}

}  // namespace

int main(int argc, char** argv) {
  const long n = argc > 1 ? std::atol(argv[1]) : 200000;
  const long sleepers = n / 20;
  auto start = std::chrono::steady_clock::now();
  long sum = gort::run([&] {
    std::atomic<long> total{0};
    std::atomic<long> remaining{n + sleepers};
    for (long i = 0; i < sleepers; ++i) {
      gort::go([&remaining, i] {
        gort::sleep(std::chrono::milliseconds(1 + i % 20));
        remaining.fetch_sub(1, std::memory_order_release);
      });
    }
    tree(0, n, total, remaining);
    // Join by polling on the runtime's timers: the main goroutine parks
    // between looks. (gort::wait_group, from the sync issue, replaces this.)
    while (remaining.load(std::memory_order_acquire) != 0)
      gort::sleep(std::chrono::microseconds(200));
    return total.load();
  });
  double ms = std::chrono::duration<double, std::milli>(
                  std::chrono::steady_clock::now() - start)
                  .count();
  gort::sched_stats st = gort::stats();
  std::printf(
      "gort sched_demo: %ld tasks + %ld sleepers on %d processors in "
      "%.1f ms\n",
      n, sleepers, st.processors, ms);
  std::printf(
      "goroutines created %llu, worker threads %d, steals %llu, "
      "blocking retakes %llu\n\n",
      static_cast<unsigned long long>(st.goroutines_created), st.threads,
      static_cast<unsigned long long>(st.steals),
      static_cast<unsigned long long>(st.retakes));
  std::printf(
      "  P   cpu   run     spawned  steals  stolen  stolen-from  "
      "parks   timers\n");
  for (const gort::proc_stats& p : st.procs) {
    std::printf(
        "  %-3d %-5d %-7llu %-8llu %-7llu %-7llu %-12llu %-7llu "
        "%llu\n",
        p.id, p.cpu, static_cast<unsigned long long>(p.scheduled),
        static_cast<unsigned long long>(p.spawned),
        static_cast<unsigned long long>(p.steals),
        static_cast<unsigned long long>(p.stolen),
        static_cast<unsigned long long>(p.stolen_from),
        static_cast<unsigned long long>(p.parks),
        static_cast<unsigned long long>(p.timers_fired));
  }
  const long want = n * (n - 1) / 2;
  if (sum != want) {
    std::fprintf(stderr, "sched_demo: sum %ld, want %ld\n", sum, want);
    return 1;
  }
  std::printf("\nchecksum ok (%ld)\n", sum);
  return 0;
}
