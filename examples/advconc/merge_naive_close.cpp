// merge_naive_close: NaiveMerge's Close from Sameer Ajmani's "Advanced Go
// Concurrency Patterns" (Google I/O 2013, advconc/fakemain/fakemain.go)
// when the receiver has stopped receiving: the forwarders are blocked
// sending on the merged updates channel, and close closes that channel
// under them. A send on a closed channel panics in Go; in gort the blocked
// send throws usage_error("send on closed channel"), which escapes the
// forwarder's goroutine: gort prints the panic with the goroutine and its
// spawn site (naive_merge in subscription.hpp) and exits with status 2
// (merge_naive_close.exit, .err). The fixed merge (merge.cpp) selects on a
// quit channel instead. Argument: fake fetch period ms [500].
#include "subscription.hpp"

#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
  if (argc > 1) fake_period = std::chrono::milliseconds(std::atoi(argv[1]));
  return gort::run([] {
    auto merged =
        make_naive_merge({subscribe(fetch("blog.golang.org")),
                          subscribe(fetch("googleblog.blogspot.com")),
                          subscribe(fetch("googledevelopers.blogspot.com"))});
    // Nobody receives: wait until a forwarder is blocked in its send.
    const auto deadline = gort::clock::now() + 10s;
    while (parked(gort::wait_reason::chan_send) == 0 &&
           gort::clock::now() < deadline)
      gort::sleep(1ms);
    std::printf("closed: %s\n", str(merged->close()).c_str());
    gort::sleep(10s);  // the forwarders' panic ends the process first
    std::printf("FAIL: no panic\n");
    return 1;
  });
}
