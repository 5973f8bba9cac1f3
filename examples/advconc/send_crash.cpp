// send_crash: "Case 3: Send" from Sameer Ajmani's "Advanced Go Concurrency
// Patterns" (Google I/O 2013), the version the talk shows crashing
// ("Whoops. This crashes."): a select that sends pending[0] evaluates
// pending[0] on every pass, also while pending is empty. Go's index check
// panics; pending.at(0) is its C++ spelling (pending[0] would be undefined
// behaviour), and the std::out_of_range it throws escapes the goroutine:
// gort's panic, exit status 2 (send_crash.exit, .err). The fix is the nil
// channel that disables the send case while pending is empty (sub's loops
// in subscription.hpp, checked by steps.cpp).
#include "subscription.hpp"

#include <vector>

// loop_send_only is the talk's first send-only loop.
void loop_send_only(gort::send_chan<item> updates) {
  std::vector<item> pending;  // appended by fetch; consumed by send
  for (;;) {
    gort::select(gort::case_send(updates, pending.at(0),
                                 [&] { pending.erase(pending.begin()); }));
  }
}

int main() {
  return gort::run([] {
    auto updates = gort::make_chan<item>();
    gort::go(loop_send_only, updates);
    for (item it : updates) {  // the panic ends the process first
    }
    return 1;
  });
}
