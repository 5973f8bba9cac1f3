// Concurrency in Go (Cox-Buday, 2017), ch. 4, "Heartbeats", at the start of
// each unit of work: the heartbeat channel has a buffer of one and the pulse
// is sent with a default case, so a consumer that is not listening never
// blocks the work. rand.Intn(10) is a fixed-seed mt19937, so the consumer can
// replay it. Unlike the book's loop, which returns when either channel
// closes, a closed channel is set to nil here, so both are drained.
// Checks (heartbeat_work.out): all 10 results, in order; 1 to 10 pulses.
#include <gort/gort.hpp>

#include <cstdio>
#include <optional>
#include <random>
#include <utility>
#include <variant>

using empty = std::monostate;
using gort::case_default, gort::case_recv, gort::case_send;

auto do_work(gort::recv_chan<empty> done) {
  auto heartbeat_stream = gort::make_chan<empty>(1);
  auto work_stream = gort::make_chan<int>();
  gort::go([=] {
    std::mt19937 rng(42);
    for (int i = 0; i < 10; i++) {
      gort::select(case_send(heartbeat_stream, empty{}), case_default());
      if (gort::select(case_recv(done),
                       case_send(work_stream, int(rng() % 10))) == 0)
        break;
    }
    work_stream.close();  // Go: defer close(workStream)
    heartbeat_stream.close();
  });
  return std::pair<gort::recv_chan<empty>, gort::recv_chan<int>>{
      heartbeat_stream, work_stream};
}

int main() {
  return gort::run([] {
    auto done = gort::make_chan<empty>();
    auto [heartbeat, results] = do_work(done);
    std::mt19937 want(42);
    int pulses = 0, nresults = 0;
    bool ordered = true;
    while (!heartbeat.nil() || !results.nil())
      gort::select(case_recv(heartbeat,
                             [&](std::optional<empty> ok) {
                               if (ok)
                                 ++pulses;
                               else
                                 heartbeat = {};
                             }),
                   case_recv(results, [&](std::optional<int> r) {
                     if (!r) {
                       results = {};
                       return;
                     }
                     ++nresults;
                     if (*r != int(want() % 10)) ordered = false;
                   }));
    done.close();  // Go: defer close(done)
    std::printf("%d results%s\n", nresults, ordered ? ", in order" : "");
    if (nresults != 10 || !ordered || pulses < 1 || pulses > 10) {
      std::fprintf(stderr, "%d pulses, want 1 to 10\n", pulses);
      return 1;
    }
    return 0;
  });
}
