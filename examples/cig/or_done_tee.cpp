// Concurrency in Go (Cox-Buday, 2017), ch. 4, "The or-done-channel" and "The
// tee-channel": or_done wraps "range over c, but stop when done closes";
// tee splits a stream in two, each value written to both before the next is
// read (local copies of the outputs are set to nil once served). Checks
// (or_done_tee.out): tee's pairs; or_done ending a range over an open channel.
#include <gort/gort.hpp>

#include "generators.hpp"  // done_t, stage, repeat, take, repeat_fn, or_done

#include <concepts>
#include <cstdio>
#include <optional>
#include <utility>
#include <variant>
#include <vector>

template <class T>
std::pair<gort::recv_chan<T>, gort::recv_chan<T>> tee(done_t done,
                                                      gort::recv_chan<T> in) {
  auto out1 = gort::make_chan<T>();
  auto out2 = gort::make_chan<T>();
  gort::go([=] {
    for (T val : or_done(done, in)) {
      gort::send_chan<T> o1 = out1, o2 = out2;  // Go: var out1, out2 = ...
      for (int i = 0; i < 2; i++)
        gort::select(gort::case_recv(done),
                     gort::case_send(o1, val, [&] { o1 = {}; }),
                     gort::case_send(o2, val, [&] { o2 = {}; }));
    }
    out1.close();
    out2.close();
  });
  return {out1, out2};
}

int main() {
  return gort::run([] {
    auto done = gort::make_chan<std::monostate>();
    auto [out1, out2] = tee(done, take(done, repeat(done, 1, 2), 4));
    for (int val1 : out1)
      std::printf("out1: %d, out2: %d\n", val1, *out2.recv());

    // or_done stops a range over a channel that is never closed.
    auto never_closed = gort::make_chan<int>(1);
    never_closed.send(7);
    auto stop = gort::make_chan<std::monostate>();
    for (int v : or_done<int>(stop, never_closed)) {  // no deduction from chan
      std::printf("or_done: %d\n", v);
      stop.close();
    }
    std::printf("or_done: stopped by done\n");
    done.close();  // Go: defer close(done)
    return 0;
  });
}
