// Concurrency in Go (Cox-Buday, 2017), ch. 4, "Heartbeats", on an interval:
// the worker pulses every pulse_interval while it waits for work and while
// it waits to send a result, so its consumer can tell "slow" from "dead".
// Scaled: pulse 1 s -> 50 ms, done closed after 10 s -> 500 ms; the
// consumer's timeout (book: 2 s, two pulses) is a generous 5 s. Checks:
// pulses and results arrive, results in time order, and no timeout.
#include <gort/gort.hpp>

#include <chrono>
#include <cstdio>
#include <optional>
#include <utility>
#include <variant>

using namespace std::chrono_literals;
using empty = std::monostate;
using gort::case_default, gort::case_recv, gort::case_send;

auto do_work(gort::recv_chan<empty> done,
             std::chrono::milliseconds pulse_interval) {
  auto heartbeat = gort::make_chan<empty>();
  auto results = gort::make_chan<gort::time_point>();
  gort::go([=] {
    auto pulse = gort::tick(pulse_interval);
    auto work_gen = gort::tick(2 * pulse_interval);
    auto send_pulse = [&] {
      gort::select(case_send(heartbeat, empty{}), case_default());
    };
    auto send_result = [&](gort::time_point r) {
      while (gort::select(case_recv(done), case_recv(pulse, send_pulse),
                          case_send(results, r)) == 1) {
      }
    };
    while (gort::select(
               case_recv(done), case_recv(pulse, send_pulse),
               case_recv(work_gen, [&](auto r) { send_result(*r); })) != 0) {
    }
    results.close();  // Go: defer close(results)
    heartbeat.close();
  });
  return std::pair<gort::recv_chan<empty>, gort::recv_chan<gort::time_point>>{
      heartbeat, results};
}

int main() {
  return gort::run([] {
    auto done = gort::make_chan<empty>();
    gort::go([done] {  // Go: time.AfterFunc(10*time.Second, ...)
      gort::sleep(500ms);
      done.close();
    });
    const auto timeout = 5s;
    auto [heartbeat, results] = do_work(done, 50ms);
    int pulses = 0, nresults = 0;
    bool open = true, ordered = true, timed_out = false;
    gort::time_point last{};
    while (open && !timed_out)
      gort::select(case_recv(heartbeat,
                             [&](std::optional<empty> ok) {
                               if (ok) ++pulses;
                               open = ok.has_value();
                             }),
                   case_recv(results,
                             [&](std::optional<gort::time_point> r) {
                               open = r.has_value();
                               if (!r) return;
                               ordered = ordered && *r > last;
                               last = *r;
                               ++nresults;
                             }),
                   case_recv(gort::after(timeout), [&] { timed_out = true; }));
    std::printf("%d pulses, %d results\n", pulses, nresults);
    if (timed_out || pulses == 0 || nresults == 0 || !ordered) {
      std::fprintf(stderr, "want pulses and ordered results, no timeout\n");
      return 1;
    }
    return 0;
  });
}
