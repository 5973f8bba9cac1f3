// Concurrency in Go (Cox-Buday, 2017), ch. 4, "Preventing Goroutine Leaks",
// the receive side: do_work takes a done channel from its parent, so the
// parent can stop it although its strings channel is nil and never
// delivers. Book: 1 s before cancelling; here 20 ms. Checks
// (leak_recv.out): the book's output; and, exit 1 if not, that every
// goroutine has exited (num_goroutines back to where it started).
#include <gort/gort.hpp>

#include "../example.hpp"  // empty, settle (the leak check)

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <variant>

using namespace std::chrono_literals;

gort::recv_chan<empty> do_work(gort::recv_chan<empty> done,
                               gort::recv_chan<std::string> strings) {
  auto terminated = gort::make_chan<empty>();
  gort::go([=] {
    auto print = [](std::optional<std::string> s) {
      if (s) std::printf("%s\n", s->c_str());
    };
    while (gort::select(gort::case_recv(strings, print),
                        gort::case_recv(done)) == 0) {
    }
    // Go defers both, so close runs first; printing first keeps the order.
    std::printf("doWork exited.\n");
    terminated.close();
  });
  return terminated;
}

int main() {
  return gort::run([] {
    const std::size_t baseline = gort::num_goroutines();
    auto done = gort::make_chan<empty>();
    auto terminated = do_work(done, {});  // {}: nil
    gort::go([done] {
      gort::sleep(20ms);
      std::printf("Canceling doWork goroutine...\n");
      done.close();
    });
    terminated.recv();
    std::printf("Done.\n");
    if (settle(baseline) <= baseline) return 0;
    std::fprintf(stderr, "leak: %zu goroutines alive, want %zu\n",
                 gort::num_goroutines(), baseline);
    return 1;
  });
}
