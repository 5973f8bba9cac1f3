// sqleak.go from "Go Concurrency Patterns: Pipelines and cancellation"
// (Sameer Ajmani, 2014, https://go.dev/blog/pipelines).
//
// Stopping short leaks: main takes only the first value from merge, so the
// output goroutine holding the second one blocks in its send forever, and
// so does the goroutine waiting to close merge's channel. Goroutines are not
// garbage collected; they must exit on their own. The program checks that
// exactly those two are stuck, then (not in the post) receives the rest to
// let them go. sqbuffer.cpp, sqdone1.cpp and sqdone3.cpp are the fixes.
#include <gort/gort.hpp>

#include <chrono>
#include <cstdio>
#include <memory>
#include <vector>

using namespace std::chrono_literals;

gort::recv_chan<int> gen(std::vector<int> nums) {
  auto out = gort::make_chan<int>();
  gort::go([out, nums] {
    for (int n : nums) {
      out.send(n);
    }
    out.close();
  });
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
  auto out = gort::make_chan<int>();
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

// settle waits (up to 10 s) until at most want goroutines are alive, then
// 50 ms more, and returns how many are.
std::size_t settle(std::size_t want) {
  for (int i = 0; i < 1000 && gort::num_goroutines() > want; i++) {
    gort::sleep(10ms);
  }
  gort::sleep(50ms);
  return gort::num_goroutines();
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

    // Since we didn't receive the second value from out, one of the output
    // goroutines is hung attempting to send it (and the closer waits on it).
    if (std::size_t n = settle(before + 2); n != before + 2) {
      std::fprintf(stderr, "sqleak: %zu goroutines stuck, want 2\n",
                   n - before);
      return 1;
    }
    // Not in the post: take the second value; now every goroutine exits.
    if (!out.recv() || out.recv() || settle(before) != before) {
      std::fprintf(stderr, "sqleak: the stuck goroutines did not finish\n");
      return 1;
    }
    return 0;
  });
}
