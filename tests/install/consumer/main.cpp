// A user's program: gort through its public header only (tests/install).
// Exits 0 only if the goroutines it spawns really ran and run() returned
// their result.
#include <gort/gort.hpp>

#include <atomic>
#include <cstdint>
#include <cstdio>

int main() {
  constexpr std::int64_t n = 100;
  if (gort::goroutine_id() != 0) {
    std::puts("consumer: goroutine_id() != 0 on a plain thread");
    return 1;
  }
  const std::int64_t sum = gort::run([] {
    if (gort::goroutine_id() == 0) return std::int64_t{-1};
    std::atomic<std::int64_t> total{0};
    std::atomic<std::int64_t> done{0};
    for (std::int64_t i = 1; i <= n; ++i) {
      gort::go(
          [&total, &done](std::int64_t v) {
            total.fetch_add(v * v, std::memory_order_relaxed);
            done.fetch_add(1, std::memory_order_release);
          },
          i);
    }
    while (done.load(std::memory_order_acquire) < n) gort::yield();
    return total.load(std::memory_order_relaxed);
  });
  constexpr std::int64_t want = n * (n + 1) * (2 * n + 1) / 6;
  std::printf(
      "consumer: sum of squares 1..%lld = %lld (want %lld), "
      "maxprocs %d\n",
      static_cast<long long>(n), static_cast<long long>(sum),
      static_cast<long long>(want), gort::maxprocs());
  return sum == want && gort::maxprocs() >= 1 ? 0 : 1;
}
