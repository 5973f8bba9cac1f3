// fanin: multiplexing two generators into one channel.
//
// Go original: "Multiplexing" (fanIn) from Rob Pike's talk "Go Concurrency
// Patterns" (Google I/O 2012, go.dev/talks/2012/concurrency.slide). One
// goroutine per input copies it to the output, so whoever is ready talks:
// Joe and Ann are no longer in lockstep. Pike's generators run forever; here
// each says kN things and closes its channel, and fanIn closes the output
// when both inputs are done, so we can check that every message arrives,
// in order within each speaker.
#include "boring.hpp"

#include <memory>

gort::recv_chan<std::string> fanIn(gort::recv_chan<std::string> input1,
                                   gort::recv_chan<std::string> input2) {
  auto c = gort::make_chan<std::string>();
  auto wg = std::make_shared<gort::wait_group>();
  wg->add(2);
  gort::go([=] {
    for (auto s : input1) c.send(s);
    wg->done();
  });
  gort::go([=] {
    for (auto s : input2) c.send(s);
    wg->done();
  });
  gort::go([=] {  // close c once both inputs are drained
    wg->wait();
    c.close();
  });
  return c;
}

int main() {
  return gort::run(
      [] { return listen(fanIn(boring("Joe"), boring("Ann"))) ? 0 : 1; });
}
