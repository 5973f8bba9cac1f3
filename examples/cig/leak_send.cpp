// Concurrency in Go (Cox-Buday, 2017), ch. 4, "Preventing Goroutine Leaks",
// the send side: new_rand_stream would block forever on its send once the
// consumer stops reading; the done channel lets the consumer tell it to
// exit. A fixed-seed mt19937 stands in for rand.Int. Checks (leak_send.out):
// the output, whose last line the producer prints as it exits; and, exit 1
// if not, that it has exited (num_goroutines back to where it started).
#include <gort/gort.hpp>

#include "../example.hpp"  // empty, settle (the leak check)

#include <chrono>
#include <cstdio>
#include <random>
#include <variant>

using namespace std::chrono_literals;

gort::recv_chan<unsigned> new_rand_stream(gort::recv_chan<empty> done) {
  auto rand_stream = gort::make_chan<unsigned>();
  gort::go([=] {
    std::mt19937 rng;  // the default seed, 5489
    while (gort::select(gort::case_send(rand_stream, unsigned(rng())),
                        gort::case_recv(done)) == 0) {
    }
    std::printf("newRandStream closure exited.\n");
    rand_stream.close();
  });
  return rand_stream;
}

int main() {
  return gort::run([] {
    const std::size_t baseline = gort::num_goroutines();
    auto done = gort::make_chan<empty>();
    auto rand_stream = new_rand_stream(done);
    std::printf("3 random ints:\n");
    for (int i = 1; i <= 3; i++)
      std::printf("%d: %u\n", i, *rand_stream.recv());
    done.close();
    // The book sleeps 1 s to "simulate ongoing work"; this waits for the exit.
    if (settle(baseline) <= baseline) return 0;
    std::fprintf(stderr, "leak: %zu goroutines alive, want %zu\n",
                 gort::num_goroutines(), baseline);
    return 1;
  });
}
