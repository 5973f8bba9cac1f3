// search21: Google Search 2.1, don't wait for slow servers.
//
// Go original: "Google Search 2.1" from Rob Pike's talk "Go Concurrency
// Patterns" (Google I/O 2012, go.dev/talks/2012/concurrency.slide). Search
// 2.0 plus one time.After(80ms) for the whole search: a backend that has
// not answered by then is left out. Here video takes 97 ms, so the result
// is usually partial. Checked: no result slower than the search, a partial
// result only after the full 80 ms, and elapsed <= 5 x 80 ms.
#include "fake_search.hpp"

std::vector<Result> Google(const std::string& query) {
  std::vector<Result> results;
  // Buffered: the slides' unbuffered channel leaves a late sender blocked
  // forever (a goroutine leak); with room for all three, none is.
  auto c = gort::make_chan<Result>(3);
  gort::go([=] { c.send(Web(query)); });
  gort::go([=] { c.send(Image(query)); });
  gort::go([=] { c.send(Video(query)); });
  auto timeout = gort::after(80ms);
  for (int i = 0; i < 3; i++) {
    bool timed_out = false;
    gort::select(gort::case_recv(c,
                                 [&](std::optional<Result> result) {
                                   results.push_back(*result);
                                 }),
                 gort::case_recv(timeout, [&](auto) { timed_out = true; }));
    if (timed_out) {
      std::printf("timed out\n");
      return results;
    }
  }
  return results;
}

int main() {
  return gort::run(
      [] { return run_google(Google, 0ms, 5 * 80ms, 80ms) ? 0 : 1; });
}
