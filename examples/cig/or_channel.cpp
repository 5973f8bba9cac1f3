// Concurrency in Go (Cox-Buday, 2017), ch. 4, "The or-channel": combine any
// number of done channels into one that closes as soon as any of them does.
// First the book's recursive version (select over three channels and the or
// of the rest), then one select over a list built at run time (Go:
// reflect.Select). The book's sig durations {2h, 5m, 1s, 1h, 1m}, so each
// takes 1 s. Checks: each or closes after 1 s and well before 1 min.
#include <gort/gort.hpp>

#include <chrono>
#include <cstdio>
#include <variant>
#include <vector>

using namespace std::chrono_literals;
using signal = gort::recv_chan<std::monostate>;

// `or` is a C++ alternative token (||), hence or_.
signal or_(std::vector<signal> channels) {
  switch (channels.size()) {
    case 0:
      return {};  // nil
    case 1:
      return channels[0];
  }
  auto or_done = gort::make_chan<std::monostate>();
  gort::go([channels, or_done] {
    if (channels.size() == 2) {
      gort::select(gort::case_recv(channels[0]), gort::case_recv(channels[1]));
    } else {
      std::vector<signal> rest(channels.begin() + 3, channels.end());
      rest.push_back(or_done);
      gort::select(gort::case_recv(channels[0]), gort::case_recv(channels[1]),
                   gort::case_recv(channels[2]), gort::case_recv(or_(rest)));
    }
    or_done.close();  // Go: defer close(orDone)
  });
  return or_done;
}

// or_list: one goroutine, one select over the whole list.
signal or_list(std::vector<signal> channels) {
  if (channels.empty()) return {};
  auto or_done = gort::make_chan<std::monostate>();
  gort::go([channels, or_done] {
    std::vector<gort::select_case> cases;
    for (const signal& c : channels) cases.emplace_back(gort::case_recv(c));
    gort::select(cases);
    or_done.close();
  });
  return or_done;
}

// sig's goroutine outlives main, asleep; it owns all it touches.
signal sig(std::chrono::seconds after) {
  auto c = gort::make_chan<std::monostate>();
  gort::go([c, after] {
    gort::sleep(after);
    c.close();
  });
  return c;
}

int main() {
  return gort::run([] {
    int rc = 0;
    for (auto fn : {&or_, &or_list}) {
      const auto start = std::chrono::steady_clock::now();
      fn({sig(2h), sig(5min), sig(1s), sig(1h), sig(1min)}).recv();
      const std::chrono::duration<double> took =
          std::chrono::steady_clock::now() - start;
      std::printf("%s: done after %.3fs\n", fn == &or_ ? "or" : "or_list",
                  took.count());
      if (took < 1s || took >= 1min) {
        std::fprintf(stderr, "want a time in [1s, 1min)\n");
        rc = 1;
      }
    }
    return rc;
  });
}
