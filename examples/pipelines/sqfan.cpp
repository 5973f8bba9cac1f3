// sqfan.go from "Go Concurrency Patterns: Pipelines and cancellation"
// (Sameer Ajmani, 2014, https://go.dev/blog/pipelines).
//
// Fan-out, fan-in: two sq workers read from the same channel, spreading the
// work between them; merge multiplexes their outputs onto one channel that
// is closed when all of them are. The order of the results depends on the
// scheduling, so the program checks the multiset: {4, 9}.
#include <gort/gort.hpp>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <vector>

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

// merge copies the values from each of cs onto one channel, closed once
// every one of cs is closed and drained.
gort::recv_chan<int> merge(std::vector<gort::recv_chan<int>> cs) {
  // The goroutines outlive merge: they share the wait group (Go's garbage
  // collector keeps wg alive for them).
  auto wg = std::make_shared<gort::wait_group>();
  auto out = gort::make_chan<int>();

  // Start an output goroutine for each input channel in cs. output copies
  // values from c to out until c is closed, then calls wg.done().
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

  // Start a goroutine to close out once all the output goroutines are
  // done. This must start after the wg.add call.
  gort::go([wg, out] {
    wg->wait();
    out.close();
  });
  return out;
}

int main() {
  return gort::run([] {
    auto in = gen({2, 3});

    // Distribute the sq work across two goroutines that both read from in.
    auto c1 = sq(in);
    auto c2 = sq(in);

    // Consume the merged output from c1 and c2.
    std::vector<int> got;
    for (int n : merge({c1, c2})) {
      std::printf("%d\n", n);  // 4 then 9, or 9 then 4
      got.push_back(n);
    }

    std::sort(got.begin(), got.end());
    if (got != std::vector<int>{4, 9}) {
      std::fprintf(stderr, "sqfan: want 4 and 9, once each\n");
      return 1;
    }
    return 0;
  });
}
