// search20: Google Search 2.0, the three searches run concurrently.
//
// Go original: "Google Search 2.0" from Rob Pike's talk "Go Concurrency
// Patterns" (Google I/O 2012, go.dev/talks/2012/concurrency.slide). One
// goroutine per backend sends its result on a channel, and Google fans
// them in: it takes as long as the slowest backend, not the sum. No locks,
// no condition variables, no callbacks. Checked: three results, one per
// kind, in at least the slowest latency (and at most 5x).
#include "fake_search.hpp"

std::vector<Result> Google(const std::string& query) {
  std::vector<Result> results;
  auto c = gort::make_chan<Result>();
  gort::go([=] { c.send(Web(query)); });
  gort::go([=] { c.send(Image(query)); });
  gort::go([=] { c.send(Video(query)); });
  for (int i = 0; i < 3; i++) {
    results.push_back(*c.recv());
  }
  return results;
}

int main() {
  return gort::run([] {
    auto l = each_latency();
    Clock::duration slowest = *std::max_element(l.begin(), l.end());
    return run_google(Google, slowest, 5 * slowest) ? 0 : 1;
  });
}
