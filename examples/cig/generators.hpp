// generators.hpp: the stages "Concurrency in Go" (Cox-Buday, 2017) builds
// in chapter 4 and then reuses: repeat, take and repeat_fn ("Some Handy
// Generators") and or_done ("The or-done-channel"), on the shared shape of
// its stages (stage). pipelines.cpp, fan_out_in.cpp, or_done_tee.cpp and
// bridge.cpp use them.
#pragma once

#include <gort/gort.hpp>

#include <concepts>
#include <functional>
#include <optional>
#include <utility>
#include <variant>
#include <vector>

using done_t = gort::recv_chan<std::monostate>;

// stage is what the book's stages repeat: a goroutine runs body(send), then
// closes out. send(v) is `select { case <-done: ...; case out <- v: }`.
template <class T, class Body>
gort::recv_chan<T> stage(done_t done, Body body) {
  auto out = gort::make_chan<T>();
  gort::go([=]() mutable {
    auto send = [&](T v) {
      return gort::select(gort::case_recv(done),  // false: done was closed
                          gort::case_send(out, v)) == 1;
    };
    body(send);
    out.close();
  });
  return out;
}

// repeat sends its values over and over until done is closed.
template <class T, std::same_as<T>... Ts>
gort::recv_chan<T> repeat(done_t done, T value, Ts... rest) {
  return stage<T>(done, [=, values = std::vector{value, rest...}](auto& send) {
    for (;;)
      for (const T& v : values)
        if (!send(v)) return;
  });
}

// take passes on the first num values of value_stream.
template <class T>
gort::recv_chan<T> take(done_t done, gort::recv_chan<T> value_stream, int num) {
  return stage<T>(done, [=](auto& send) {
    for (int i = 0; i < num; i++)
      if (!send(*value_stream.recv())) return;
  });
}

// repeat_fn sends fn() over and over until done is closed.
template <class T>
gort::recv_chan<T> repeat_fn(done_t done, std::function<T()> fn) {
  return stage<T>(done, [=](auto& send) {
    for (;;)
      if (!send(fn())) return;
  });
}

// or_done is "range over c, but stop when done is closed": its channel
// delivers c's values until either is closed.
template <class T>
gort::recv_chan<T> or_done(done_t done, gort::recv_chan<T> c) {
  auto val_stream = gort::make_chan<T>();
  gort::go([=] {
    for (bool more = true; more;) {
      gort::select(gort::case_recv(done, [&] { more = false; }),
                   gort::case_recv(c, [&](std::optional<T> v) {
                     if (!v) {
                       more = false;
                       return;
                     }
                     gort::select(gort::case_send(val_stream, std::move(*v)),
                                  gort::case_recv(done));
                   }));
    }
    val_stream.close();  // Go: defer close(valStream)
  });
  return val_stream;
}
