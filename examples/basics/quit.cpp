// quit: tell a goroutine to stop, and wait until it has cleaned up.
//
// Go originals: "Quit channel" and "Receive on quit channel" from Rob
// Pike's talk "Go Concurrency Patterns" (Google I/O 2012,
// go.dev/talks/2012/concurrency.slide). boring selects between sending its
// next message and a quit signal; main listens a while, then sends
// "Bye!" on quit, and the same channel carries the reply: boring cleans up,
// answers "See you!" and returns, and main knows it is done. Pike listens
// rand.Intn(10)+1 times; here it is 4 times, so the output is exact.
#include <gort/gort.hpp>

#include <cstdio>
#include <optional>
#include <string>

void cleanup() { std::printf("Joe: cleaning up\n"); }

gort::recv_chan<std::string> boring(std::string msg,
                                    gort::chan<std::string> quit) {
  auto c = gort::make_chan<std::string>();
  gort::go([=] {
    for (int i = 0;; i++) {
      bool quitting = false;
      gort::select(gort::case_send(c, msg + ": " + std::to_string(i),
                                   [] { /* do nothing */ }),
                   gort::case_recv(quit, [&](std::optional<std::string> bye) {
                     if (bye) std::printf("Joe hears: \"%s\"\n", bye->c_str());
                     quitting = true;
                   }));
      if (quitting) {
        cleanup();
        quit.send("See you!");
        return;
      }
    }
  });
  return c;
}

int main() {
  gort::run([] {
    auto quit = gort::make_chan<std::string>();
    auto c = boring("Joe", quit);
    for (int i = 3; i >= 0; i--) std::printf("%s\n", c.recv()->c_str());
    quit.send("Bye!");
    std::printf("Joe says: \"%s\"\n", quit.recv()->c_str());
  });
}
