// sequenced: restoring sequencing after a fan-in.
//
// Go original: "Restoring sequencing" from Rob Pike's talk "Go Concurrency
// Patterns" (Google I/O 2012, go.dev/talks/2012/concurrency.slide). Each
// Message carries a private channel to wait on; a speaker sends a message,
// then blocks until main says "go on", so after a fan-in main gets exactly
// one message from each speaker per round. Which of the two arrives first
// in a round is a race, so each round is printed in name order: the output
// is exact, and it alternates Ann i / Joe i only if the sequencing works.
#include <gort/gort.hpp>

#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <utility>

struct Message {
  std::string str;
  gort::chan<bool> wait;
};

gort::recv_chan<Message> boring(std::string msg) {
  auto c = gort::make_chan<Message>();
  gort::go([msg, c] {
    std::minstd_rand rng(msg[0]);
    auto waitForIt = gort::make_chan<bool>();  // shared between all messages
    for (int i = 0;; i++) {
      c.send(Message{msg + " " + std::to_string(i), waitForIt});
      gort::sleep(std::chrono::milliseconds(1 + rng() % 10));
      waitForIt.recv();
    }
  });
  return c;
}

gort::recv_chan<Message> fanIn(gort::recv_chan<Message> input1,
                               gort::recv_chan<Message> input2) {
  auto c = gort::make_chan<Message>();
  gort::go([=] {
    for (;;) c.send(*input1.recv());
  });
  gort::go([=] {
    for (;;) c.send(*input2.recv());
  });
  return c;
}

int main() {
  gort::run([] {
    auto c = fanIn(boring("Joe"), boring("Ann"));
    for (int i = 0; i < 5; i++) {
      Message msg1 = *c.recv();
      Message msg2 = *c.recv();
      if (msg2.str < msg1.str) std::swap(msg1, msg2);  // print in name order
      std::printf("%s\n", msg1.str.c_str());
      std::printf("%s\n", msg2.str.c_str());
      msg1.wait.send(true);
      msg2.wait.send(true);
    }
    std::printf("You're both boring; I'm leaving.\n");
  });
}
