// Concurrency in Go (Cox-Buday, 2017), ch. 4, "Fan-Out, Fan-In": the slow
// prime_finder runs in one goroutine per processor; fan_in merges them. Unlike
// the book, take bounds the input (3000 values in [2, 50000) from a fixed-seed
// mt19937), not the output. Checks: the primes found are the sieve's.
#include <gort/gort.hpp>

#include "generators.hpp"  // done_t, stage, repeat, take, repeat_fn, or_done

#include <cstdio>
#include <functional>
#include <memory>
#include <random>
#include <set>
#include <variant>
#include <vector>

gort::recv_chan<int> prime_finder(done_t done, gort::recv_chan<int> ints) {
  return stage<int>(done, [=](auto& send) {
    for (int integer : ints) {
      bool prime = true;  // the book's `integer -= 1` slip is dropped
      for (int divisor = integer - 1; prime && divisor > 1; divisor--)
        prime = integer % divisor != 0;
      if (prime && !send(integer)) return;
    }
  });
}

template <class T>
gort::recv_chan<T> fan_in(done_t done,
                          std::vector<gort::recv_chan<T>> channels) {
  auto wg = std::make_shared<gort::wait_group>();
  auto multiplexed_stream = gort::make_chan<T>();
  auto multiplex = [=](gort::recv_chan<T> c) {
    for (T i : c)
      if (gort::select(gort::case_recv(done),
                       gort::case_send(multiplexed_stream, i)) == 0)
        break;
    wg->done();  // Go: defer wg.Done()
  };
  wg->add(std::ssize(channels));
  for (auto& c : channels) gort::go(multiplex, c);
  gort::go([=] {
    wg->wait();
    multiplexed_stream.close();
  });
  return multiplexed_stream;
}

int main() {
  return gort::run([] {
    constexpr int n = 3000, limit = 50000;
    auto done = gort::make_chan<std::monostate>();
    std::function<int()> rand = [rng = std::mt19937{}]() mutable {
      return std::uniform_int_distribution<int>(2, limit - 1)(rng);
    };
    auto rand_int_stream = take(done, repeat_fn(done, rand), n);
    std::vector<gort::recv_chan<int>> finders(gort::maxprocs());  // NumCPU
    for (auto& finder : finders) finder = prime_finder(done, rand_int_stream);
    std::multiset<int> found;
    for (int prime : fan_in(done, finders)) found.insert(prime);
    done.close();                        // stops repeat_fn
    std::vector<bool> composite(limit);  // a sieve, on the same inputs
    for (int i = 2; i * i < limit; i++)
      for (int j = i * i; j < limit; j += i) composite[j] = true;
    std::multiset<int> want;
    for (int i = 0; i < n; i++)  // repeat_fn has a copy: rand() replays it
      if (int v = rand(); !composite[v]) want.insert(v);
    std::printf("%zu primes found, sieve: %zu\n", found.size(), want.size());
    if (found == want && !want.empty()) return 0;
    std::fprintf(stderr, "the primes found are not the sieve's\n");
    return 1;
  });
}
