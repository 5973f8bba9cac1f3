// Concurrency in Go (Cox-Buday, 2017), ch. 4, "Pipelines": generator, multiply
// and add ("Best Practices for Constructing Pipelines"); repeat, take and
// repeat_fn ("Some Handy Generators", in generators.hpp, which the later
// sections reuse). Checks (pipelines.out): the output;
// and (exit 1 if not) that closing done stops every stage.
#include <gort/gort.hpp>

#include "generators.hpp"  // done_t, stage, repeat, take, repeat_fn, or_done

#include "../example.hpp"  // settle: the leak check

#include <chrono>
#include <concepts>
#include <cstdio>
#include <functional>
#include <random>
#include <variant>
#include <vector>

using namespace std::chrono_literals;

auto generator(done_t done, std::same_as<int> auto... integers) {
  return stage<int>(done, [=, integers = std::vector{integers...}](auto& send) {
    for (int i : integers)
      if (!send(i)) return;
  });
}

auto multiply(done_t done, gort::recv_chan<int> int_stream, int multiplier) {
  return stage<int>(done, [=](auto& send) {
    for (int i : int_stream)
      if (!send(i * multiplier)) return;
  });
}

auto add(done_t done, gort::recv_chan<int> int_stream, int additive) {
  return stage<int>(done, [=](auto& send) {
    for (int i : int_stream)
      if (!send(i + additive)) return;
  });
}

int main() {
  return gort::run([] {
    const std::size_t baseline = gort::num_goroutines();
    auto done = gort::make_chan<std::monostate>();
    auto int_stream = generator(done, 1, 2, 3, 4);
    auto pipeline =
        multiply(done, add(done, multiply(done, int_stream, 2), 1), 2);
    for (int v : pipeline) std::printf("%d\n", v);

    for (int num : take(done, repeat(done, 1), 10)) std::printf("%d ", num);
    std::printf("\n");
    std::function<unsigned()> rand = std::mt19937{};  // default seed 5489
    for (unsigned num : take(done, repeat_fn(done, rand), 10))
      std::printf("%u\n", num);
    done.close();  // Go: defer close(done): stops repeat and repeat_fn
    if (settle(baseline) <= baseline) return 0;
    std::fprintf(stderr, "a stage did not exit after done was closed\n");
    return 1;
  });
}
