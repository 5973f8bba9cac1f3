// nilselect: Sameer Ajmani, "Advanced Go Concurrency Patterns" (Google I/O
// 2013), "Select and nil channels" (advconc/nilselect/nilselect.go). Sends
// and receives on a nil channel block, and select never chooses a case that
// would block: after a or b is set to nil, the select can only receive
// from the other. A goroutine captures its channel when it is started (Go's
// closure shares the variable), so the one whose channel was dropped stays
// blocked in its send, as in Go; the program ends with it. The random
// source is seeded from the argument (Go seeds it with the time), which
// makes the output deterministic (nilselect.out, seed 1). Checked also by
// the program, exit 1 if not: the value came from the channel left.
#include <gort/gort.hpp>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <random>
#include <string>
#include <string_view>

int main(int argc, char** argv) {
  std::mt19937 rng(argc > 1 ? std::atoi(argv[1]) : 1);
  return gort::run([&] {
    auto a = gort::make_chan<std::string>(), b = gort::make_chan<std::string>();
    gort::go([a] { a.send("a"); });
    gort::go([b] { b.send("b"); });
    std::string_view want;  // the channel left
    if (std::uniform_int_distribution<int>(0, 1)(rng) == 0) {
      a = {};  // nil
      std::printf("nil a\n");
      want = "b";
    } else {
      b = {};  // nil
      std::printf("nil b\n");
      want = "a";
    }
    std::string got;
    gort::select(gort::case_recv(a,
                                 [&](std::optional<std::string> s) {
                                   got = *s;
                                   std::printf("got %s\n", got.c_str());
                                 }),
                 gort::case_recv(b, [&](std::optional<std::string> s) {
                   got = *s;
                   std::printf("got %s\n", got.c_str());
                 }));
    return got == want ? 0 : 1;
  });
}
