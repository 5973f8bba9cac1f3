// stages.hpp: the pipeline stages of "Go Concurrency Patterns: Pipelines
// and cancellation" (Sameer Ajmani, 2014, https://go.dev/blog/pipelines)
// as sq.go and sqfan.go first write them: gen turns a list of integers into
// a channel, sq squares what it receives, merge fans any number of channels
// in to one. sq.cpp, sqfan.cpp, sqleak.cpp and sqdone1.cpp use them as they
// are; sqbuffer.cpp and sqdone3.cpp change them, as the post does.
#pragma once

#include <gort/gort.hpp>

#include <memory>
#include <vector>

// gen sends each of nums on a channel it closes when done.
inline gort::recv_chan<int> gen(std::vector<int> nums) {
  auto out = gort::make_chan<int>();
  gort::go([out, nums] {
    for (int n : nums) {
      out.send(n);
    }
    out.close();
  });
  return out;
}

// sq sends the square of each value from in, and closes its channel when
// in is closed and drained.
inline gort::recv_chan<int> sq(gort::recv_chan<int> in) {
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
inline gort::recv_chan<int> merge(std::vector<gort::recv_chan<int>> cs) {
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
