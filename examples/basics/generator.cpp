// generator: a function that returns a channel.
//
// Go originals: "Generator: function that returns a channel" and "Channels
// as a handle on a service" from Rob Pike's talk "Go Concurrency Patterns"
// (Google I/O 2012, go.dev/talks/2012/concurrency.slide). boring starts a
// goroutine and returns the receive end of its channel (Go's `<-chan
// string`, gort's recv_chan); the channel is a handle on the service, so
// we can run several: Joe and Ann. Reading them in turn keeps them in
// lockstep, so the output does not depend on their (small) random sleeps.
#include <gort/gort.hpp>

#include <chrono>
#include <cstdio>
#include <random>
#include <string>

gort::recv_chan<std::string> boring(
    std::string msg) {  // returns receive-only channel
  auto c = gort::make_chan<std::string>();
  gort::go([msg, c] {  // we launch the goroutine from inside the function
    std::minstd_rand rng(msg.size());
    for (int i = 0;; i++) {
      c.send(msg + " " + std::to_string(i));
      gort::sleep(std::chrono::milliseconds(1 + rng() % 10));
    }
  });
  return c;  // return the channel to the caller
}

int main() {
  gort::run([] {
    auto c = boring("boring!");  // function returning a channel
    for (int i = 0; i < 5; i++) {
      std::printf("You say: \"%s\"\n", c.recv()->c_str());
    }
    auto joe = boring("Joe");
    auto ann = boring("Ann");
    for (int i = 0; i < 5; i++) {
      std::printf("%s\n", joe.recv()->c_str());
      std::printf("%s\n", ann.recv()->c_str());
    }
    std::printf("You're both boring; I'm leaving.\n");
  });
}
