// select_fanin: fan-in with select, one goroutine instead of two.
//
// Go original: "Fan-in using select" from Rob Pike's talk "Go Concurrency
// Patterns" (Google I/O 2012, go.dev/talks/2012/concurrency.slide): a
// single goroutine selects over both inputs and forwards whichever is
// ready. Pike's generators run forever; here each says kN things and closes
// its channel, and the fan-in sets a closed input to a nil channel (a nil
// channel is never ready in a select, the Go idiom) and closes its output
// when both are nil. Checked: every message arrives, in order per speaker.
#include "boring.hpp"

#include <optional>

gort::recv_chan<std::string> fanIn(gort::recv_chan<std::string> input1,
                                   gort::recv_chan<std::string> input2) {
  auto c = gort::make_chan<std::string>();
  gort::go([=]() mutable {
    // forward(in) handles a receive from in: pass the value on, or, once in
    // is closed, make it nil, so that the select never picks it again.
    auto forward = [&](gort::recv_chan<std::string>& in) {
      return [&](std::optional<std::string> s) {
        if (s) c.send(*s);
        if (!s) in = {};
      };
    };
    while (!input1.nil() || !input2.nil()) {
      gort::select(gort::case_recv(input1, forward(input1)),
                   gort::case_recv(input2, forward(input2)));
    }
    c.close();
  });
  return c;
}

int main() {
  return gort::run(
      [] { return listen(fanIn(boring("Joe"), boring("Ann"))) ? 0 : 1; });
}
