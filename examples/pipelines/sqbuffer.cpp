// sqbuffer.go from "Go Concurrency Patterns: Pipelines and cancellation"
// (Sameer Ajmani, 2014, https://go.dev/blog/pipelines).
//
// Stopping short: main takes only the first value from merge. With the
// unbuffered channels of sqfan.cpp the goroutine holding the second value
// would block in its send forever (a leak: sqleak.cpp). Here gen fills a
// buffered channel without a goroutine, and merge's output has room for
// the one unread value, so every goroutine finishes. The program checks
// that: gort::num_goroutines() drops back to what it was before.
#include <gort/gort.hpp>

#include "../example.hpp"  // settle (the leak check)

#include <cstdio>
#include <memory>
#include <vector>

gort::recv_chan<int> gen(std::vector<int> nums) {
  auto out = gort::make_chan<int>(nums.size());
  for (int n : nums) {
    out.send(n);
  }
  out.close();
  return out;
}

gort::recv_chan<int> sq(gort::recv_chan<int> in) {
  auto out = gort::make_chan<int>();
  gort::go([in, out] {
    for (int n : in) {
      out.send(n * n);
    }
    out.close();
  });
  return out;
}

gort::recv_chan<int> merge(std::vector<gort::recv_chan<int>> cs) {
  auto wg = std::make_shared<gort::wait_group>();
  auto out = gort::make_chan<int>(1);  // enough space for the unread inputs

  auto output = [wg, out](gort::recv_chan<int> c) {
    for (int n : c) {
      out.send(n);
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
    auto c1 = sq(in);
    auto c2 = sq(in);

    // Consume the first value from output.
    auto out = merge({c1, c2});
    std::printf("%d\n", *out.recv());  // 4 or 9

    // Not in the post: in Go main would return here. Check instead that
    // the two sq, two output and one closing goroutine all finish.
    if (std::size_t n = settle(before); n != before) {
      std::fprintf(stderr, "sqbuffer: %zu goroutines left behind\n",
                   n - before);
      return 1;
    }
    return 0;
  });
}
