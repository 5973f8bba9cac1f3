// fakemain: the feed reader's main from Sameer Ajmani's "Advanced Go
// Concurrency Patterns" (Google I/O 2013, advconc/fakemain/fakemain.go):
// three subscriptions on fake fetchers, merged; a timer goroutine (Go's
// time.AfterFunc) closes the merged subscription after a while and prints
// "closed: <nil>"; main prints "channel title" for every item until the
// merged updates channel is closed. subscribe, merge and the fake fetcher
// are in subscription.hpp. Go ends with panic("show me the stacks") to show
// that only main is left; here that is the settle() check.
// Arguments (Go's in brackets): seed [the time], fake fetch period ms
// [500], close after ms [3000]. Checked, exit 1 if not: every feed
// delivered items, each feed's titles are Item 0, Item 1, ... in order
// with no repeat or gap, close returned <nil>, and no goroutine is left.
#include "subscription.hpp"

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

int main(int argc, char** argv) {
  seed_rand(argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 1);
  if (argc > 2) fake_period = std::chrono::milliseconds(std::atoi(argv[2]));
  const std::chrono::milliseconds close_after(argc > 3 ? std::atoi(argv[3])
                                                       : 3000);
  return gort::run([&] {
    const std::size_t baseline = gort::num_goroutines();

    // Subscribe to some feeds, and create a merged update stream.
    auto merged = merge({subscribe(fetch("blog.golang.org")),
                         subscribe(fetch("googleblog.blogspot.com")),
                         subscribe(fetch("googledevelopers.blogspot.com"))});

    // Close the subscriptions after some time.
    auto closed = gort::make_chan<error>(1);  // for the check below
    gort::go([=] {
      gort::sleep(close_after);
      error err = merged->close();
      std::printf("closed: %s\n", str(err).c_str());
      closed.send(err);
    });

    // Print the stream.
    std::map<std::string, int> count;  // items per channel
    bool ordered = true;
    for (item it : merged->updates()) {
      std::printf("%s %s\n", it.channel.c_str(), it.title.c_str());
      ordered &= it.title == "Item " + std::to_string(count[it.channel]++);
    }

    const error err = *closed.recv();
    const bool left = settle(baseline) > baseline;
    if (count.size() != 3 || !ordered || err || left) {
      std::printf(
          "FAIL: %zu feeds delivered (want 3), in order: %d, "
          "close: %s, goroutines left: %d\n",
          count.size(), ordered, str(err).c_str(), left);
      return 1;
    }
    return 0;
  });
}
