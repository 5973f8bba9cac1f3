// sqdone3.go from "Go Concurrency Patterns: Pipelines and cancellation"
// (Sameer Ajmani, 2014, https://go.dev/blog/pipelines).
//
// Explicit cancellation: every stage also selects on done, and closing done
// unblocks them all at once. The check, not in the post: none is left.
#include <gort/gort.hpp>

#include "../example.hpp"  // empty, defer_close, settle (the leak check)

#include <cstdio>
#include <memory>
#include <vector>

gort::recv_chan<int> gen(gort::recv_chan<empty> done, std::vector<int> nums) {
  auto out = gort::make_chan<int>();
  gort::go([done, out, nums] {
    for (int n : nums) {
      if (gort::select(gort::case_send(out, n), gort::case_recv(done)) == 1) {
        break;  // done is closed: Go returns (the deferred close follows)
      }
    }
    out.close();
  });
  return out;
}

gort::recv_chan<int> sq(gort::recv_chan<empty> done, gort::recv_chan<int> in) {
  auto out = gort::make_chan<int>();
  gort::go([done, in, out] {
    for (int n : in) {
      if (gort::select(gort::case_send(out, n * n), gort::case_recv(done)) ==
          1) {
        break;
      }
    }
    out.close();
  });
  return out;
}

gort::recv_chan<int> merge(gort::recv_chan<empty> done,
                           std::vector<gort::recv_chan<int>> cs) {
  auto wg = std::make_shared<gort::wait_group>();
  auto out = gort::make_chan<int>();

  // Start an output goroutine for each input channel in cs. output copies
  // values from c to out until c or done is closed, then calls wg.done().
  auto output = [done, wg, out](gort::recv_chan<int> c) {
    for (int n : c) {
      if (gort::select(gort::case_send(out, n), gort::case_recv(done)) == 1) {
        break;
      }
    }
    wg->done();
  };
  wg->add(std::ssize(cs));
  for (auto c : cs) {
    gort::go(output, c);
  }
  // Start a goroutine to close out once all the output goroutines are done.
  gort::go([wg, out] {
    wg->wait();
    out.close();
  });
  return out;
}

int main() {
  return gort::run([] {
    const std::size_t before = gort::num_goroutines();  // not in the post
    {
      // Set up a done channel that's shared by the whole pipeline, and
      // close that channel when this pipeline exits, as a signal for all
      // the goroutines we started to exit.
      auto done = gort::make_chan<empty>();
      defer_close defer{done};  // Go: defer close(done)

      auto in = gen(done, {2, 3});
      // Distribute the sq work across two goroutines that both read from in.
      auto c1 = sq(done, in);
      auto c2 = sq(done, in);

      // Consume the first value from output.
      auto out = merge(done, {c1, c2});
      std::printf("%d\n", *out.recv());  // 4 or 9
      // done will be closed by the deferred call.
    }
    // Not in the post: all the goroutines exit once done is closed.
    std::size_t left = settle(before) - before;
    if (left > 0) std::fprintf(stderr, "sqdone3: %zu goroutines left\n", left);
    return left > 0 ? 1 : 0;
  });
}
