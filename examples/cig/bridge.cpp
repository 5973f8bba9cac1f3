// Concurrency in Go (Cox-Buday, 2017), ch. 4, "The bridge-channel": a
// channel of channels (a sequence of streams) is flattened into one stream,
// so the consumer ranges over bridge's output without caring where each
// value came from. As in the book, bridge is called with a nil done
// channel. Checks (bridge.out): 0 to 9, in order.
#include <gort/gort.hpp>

#include "generators.hpp"  // done_t, stage, repeat, take, repeat_fn, or_done

#include <cstdio>
#include <optional>
#include <variant>

template <class T>
gort::recv_chan<T> bridge(done_t done,
                          gort::recv_chan<gort::recv_chan<T>> chan_stream) {
  auto val_stream = gort::make_chan<T>();
  gort::go([=] {
    for (;;) {
      gort::recv_chan<T> stream;
      bool ok = true;
      gort::select(gort::case_recv(chan_stream,
                                   [&](std::optional<gort::recv_chan<T>> s) {
                                     if (s)
                                       stream = *s;
                                     else
                                       ok = false;
                                   }),
                   gort::case_recv(done, [&] { ok = false; }));
      if (!ok) break;
      for (T val : or_done(done, stream))
        gort::select(gort::case_send(val_stream, val), gort::case_recv(done));
    }
    val_stream.close();
  });
  return val_stream;
}

gort::recv_chan<gort::recv_chan<int>> gen_vals() {
  auto chan_stream = gort::make_chan<gort::recv_chan<int>>();
  gort::go([=] {
    for (int i = 0; i < 10; i++) {
      auto stream = gort::make_chan<int>(1);
      stream.send(i);
      stream.close();
      chan_stream.send(stream);
    }
    chan_stream.close();
  });
  return chan_stream;
}

int main() {
  return gort::run([] {
    for (int v : bridge({}, gen_vals())) std::printf("%d ", v);  // {}: nil
    std::printf("\n");
    return 0;
  });
}
