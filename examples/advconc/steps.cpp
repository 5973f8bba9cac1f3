// steps: the for-select loop of Sameer Ajmani's "Advanced Go Concurrency
// Patterns" (Google I/O 2013, advconc/fakemain/fakemain.go), step by step
// as the talk builds it (sub's loops in subscription.hpp), each step run
// against fake fetchers and checked for what it fixes and, where the talk
// says so, for the issue the next step fixes:
//   close_only_loop  Close sends a chan error on closing; the loop replies
//                    with the last error, closes updates and returns
//   merged_loop      + the fetch case (after(fetch_delay), at once first)
//                    and the send case, disabled by a nil channel while
//                    nothing is pending; a failed fetch backs off. Issues:
//                    duplicates are delivered; pending grows without bound
//   dedupe_loop      + a seen set of GUIDs: no duplicates
//   capped_loop      + the fetch case disabled while 10 items are pending.
//                    Issue: close waits for a slow fetch
//   loop             + fetch in a goroutine, its result on fetch_done
//                    (capacity 1): close is prompt during a slow fetch
// Every check bounds its waits (10 s) and none asserts an upper bound on
// time except the last, whose bound (half the slow fetch) is generous. After
// each close no goroutine may be left (settle). The output is the list of
// checks passed (steps.out); a failure prints FAIL and exits 1.
//
// Arguments (Go's values in brackets): fetch period ms [500], error
// back-off ms [10000], slow fetch ms [-], seed.
#include "subscription.hpp"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unordered_set>
#include <vector>

std::chrono::milliseconds slow_fetch = 1000ms;

// probe wraps the fake fetcher: it counts fetches (main reads the counts
// while the loop runs), records when each started, can make each fetch slow
// (a sleep), and can fail every fetch after the first `good` ones.
class probe : public fetcher {
 public:
  explicit probe(bool duplicates = false, int good = -1,
                 std::chrono::milliseconds slow = 0ms)
      : f_("probe", duplicates), good_(good), slow_(slow) {}

  std::tuple<std::vector<item>, time_point, error> fetch() override {
    const int n = ++started;
    {
      std::lock_guard lk(mu_);
      starts_.push_back(gort::clock::now());
    }
    if (slow_ > 0ms) gort::sleep(slow_);
    std::tuple<std::vector<item>, time_point, error> r;
    if (good_ >= 0 && n > good_) {
      r = {{}, {}, "fake: feed unavailable"};
    } else {
      r = f_.fetch();
    }
    ++finished;
    return r;
  }

  std::vector<time_point> starts() {
    std::lock_guard lk(mu_);
    return starts_;
  }

  std::atomic<int> started{0}, finished{0};

 private:
  fake_fetcher f_;
  int good_;
  std::chrono::milliseconds slow_;
  gort::mutex mu_;
  std::vector<time_point> starts_;  // guarded by mu_
};

int failures = 0;

void check(bool ok, const std::string& what) {
  if (ok) {
    std::printf("%s\n", what.c_str());
  } else {
    std::printf("FAIL: %s\n", what.c_str());
    failures++;
  }
}

// wait_until polls cond every millisecond for at most 10 s.
template <class F>
bool wait_until(F cond) {
  const auto deadline = gort::clock::now() + 10s;
  while (!cond()) {
    if (gort::clock::now() > deadline) return false;
    gort::sleep(1ms);
  }
  return true;
}

// receive takes n items from s, or fewer if 10 s pass or updates closes.
std::vector<item> receive(const subscription_ptr& s, std::size_t n) {
  std::vector<item> got;
  auto timeout = gort::after(10s);
  while (got.size() < n) {
    bool stop = false;
    gort::select(gort::case_recv(s->updates(),
                                 [&](std::optional<item> it) {
                                   if (it) {
                                     got.push_back(*it);
                                   } else {
                                     stop = true;
                                   }
                                 }),
                 gort::case_recv(timeout, [&](auto) { stop = true; }));
    if (stop) break;
  }
  return got;
}

// in_order reports whether items are "Item first", "Item first+1", ...
bool in_order(const std::vector<item>& items, std::size_t want, int first = 0) {
  if (items.size() != want) return false;
  for (std::size_t i = 0; i < items.size(); i++) {
    if (items[i].title != "Item " + std::to_string(first + int(i)))
      return false;
  }
  return true;
}

// closes checks that close returns want, closes updates, and leaves no
// goroutine behind.
void closes(const std::string& step, subscription_ptr s, const error& want,
            std::size_t baseline) {
  const error err = s->close();
  check(err == want,
        step + ": close returns " + (want ? "\"" + *want + "\"" : "<nil>"));
  bool closed = false;
  gort::select(gort::case_recv(s->updates(),
                               [&](std::optional<item> it) { closed = !it; }),
               gort::case_recv(gort::after(10s)));
  check(closed, step + ": updates is closed");
  s.reset();
  check(settle(baseline) <= baseline, step + ": no goroutine left");
}

// delivers: items arrive, in order.
void delivers(const std::string& step, loop_fn loop, std::size_t baseline) {
  auto s = subscribe(std::make_shared<probe>(), loop);
  check(in_order(receive(s, 5), 5), step + ": delivers Item 0..4 in order");
  closes(step, s, std::nullopt, baseline);
}

