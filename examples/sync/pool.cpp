// "Concurrency in Go", chapter 3, The sync Package, "Pool": 1,048,576
// goroutines each take a 1 KiB buffer from a pool seeded with four and put
// it back. Buffers are reused across goroutines, so only a handful are ever
// created ("N calculators were created."). The program checks that N stays
// small: at most the four seeds plus a few per processor (each processor
// has at most one buffer in hand and one in its private slot at a time).
// An argument overrides the number of workers: ctest passes 16,384 under
// the sanitizers (pool.sanitized.args), where a goroutine costs ~0.1 ms
// (ASan) to ~0.3 ms (TSan) to spawn.
#include <gort/gort.hpp>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <memory>

using buffer = std::array<std::byte, 1024>;

int main(int argc, char** argv) {
  const long num_workers = argc > 1 ? std::atol(argv[1]) : 1024 * 1024;
  return gort::run([num_workers] {
    std::atomic<int> num_calcs_created{0};
    auto make = [&] {
      num_calcs_created += 1;
      return std::make_unique<buffer>();
    };
    gort::pool<std::unique_ptr<buffer>> calc_pool(make);

    // Seed the pool with 4KB
    calc_pool.put(make());
    calc_pool.put(make());
    calc_pool.put(make());
    calc_pool.put(make());

    gort::wait_group wg;
    wg.add(num_workers);
    for (long i = num_workers; i > 0; i--) {
      gort::go([&] {
        auto mem = calc_pool.get();
        // Assume something interesting, but quick is being done with
        // this memory.
        (*mem)[0] = std::byte{1};
        calc_pool.put(std::move(mem));
        wg.done();
      });
    }
    wg.wait();
    const int n = num_calcs_created.load();
    std::printf("%d calculators were created.\n", n);

    const int limit = 4 + 4 * gort::maxprocs();
    if (n > limit) {
      std::fprintf(stderr, "FAIL: %d created, want at most %d\n", n, limit);
      return 1;
    }
    return 0;
  });
}
