// Concurrency in Go (Cox-Buday, 2017), ch. 4, "The for-select Loop": the
// two shapes of a loop around a select on done: (1) sending iteration
// variables out on a channel until done, (2) looping forever, doing work
// between polls of done (a select with an empty default never blocks), until
// done is closed. Checks (for_select.out): a b c, then that the worker,
// which did at least 100 units of work first, stops once done is closed.
#include <gort/gort.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <variant>

using namespace std::chrono_literals;
using empty = std::monostate;  // Go: chan interface{}, used only to close

int main() {
  return gort::run([] {
    // Sending iteration variables out on a channel.
    auto done = gort::make_chan<empty>();
    auto string_stream = gort::make_chan<std::string>();
    gort::go([=] {
      for (std::string s : {"a", "b", "c"})
        if (gort::select(gort::case_recv(done),
                         gort::case_send(string_stream, s)) == 0)
          break;  // Go: case <-done: return
      string_stream.close();
    });
    for (const std::string& s : string_stream) std::printf("%s\n", s.c_str());

    // Looping infinitely waiting to be stopped.
    std::atomic<long> work{0};
    auto terminated = gort::make_chan<empty>();
    gort::go([=, &work] {
      for (;;) {
        if (gort::select(gort::case_recv(done), gort::case_default()) == 0)
          break;
        ++work;  // do non-preemptable work
        gort::yield();
      }
      terminated.close();
    });
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (work < 100 && std::chrono::steady_clock::now() < deadline)
      gort::sleep(1ms);
    done.close();
    terminated.recv();
    std::printf("worker stopped\n");
    if (work < 100) {
      std::fprintf(stderr, "the worker did under 100 units of work in 10 s\n");
      return 1;
    }
    return 0;
  });
}
