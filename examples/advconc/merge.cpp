// merge: Merge and Dedupe from Sameer Ajmani's "Advanced Go Concurrency
// Patterns" (Google I/O 2013, advconc/fakemain/fakemain.go, "More details
// online, including Merge"), each beside its naive version
// (subscription.hpp):
//   merge         each forwarder selects on quit for its receive and for its
//                 send; close closes quit, collects one close() error per
//                 sub, closes updates. Checked: items from every sub; with
//                 the client no longer receiving, close returns the subs'
//                 last error (<nil>, or a failing sub's) and no goroutine
//                 is left.
//   dedupe        a loop toggling its input and output channels to nil.
//                 Checked on three subscriptions to one feed (the same
//                 GUIDs): no item twice; close returns <nil>; no goroutine
//                 left.
//   naive_dedupe  once the receiver stops receiving and closes the
//                 subscription, its send blocks forever: the goroutine is
//                 still in "chan send" after close.
//   naive_merge   once the receiver stops receiving, every forwarder blocks
//                 in its send for good (gort::dump shows them). Its close
//                 would then close updates under them: a send on a closed
//                 channel, a panic (merge_naive_close.cpp).
// The leaks are shown at the end, then undone by hand (see main). The
// output is the list of checks passed (merge.out); a failure prints FAIL
// and exits 1. Waits are bounded (10 s); no check has a time bound.
// Arguments (Go's in brackets): fake fetch period ms [500], error back-off
// ms [10000], seed.
#include "subscription.hpp"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

int failures = 0;

void check(bool ok, const std::string& what) {
  std::printf("%s%s\n", ok ? "" : "FAIL: ", what.c_str());
  failures += !ok;
}

template <class F>
bool wait_until(F cond) {
  const auto deadline = gort::clock::now() + 10s;
  while (!cond()) {
    if (gort::clock::now() > deadline) return false;
    gort::sleep(1ms);
  }
  return true;
}

// failing_fetcher fails every fetch.
struct failing_fetcher : fetcher {
  std::atomic<int> fetches{0};
  std::tuple<std::vector<item>, time_point, error> fetch() override {
    ++fetches;
    return {{}, {}, "fake: no feed"};
  }
};

