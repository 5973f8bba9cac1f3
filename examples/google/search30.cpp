// search30: Google Search 3.0, replicated backends, the first reply wins.
//
// Go original: "Avoid timeout" (First) and "Google Search 3.0" from Rob
// Pike's talk "Go Concurrency Patterns" (Google I/O 2012,
// go.dev/talks/2012/concurrency.slide). First sends the query to every
// replica and returns the first answer; Google runs First for each kind
// concurrently under one 80 ms timeout. Here video (97 ms) would miss the
// timeout but its replica video2 (25 ms) answers, so all three usually
// arrive, in about the time of the slowest kind's fastest replica.
// Checked: one result per kind, none slower than the search, a partial
// result only after the full 80 ms, and elapsed <= 5 x 80 ms.
#include "fake_search.hpp"

constexpr Search Web1 = Web, Web2 = fakeSearch("web", "2");
constexpr Search Image1 = Image, Image2 = fakeSearch("image", "2");
constexpr Search Video1 = Video, Video2 = fakeSearch("video", "2");

Result First(const std::string& query, std::vector<Search> replicas) {
  // Buffered: with the slides' unbuffered channel the losers block forever.
  auto c = gort::make_chan<Result>(replicas.size());
  auto searchReplica = [=](std::size_t i) { c.send(replicas[i](query)); };
  for (std::size_t i = 0; i < replicas.size(); i++) {
    gort::go(searchReplica, i);
  }
  return *c.recv();
}

std::vector<Result> Google(const std::string& query) {
  std::vector<Result> results;
  auto c = gort::make_chan<Result>(3);
  gort::go([=] { c.send(First(query, {Web1, Web2})); });
  gort::go([=] { c.send(First(query, {Image1, Image2})); });
  gort::go([=] { c.send(First(query, {Video1, Video2})); });
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
