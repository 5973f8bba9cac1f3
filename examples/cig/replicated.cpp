// Concurrency in Go (Cox-Buday, 2017), ch. 4, "Replicated Requests": the
// same request goes to 10 handlers with a random simulated load of 1 to 5 s,
// as in the book (the loads are drawn in main from a fixed seed, so main
// knows them); the first answer wins and closing done cancels the rest.
// Checks: all 10 handlers have returned (wg.wait) before the slowest load
// would have ended, so they were cancelled (4 s of slack with this seed).
#include <gort/gort.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <variant>
#include <vector>

using namespace std::chrono_literals;

void do_work(gort::recv_chan<std::monostate> done, int id, gort::wait_group* wg,
             gort::send_chan<int> result,
             std::chrono::seconds simulated_load_time) {
  const auto started = std::chrono::steady_clock::now();
  gort::select(gort::case_recv(done),
               gort::case_recv(gort::after(simulated_load_time)));
  gort::select(gort::case_recv(done), gort::case_send(result, id));
  std::chrono::duration<double> took =
      std::chrono::steady_clock::now() - started;
  if (took < simulated_load_time) took = simulated_load_time;
  std::printf("%d took %.3fs\n", id, took.count());  // as it would have
  wg->done();  // Go: defer wg.Done(); nothing here is touched after it
}

int main() {
  return gort::run([] {
    std::mt19937 rng(1);
    std::vector<std::chrono::seconds> load;  // Go: 1+rand.Intn(5) seconds
    for (int i = 0; i < 10; i++) load.emplace_back(1 + rng() % 5);
    const auto slowest = *std::max_element(load.begin(), load.end());

    const auto start = std::chrono::steady_clock::now();
    auto done = gort::make_chan<std::monostate>();
    auto result = gort::make_chan<int>();
    gort::wait_group wg;
    wg.add(10);
    for (int i = 0; i < 10; i++)
      gort::go(do_work, done, i, &wg, result, load[i]);
    const int first_returned = *result.recv();
    done.close();
    wg.wait();
    const std::chrono::duration<double> elapsed =
        std::chrono::steady_clock::now() - start;
    std::printf("Received an answer from #%d\n", first_returned);
    if (elapsed < slowest) return 0;
    std::fprintf(stderr, "the replicas took %.3fs, the slowest load is %llds\n",
                 elapsed.count(), static_cast<long long>(slowest.count()));
    return 1;
  });
}
