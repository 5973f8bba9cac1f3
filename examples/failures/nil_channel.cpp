// "Concurrency in Go", chapter 3, "Channels": a receive from a nil channel
// (a channel that was declared but never made) blocks forever. With no
// other goroutine, gort reports a deadlock as Go does: exit status 2,
// "all goroutines are asleep - deadlock!" and the main goroutine waiting in
// "chan receive (nil chan)".
#include <gort/gort.hpp>

int main() {
  return gort::run([] {
    gort::chan<int> data_stream;  // nil
    data_stream.recv();
    return 0;
  });
}
