// example.hpp: what several examples need that Go has built in.
//   empty           Go's struct{}, the element of a channel used only to close
//   defer_close     Go's `defer close(c)`
//   settle          the examples' leak check: Go's runtime.NumGoroutine,
//                   polled until goroutines told to stop have gone
#pragma once

#include <gort/gort.hpp>

#include <chrono>
#include <cstddef>
#include <variant>

using empty = std::monostate;

// defer_close closes c when it goes out of scope: Go's defer close(c).
template <class T>
struct defer_close {
  gort::chan<T> c;
  ~defer_close() { c.close(); }
};

// settle waits until at most `want` goroutines are alive, for 10 s at most
// (the slack is for loaded, sanitized test runs), and returns how many are.
inline std::size_t settle(std::size_t want) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (gort::num_goroutines() > want &&
         std::chrono::steady_clock::now() < deadline)
    gort::sleep(std::chrono::milliseconds(1));
  return gort::num_goroutines();
}