// take receives up to n items from c (10 s at most).
std::vector<item> take(gort::recv_chan<item> c, std::size_t n) {
  std::vector<item> got;
  auto timeout = gort::after(10s);
  while (got.size() < n) {
    bool stop = false;
    gort::select(gort::case_recv(c,
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

// closed_now reports whether c is closed (10 s at most to find out).
bool closed_now(gort::recv_chan<item> c) {
  bool closed = false;
  gort::select(
      gort::case_recv(c, [&](std::optional<item> it) { closed = !it; }),
      gort::case_recv(gort::after(10s)));
  return closed;
}

void check_merge(std::size_t baseline) {
  auto merged = merge({subscribe(fetch("blog.golang.org")),
                       subscribe(fetch("googleblog.blogspot.com")),
                       subscribe(fetch("googledevelopers.blogspot.com"))});
  std::map<std::string, int> per_channel;
  bool all = wait_until([&] {
    for (const item& it : take(merged->updates(), 1)) per_channel[it.channel]++;
    return per_channel.size() == 3;
  });
  check(all, "merge: items arrive from all three subscriptions");
  // The client stops receiving, and closes.
  const error err = merged->close();
  check(!err && closed_now(merged->updates()),
        "merge: close with nobody receiving returns <nil> and closes updates");
  merged.reset();
  check(settle(baseline) <= baseline, "merge: no goroutine left");

  auto failing = std::make_shared<failing_fetcher>();
  merged = merge({subscribe(failing), subscribe(fetch("blog.golang.org"))});
  // A second fetch starts only after the first one's error was stored.
  const bool failed = wait_until([&] { return failing->fetches >= 2; });
  check(failed && merged->close() == "fake: no feed",
        "merge: close returns a failing subscription's error");
  merged.reset();
  check(settle(baseline) <= baseline, "merge: no goroutine left");
}

void check_dedupe(std::size_t baseline) {
  auto d = dedupe(merge({subscribe(fetch("blog.golang.org")),
                         subscribe(fetch("blog.golang.org")),
                         subscribe(fetch("blog.golang.org"))}));
  std::set<std::string> guids;
  int repeats = 0;
  for (const item& it : take(d->updates(), 6))
    repeats += !guids.insert(it.guid).second;
  check(guids.size() == 6 && repeats == 0,
        "dedupe: three subscriptions to one feed, no item twice");
  const error err = d->close();
  check(!err && closed_now(d->updates()),
        "dedupe: close with nobody receiving returns <nil>");
  d.reset();
  check(settle(baseline) <= baseline, "dedupe: no goroutine left");
}

// check_naive_dedupe leaves one goroutine behind, blocked in a send on the
// channel it returns.
gort::recv_chan<item> check_naive_dedupe(std::size_t baseline) {
  auto merged = merge({subscribe(fetch("blog.golang.org")),
                       subscribe(fetch("blog.golang.org")),
                       subscribe(fetch("blog.golang.org"))});
  auto out = naive_dedupe(merged->updates());
  const auto got = take(out, 3);
  // The receiver stops receiving: naive_dedupe's next send blocks.
  const bool blocked =
      wait_until([] { return parked(gort::wait_reason::chan_send) == 1; });
  const error err = merged->close();  // and closes the subscription
  gort::sleep(4 * fake_period + 100ms);
  auto stuck = dump_matching("[chan send", "naive_dedupe");
  check(got.size() == 3 && blocked && !err && stuck.size() == 1 &&
            gort::num_goroutines() == baseline + 1,
        "naive_dedupe: after close its send blocks forever (one leaked "
        "goroutine)");
  std::cerr << "naive_dedupe, the leaked goroutine:\n"
            << (stuck.empty() ? "" : stuck[0]);
  return out;
}

// check_naive_merge leaves its forwarders and subscriptions behind; it
// returns them.
std::pair<subscription_ptr, std::vector<subscription_ptr>> check_naive_merge(
    std::size_t baseline) {
  const std::size_t before = parked(gort::wait_reason::chan_send);
  std::vector<subscription_ptr> subs = {
      subscribe(fetch("blog.golang.org")),
      subscribe(fetch("googleblog.blogspot.com")),
      subscribe(fetch("googledevelopers.blogspot.com"))};
  auto merged = make_naive_merge(subs);
  const auto got = take(merged->updates(), 3);
  // The receiver stops receiving: every forwarder blocks in its send.
  const bool blocked = wait_until(
      [&] { return parked(gort::wait_reason::chan_send) == before + 3; });
  // The subscriptions go on fetching until 10 items are pending (at most 4
  // periods apart); the dump comes after, when no goroutine is exiting.
  gort::sleep(50 * fake_period + 100ms);
  auto stuck = dump_matching("[chan send", "naive_merge");
  check(got.size() == 3 && blocked && stuck.size() == 3 &&
            gort::num_goroutines() == baseline + 6,
        "naive_merge: with nobody receiving, its 3 forwarders block for good");
  std::cerr << "naive_merge, a leaked forwarder:\n"
            << (stuck.empty() ? "" : stuck[0]);
  return {merged, subs};
}

int main(int argc, char** argv) {
  if (argc > 1) fake_period = std::chrono::milliseconds(std::atoi(argv[1]));
  if (argc > 2)
    fetch_error_delay = std::chrono::milliseconds(std::atoi(argv[2]));
  seed_rand(argc > 3 ? std::strtoul(argv[3], nullptr, 10) : 1);
  return gort::run([] {
    const std::size_t baseline = gort::num_goroutines();
    check_merge(baseline);
    check_dedupe(baseline);
    auto deduped = check_naive_dedupe(baseline);
    auto [merged, subs] = check_naive_merge(baseline + 1);

    // The leaks shown, the leaked goroutines are unblocked by hand, so that
    // nothing is left at exit (ASan's leak checker does not scan goroutine
    // stacks, and would report what they hold): naive_dedupe's send is
    // received, and its input is closed already; naive_merge's subscriptions
    // are closed, which ends the forwarders' ranges once their sends are
    // received.
    for (item it : deduped) {
    }
    for (const auto& s : subs) s->close();
    const bool unblocked = wait_until([&] {
      gort::select(gort::case_recv(merged->updates()), gort::case_default());
      return gort::num_goroutines() == baseline;
    });
    check(unblocked, "unblocked by hand, the leaked goroutines exit");
    return failures == 0 ? 0 : 1;
  });
}
