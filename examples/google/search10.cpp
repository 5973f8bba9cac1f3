// search10: Google Search 1.0, the serial version.
//
// Go original: "Google Search 1.0" from Rob Pike's talk "Go Concurrency
// Patterns" (Google I/O 2012, go.dev/talks/2012/concurrency.slide). Google
// invokes Web, Image and Video one after the other and appends their
// results: it takes as long as all three together. Checked: three results,
// in no less than the sum of the latencies (and at most 5x).
#include "fake_search.hpp"

std::vector<Result> Google(const std::string& query) {
  std::vector<Result> results;
  results.push_back(Web(query));
  results.push_back(Image(query));
  results.push_back(Video(query));
  return results;
}

int main() {
  return gort::run([] {
    auto l = each_latency();
    Clock::duration sum = l[0] + l[1] + l[2];
    return run_google(Google, sum, 5 * sum) ? 0 : 1;
  });
}
