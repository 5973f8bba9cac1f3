// Concurrency in Go (Cox-Buday, 2017), ch. 4, "Confinement": ad hoc
// confinement (only loop_data touches data, by convention) and lexical
// confinement (chan_owner creates the channel inside its scope and hands
// out only a receive view, so only the goroutine it starts can write to it
// and consumer can only read). Checks (confinement.out): the book's output.
#include <gort/gort.hpp>

#include <cstdio>
#include <vector>

int main() {
  return gort::run([] {
    // Ad hoc: data is reachable from main too; only convention confines it.
    std::vector<int> data(4);
    auto loop_data = [&data](gort::send_chan<int> handle_data) {
      for (std::size_t i = 0; i < data.size(); i++) handle_data.send(data[i]);
      handle_data.close();  // Go: defer close(handleData)
    };
    auto handle_data = gort::make_chan<int>();
    gort::go(loop_data, handle_data);
    for (int num : handle_data) std::printf("%d\n", num);

    // Lexical: results exists only inside chan_owner and its goroutine.
    auto chan_owner = []() -> gort::recv_chan<int> {
      auto results = gort::make_chan<int>(5);
      gort::go([results] {
        for (int i = 0; i <= 5; i++) results.send(i);
        results.close();
      });
      return results;
    };
    auto consumer = [](gort::recv_chan<int> results) {
      for (int result : results) std::printf("Received: %d\n", result);
      std::printf("Done receiving!\n");
    };
    auto results = chan_owner();
    consumer(results);
    return 0;
  });
}
