// sqdone1.go from "Go Concurrency Patterns: Pipelines and cancellation"
// (Sameer Ajmani, 2014, https://go.dev/blog/pipelines).
//
// Explicit cancellation, first try: merge's output goroutines select
// between sending downstream and receiving from done, and main, leaving
// after one value, sends one value on done per sender it may have blocked.
// It works, but main must know how many there are: sqdone3.cpp closes done
// instead. The check, not in the post: every goroutine exits.
#include <gort/gort.hpp>

#include "stages.hpp"  // gen, sq

#include "../example.hpp"  // empty, settle (the leak check)

#include <cstdio>
#include <memory>
#include <vector>

gort::recv_chan<int> merge(gort::recv_chan<empty> done,
                           std::vector<gort::recv_chan<int>> cs) {
  auto wg = std::make_shared<gort::wait_group>();
  auto out = gort::make_chan<int>();

  // Start an output goroutine for each input channel in cs. output copies
  // values from c to out until c is closed or it receives a value from
  // done, then output calls wg.done().
  auto output = [done, wg, out](gort::recv_chan<int> c) {
    for (int n : c) {
      gort::select(gort::case_send(out, n), gort::case_recv(done));
    }
    wg->done();
  };
  wg->add(std::ssize(cs));
  for (auto c : cs) {
    gort::go(output, c);
  }
  gort::go([wg, out] {
    wg->wait();
    out.close();
  });
  return out;
}

int main() {
  return gort::run([] {
    const std::size_t before = gort::num_goroutines();  // not in the post

    auto in = gen({2, 3});

    // Distribute the sq work across two goroutines that both read from in.
    auto c1 = sq(in);
    auto c2 = sq(in);

    // Consume the first value from output.
    auto done = gort::make_chan<empty>(2);
    auto out = merge(done, {c1, c2});
    std::printf("%d\n", *out.recv());  // 4 or 9

    // Tell the remaining senders we're leaving.
    done.send(empty{});
    done.send(empty{});

    // Not in the post: all the goroutines exit.
    std::size_t left = settle(before) - before;
    if (left > 0) std::fprintf(stderr, "sqdone1: %zu goroutines left\n", left);
    return left > 0 ? 1 : 0;
  });
}
