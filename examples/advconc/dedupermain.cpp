// dedupermain: Sameer Ajmani, "Advanced Go Concurrency Patterns" (Google
// I/O 2013, advconc/dedupermain/dedupermain.go): fakemain with three
// subscriptions to the same feed among five, merged and then passed through
// dedupe (subscription.hpp), which drops items whose GUID it has seen. The
// three blog.golang.org fetchers make the same items (the same GUIDs), so
// without dedupe each would be printed up to three times. Arguments (Go's
// in brackets): seed [the time], fake fetch period ms [500], close after ms
// [3000], and "dups" to set fake_duplicates (Go's FakeDuplicates, off in
// the talk's main: every fetch then returns all items so far). Checked,
// exit 1 if not: all three channels delivered, no GUID was printed
// twice, close returned <nil>, and no goroutine is left (Go ends with
// panic("show me the stacks") to show the same).
#include "subscription.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>

int main(int argc, char** argv) {
  seed_rand(argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 1);
  if (argc > 2) fake_period = std::chrono::milliseconds(std::atoi(argv[2]));
  const std::chrono::milliseconds close_after(argc > 3 ? std::atoi(argv[3])
                                                       : 3000);
  fake_duplicates = argc > 4 && std::strcmp(argv[4], "dups") == 0;
  return gort::run([&] {
    const std::size_t baseline = gort::num_goroutines();

    // Subscribe to some feeds, and create a merged update stream.
    auto merged =
        dedupe(merge({subscribe(fetch("blog.golang.org")),
                      subscribe(fetch("blog.golang.org")),
                      subscribe(fetch("blog.golang.org")),
                      subscribe(fetch("googleblog.blogspot.com")),
                      subscribe(fetch("googledevelopers.blogspot.com"))}));

    // Close the subscriptions after some time.
    auto closed = gort::make_chan<error>(1);  // for the check below
    gort::go([=] {
      gort::sleep(close_after);
      error err = merged->close();
      std::printf("closed: %s\n", str(err).c_str());
      closed.send(err);
    });

    // Print the stream.
    std::set<std::string> channels, guids;
    int repeats = 0;
    for (item it : merged->updates()) {
      std::printf("%s %s\n", it.channel.c_str(), it.title.c_str());
      channels.insert(it.channel);
      repeats += !guids.insert(it.guid).second;
    }

    const error err = *closed.recv();
    const bool left = settle(baseline) > baseline;
    if (channels.size() != 3 || repeats != 0 || err || left) {
      std::printf(
          "FAIL: %zu channels delivered (want 3), %d repeated, "
          "close: %s, goroutines left: %d\n",
          channels.size(), repeats, str(err).c_str(), left);
      return 1;
    }
    return 0;
  });
}
