// buffer: Sameer Ajmani, "Advanced Go Concurrency Patterns" (Google I/O
// 2013), advconc/buffer/buffer.go: an unbounded buffer between two
// unbuffered channels, a for-select loop that toggles its cases with nil
// channels. The receive case is disabled (in set to nil) once in is
// closed; the send case is enabled only while the buffer holds something.
// main sends 0..9 before anyone receives (so they must be buffered), closes
// in, and ranges over out. Checked: the output (buffer.out), and that the
// buffer goroutine has exited (exit 1 if not).
#include <gort/gort.hpp>

#include "../example.hpp"  // settle (the leak check)

#include <cstdio>
#include <deque>
#include <optional>

// buffer provides an unbounded buffer between in and out. buffer exits when
// in is closed and all items in the buffer have been sent to out, at which
// point it closes out.
void buffer(gort::recv_chan<int> in, gort::send_chan<int> out) {
  std::deque<int> buf;
  while (!in.nil() || !buf.empty()) {
    int i = 0;
    gort::send_chan<int> c;
    if (!buf.empty()) {
      i = buf.front();
      c = out;  // enable send case
    }
    gort::select(gort::case_recv(in,
                                 [&](std::optional<int> n) {
                                   if (n) {
                                     buf.push_back(*n);
                                   } else {
                                     in = {};  // disable receive case
                                   }
                                 }),
                 gort::case_send(c, i, [&] { buf.pop_front(); }));
  }
  out.close();
}

int main() {
  return gort::run([] {
    const std::size_t baseline = gort::num_goroutines();
    auto in = gort::make_chan<int>(), out = gort::make_chan<int>();
    gort::go(buffer, in, out);
    for (int i = 0; i < 10; i++) {
      in.send(i);
    }
    in.close();
    for (int i : out) {
      std::printf("%d\n", i);
    }
    return settle(baseline) <= baseline ? 0 : 1;
  });
}
