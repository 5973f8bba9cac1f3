// "Concurrency in Go", chapter 3, The sync Package, "Cond": a button whose
// Clicked cond is Broadcast once and wakes all three subscribers:
// "Maximizing window.", "Displaying annoying dialog box!", "Mouse clicked."
// The three lines come in no fixed order; the program checks that each
// handler ran exactly once.
//
// One change from the book: its subscriber calls goroutineRunning.Done()
// before c.L.Lock(), so the Broadcast can come before a subscriber waits
// and that click is lost (the program then deadlocks). Here a subscriber
// says it is running while it holds c.L, and the click takes c.L before
// it broadcasts, so every subscriber is waiting by then.
#include <gort/gort.hpp>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

struct button {
  gort::mutex l;  // Clicked.L
  gort::cond clicked;
};

int main() {
  return gort::run([] {
    button btn;
    auto subscribe = [&](std::function<void()> fn) {
      gort::wait_group goroutine_running;
      goroutine_running.add(1);
      gort::go([&btn, &goroutine_running, fn = std::move(fn)] {
        std::unique_lock<gort::mutex> lk(btn.l);
        goroutine_running.done();
        btn.clicked.wait(lk);
        fn();
      });
      goroutine_running.wait();
    };

    std::vector<std::string> ran;  // appended under btn.l (a check)
    gort::wait_group click_registered;
    click_registered.add(3);
    auto handler = [&](const char* what) {
      return [&, what] {
        std::printf("%s\n", what);
        ran.emplace_back(what);
        click_registered.done();
      };
    };
    subscribe(handler("Maximizing window."));
    subscribe(handler("Displaying annoying dialog box!"));
    subscribe(handler("Mouse clicked."));

    {
      std::lock_guard<gort::mutex> lk(btn.l);  // see above
      btn.clicked.broadcast();
    }
    click_registered.wait();

    std::sort(ran.begin(), ran.end());
    const std::vector<std::string> want = {"Displaying annoying dialog box!",
                                           "Maximizing window.",
                                           "Mouse clicked."};
    if (ran != want) {
      std::fprintf(stderr, "FAIL: %zu handlers ran, not the three\n",
                   ran.size());
      return 1;
    }
    return 0;
  });
}
