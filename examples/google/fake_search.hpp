// fake_search.hpp: the fake backends of "Google Search: A fake framework"
// from Rob Pike's talk "Go Concurrency Patterns" (Google I/O 2012,
// go.dev/talks/2012/concurrency.slide), shared by search10, search20,
// search21 and search30, and the checks they run on their results.
#pragma once

#include <gort/gort.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

struct Result {
  std::string text;                // Pike's Result is just this string;
  std::string from;                // which backend answered and how long
  std::chrono::milliseconds took;  // it took are kept for the checks
};
// Simulated latency, 0-99 ms as Pike's rand.Intn(100): pseudo-random but
// repeatable, from the backend, the query and a seed chosen so that for
// "golang" video is slow (97 ms) and its replica video2 is fast (25 ms).
constexpr int kSeed = 423;
inline std::chrono::milliseconds latency(const std::string& backend,
                                         const std::string& query) {
  std::string key = std::to_string(kSeed) + " " + backend + " " + query;
  std::seed_seq seq(key.begin(), key.end());
  return std::chrono::milliseconds(std::mt19937(seq)() % 100);
}

// Pike's `type Search func(query string) Result`. A literal type rather
// than a std::function: 2.1 and 3.0 leave slow backends sleeping when main
// returns, as Go does, and a global std::function would be destroyed at
// exit under a backend that wakes up late.
struct Search {
  const char* kind;
  const char* replica;
  Result operator()(const std::string& query) const {
    auto took = latency(std::string(kind) + replica, query);
    gort::sleep(took);
    return Result{std::string(kind) + " result for \"" + query + "\"",
                  std::string(kind) + replica, took};
  }
};

constexpr Search fakeSearch(const char* kind, const char* replica = "") {
  return Search{kind, replica};
}

constexpr Search Web = fakeSearch("web"), Image = fakeSearch("image"),
                 Video = fakeSearch("video");

inline long ms(Clock::duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

// each_latency is what each kind's first backend takes for "golang".
inline std::vector<Clock::duration> each_latency() {
  return {latency("web", "golang"), latency("image", "golang"),
          latency("video", "golang")};
}

// run_google times google("golang") and prints its results and the elapsed
// time, as Pike's main does. It returns whether what holds in every version
// held: one result per kind at most, none that took longer than the whole
// search, all three unless `timeout` had passed, and elapsed within
// [at_least, at_most].
template <class Google>
bool run_google(Google google, Clock::duration at_least,
                Clock::duration at_most,
                Clock::duration timeout = Clock::duration::max()) {
  auto start = Clock::now();
  std::vector<Result> results = google("golang");
  auto elapsed = Clock::now() - start;
  bool ok = true;
  auto fail = [&](const std::string& why) {
    std::fprintf(stderr, "%s\n", why.c_str());
    ok = false;
  };
  std::set<std::string> seen;
  for (const auto& r : results) {
    std::printf("%-26s (%s, %ld ms)\n", r.text.c_str(), r.from.c_str(),
                (long)r.took.count());
    if (!seen.insert(r.text).second) fail("two results of one kind: " + r.text);
    if (r.took > elapsed) fail(r.from + " took longer than the search");
  }
  std::printf("%zu results in %ld ms\n", results.size(), ms(elapsed));
  if (results.size() < 3 && elapsed < timeout)
    fail("a partial result, not timed out");
  if (elapsed < at_least)
    fail("faster than " + std::to_string(ms(at_least)) + " ms");
  if (elapsed > at_most)
    fail("slower than " + std::to_string(ms(at_most)) + " ms");
  return ok;
}
