// select: one consumer goroutine selecting over 4 unbuffered channels, each
// fed by its own producer goroutine; N items in total (N/4 per producer)
// (../shared/anchors/go/select/main.go). Producers close their channel
// when done; the consumer sets a closed case's channel to nil (a
// default-constructed gort::chan, never ready in a select) and stops when
// all four are closed, then sends {sum, count} to main on a done channel.
// Metric: ns per item (wall time from before the spawns until main has the
// result, / N).
// Check: count N and sum 4 * per * (per - 1) / 2.
#include <array>
#include <cstdint>

#include <gort/gort.hpp>

#include "common.hpp"

int main(int argc, char** argv) {
  const anchors::args a = anchors::parse(argc, argv, 4000000);
  const long per = a.n / 4;
  const long total = per * 4;
  int procs = 0;
  double el_ms = 0;
  std::array<std::int64_t, 2> r{};
  gort::run([&] {
    procs = anchors::check_procs(a);
    std::array<gort::chan<int>, 4> chs;
    for (auto& c : chs) c = gort::make_chan<int>();
    auto done = gort::make_chan<std::array<std::int64_t, 2>>();
    const double t0 = anchors::now_ms();
    for (int p = 0; p < 4; ++p)
      gort::go(
          [per](gort::chan<int> c) {
            for (long i = 0; i < per; ++i) c.send(static_cast<int>(i));
            c.close();
          },
          chs[p]);
    gort::go([chs, done] {
      gort::chan<int> c0 = chs[0], c1 = chs[1], c2 = chs[2], c3 = chs[3];
      std::int64_t sum = 0, cnt = 0;
      int open = 4;
      // on(c) is the case body for channel c, as in Go's
      //   case v, ok := <-c: if !ok { c = nil; open--; continue }; ...
      auto on = [&](gort::chan<int>& c) {
        return [&c, &sum, &cnt, &open](std::optional<int> v) {
          if (!v) {
            c = gort::chan<int>();
            --open;
            return;
          }
          sum += *v;
          ++cnt;
        };
      };
      while (open > 0)
        gort::select(gort::case_recv(c0, on(c0)), gort::case_recv(c1, on(c1)),
                     gort::case_recv(c2, on(c2)), gort::case_recv(c3, on(c3)));
      done.send({sum, cnt});
    });
    const auto got = done.recv();
    el_ms = anchors::now_ms() - t0;
    if (!got) anchors::fail("select: done channel closed");
    r = *got;
  });
  const std::int64_t want_sum =
      4 * static_cast<std::int64_t>(per) * (per - 1) / 2;
  if (r[1] != total || r[0] != want_sum)
    anchors::fail("select count " + std::to_string(r[1]) + " sum " +
                  std::to_string(r[0]));
  anchors::result("select", procs, el_ms * 1e6 / static_cast<double>(total),
                  "ns/item",
                  anchors::kv("items", total) + " channels=4 chan_cap=0");
  return 0;
}
