// unbuffered: a producer and a consumer joined by an unbuffered channel.
//
// Go original: "Using channels" from Rob Pike's talk "Go Concurrency
// Patterns" (Google I/O 2012, go.dev/talks/2012/concurrency.slide). main
// receives five messages from a boring goroutine, then leaves. On an
// unbuffered channel every send waits for its receive: the channel both
// communicates and synchronizes. Pike's sleeps are rand.Intn(1e3) ms; here
// they are 1-10 ms, and the output does not depend on them.
#include <gort/gort.hpp>

#include <chrono>
#include <cstdio>
#include <random>
#include <string>

using namespace std::chrono_literals;

void boring(std::string msg, gort::send_chan<std::string> c) {
  std::minstd_rand rng(42);
  for (int i = 0;; i++) {
    c.send(msg + " " + std::to_string(i));  // blocks until main receives
    gort::sleep(std::chrono::milliseconds(1 + rng() % 10));
  }
}

int main() {
  gort::run([] {
    auto c = gort::make_chan<std::string>();
    gort::go(boring, "boring!", c);
    for (int i = 0; i < 5; i++) {
      std::printf("You say: \"%s\"\n", c.recv()->c_str());
    }
    std::printf("You're boring; I'm leaving.\n");
  });
}