// duplicates: the fetcher returns every item so far on each fetch.
void duplicates(const std::string& step, loop_fn loop, bool deduped,
                std::size_t baseline) {
  auto s = subscribe(std::make_shared<probe>(true), loop);
  auto got = receive(s, 6);
  if (deduped) {
    check(in_order(got, 6),
          step + ": with duplicate fetches, delivers Item 0..5 once each");
  } else {
    // [0], [0 1], [0 1 2]: the stream repeats from the second fetch on.
    check(got.size() == 6 && got[0].title == "Item 0" &&
              got[1].title == "Item 0" && got[2].title == "Item 1",
          step + ": issue: duplicate fetches are delivered (Item 0 twice)");
  }
  closes(step, s, std::nullopt, baseline);
}

// unbounded: nobody receives, and fetches go on past max_pending.
void unbounded(const std::string& step, loop_fn loop, std::size_t baseline) {
  auto p = std::make_shared<probe>();
  auto s = subscribe(p, loop);
  check(wait_until([&] { return p->started > int(max_pending) + 5; }),
        step + ": issue: with nobody receiving, pending grows past 10");
  closes(step, s, std::nullopt, baseline);
}

// capped: nobody receives; exactly max_pending fetches (one new item each)
// happen, however long we wait; receiving lets fetching resume.
void capped(const std::string& step, loop_fn loop, std::size_t baseline) {
  auto p = std::make_shared<probe>();
  auto s = subscribe(p, loop);
  bool reached = wait_until([&] { return p->started == int(max_pending); });
  gort::sleep(20 * 4 * fake_period + 50ms);  // room for 20 more fetches
  check(reached && p->started == int(max_pending),
        step + ": with nobody receiving, pending stops at 10 (fetching stops)");
  check(in_order(receive(s, max_pending), max_pending),
        step + ": the 10 pending items arrive in order");
  check(wait_until([&] { return p->started > int(max_pending); }),
        step + ": receiving lets fetching resume");
  closes(step, s, std::nullopt, baseline);
}

// errors: after two good fetches every fetch fails; each failure puts the
// next fetch fetch_error_delay later; close returns the error.
void errors(const std::string& step, loop_fn loop, std::size_t baseline) {
  auto p = std::make_shared<probe>(false, 2);
  auto s = subscribe(p, loop);
  check(in_order(receive(s, 2), 2), step + ": delivers the good fetches");
  bool failed_twice = wait_until([&] { return p->finished >= 4; });
  auto t = p->starts();
  bool spaced = failed_twice && t.size() >= 4;
  for (std::size_t i = 3; spaced && i < t.size(); i++) {
    spaced = t[i] - t[i - 1] >= fetch_error_delay;
  }
  check(spaced, step + ": a failed fetch backs off before the next");
  closes(step, s, "fake: feed unavailable", baseline);
}

// slow_close: close during a fetch that sleeps slow_fetch. A loop that
// fetches in line answers close only after the fetch (waits = true); the
// asynchronous loop answers at once, and its fetch goroutine ends later.
void slow_close(const std::string& step, loop_fn loop, bool waits,
                std::size_t baseline) {
  auto p = std::make_shared<probe>(false, -1, slow_fetch);
  auto s = subscribe(p, loop);
  bool fetching = wait_until([&] { return p->started == 1; });
  const auto start = gort::clock::now();
  const error err = s->close();
  const auto took = gort::clock::now() - start;
  const bool done = p->finished == 1;
  if (waits) {
    check(fetching && !err && done,
          step + ": issue: close waits for a slow fetch to finish");
  } else {
    check(fetching && !err && !done && took < slow_fetch / 2,
          step + ": close returns during a slow fetch (under half its time)");
  }
  s.reset();
  p.reset();
  check(settle(baseline) <= baseline,
        step + ": no goroutine left once the fetch ends");
}

int main(int argc, char** argv) {
  if (argc > 1) fake_period = std::chrono::milliseconds(std::atoi(argv[1]));
  if (argc > 2)
    fetch_error_delay = std::chrono::milliseconds(std::atoi(argv[2]));
  if (argc > 3) slow_fetch = std::chrono::milliseconds(std::atoi(argv[3]));
  seed_rand(argc > 4 ? std::strtoul(argv[4], nullptr, 10) : 1);
  return gort::run([] {
    const std::size_t baseline = gort::num_goroutines();

    // Step 1: close only.
    {
      auto s = subscribe(std::make_shared<probe>(), &sub::close_only_loop);
      closes("close_only_loop", s, std::nullopt, baseline);
    }

    // Step 2: the three cases together.
    delivers("merged_loop", &sub::merged_loop, baseline);
    errors("merged_loop", &sub::merged_loop, baseline);
    duplicates("merged_loop", &sub::merged_loop, false, baseline);
    unbounded("merged_loop", &sub::merged_loop, baseline);

    // Step 3: dedupe by GUID.
    duplicates("dedupe_loop", &sub::dedupe_loop, true, baseline);
    unbounded("dedupe_loop", &sub::dedupe_loop, baseline);

    // Step 4: cap pending.
    delivers("capped_loop", &sub::capped_loop, baseline);
    capped("capped_loop", &sub::capped_loop, baseline);
    slow_close("capped_loop", &sub::capped_loop, true, baseline);

    // Step 5: fetch asynchronously (the talk's final loop).
    delivers("loop", &sub::loop, baseline);
    errors("loop", &sub::loop, baseline);
    duplicates("loop", &sub::loop, true, baseline);
    capped("loop", &sub::loop, baseline);
    slow_close("loop", &sub::loop, false, baseline);

    return failures == 0 ? 0 : 1;
  });
}
