// The hand-built trace the summary, Chrome and CLI tests share, with its
// answers worked out by hand below. Ticks are nanoseconds (every clock pair
// has tsc == mono), and the header starts at 0.
//
//   M1 (runs P0)                         M2 (runs P1)
//     0 site 1 main.cpp:10 worker          500 m_wake P1
//     0 site 2 a.cpp:20 main lambda        600 steal thief 1 victim 0 (1)
//    50 go_start G1 P0 (no go_create)      700 go_start G3 P1
//   100 go_create G2 site 1                1700 go_stop G3
//   100 go_create G3 site 1                1750 go_start G3 P1
//   150 go_create G4 site 2                2750 blocking_begin G3 P1
//   160 go_park G1 sync.WaitGroup.Wait     3000 blocking_end G3
//   200 go_start G2 P0                     4000 go_start G3 P1
//  1200 go_park G2 chan receive            5000 go_park G3 chan receive
//  1300 go_start G4 P0                     6000 go_start G3 P1 (no unpark)
//  1800 go_unpark G2 by G4                10000 sched ...
//  2300 go_end G4                        shared buffer (sysmon)
//  2400 go_start G2 P0                    8000 sysmon retake P1
//  3400 go_park G2 sleep
//
// Answers:
//   span 10000 ns; workers 2 and the shared buffer; processors 2 (P0, P1).
//   Runs: P0: G1 50-160, G2 200-1200, G4 1300-2300, G2 2400-3400 = 3110 ns
//   (31.1%); P1: G3 700-1700, 1750-2750, 4000-5000, 6000-10000 = 7000 ns
//   (70.0%).
//   created 3; steals 1, 1 goroutine stolen.
//   Latency samples (ready -> start): G2 100 (100->200), G4 1150,
//   G2 600 (1800->2400), G3 600 (100->700), 50 (1700->1750), 1000
//   (3000->4000); G1 and G3's 6000 start have none. Sorted 50 100 600 600
//   1000 1150: p50 = 3rd = 600, p99 = 6th = 1150, max 1150.
//   Waits: sync.WaitGroup.Wait 1 park, 9840 (still parked: to 10000);
//   sleep 1, 6600 (still parked); chan receive 2, 600 + 1000 = 1600.
//   Sites by goroutines: site 1 2 (G2 G3), site 2 1 (G4). By running time:
//   site 1 9000 (G2 2000 + G3 7000), site 2 1000, created before the trace
//   110 (G1).
//   Flows: unpark G2 (M1 at 1800 -> P0 at 2400), steal (P0 at 600 -> P1 at
//   700).
#pragma once

#include <gort/wait_reason.hpp>

#include "tools/encoder.hpp"

namespace gort_test::trace {

inline std::uint64_t reason(gort::wait_reason r) {
  return static_cast<std::uint64_t>(r);
}

inline bytes sample_trace() {
  using fmt::ev;
  using gort::wait_reason;
  builder b;
  b.batch(1, 0)
      .ev(ev::site, 0, {1, 10}, {"main.cpp", "void worker(int)"})
      .ev(ev::site, 0, {2, 20}, {"a.cpp", "main()::<lambda()>"})
      .ev(ev::go_start, 50, {1, 0})
      .ev(ev::go_create, 100, {2, 1, 1})
      .ev(ev::go_create, 100, {3, 1, 1})
      .ev(ev::go_create, 150, {4, 2, 1})
      .ev(ev::go_park, 160, {1, reason(wait_reason::sync_wait_group_wait)})
      .ev(ev::go_start, 200, {2, 0})
      .ev(ev::go_park, 1200, {2, reason(wait_reason::chan_receive)});
  b.batch(2, 500)
      .ev(ev::m_wake, 500, {1})
      .ev(ev::steal, 600, {1, 0, 1})
      .ev(ev::go_start, 700, {3, 1})
      .ev(ev::go_stop, 1700, {3})
      .ev(ev::go_start, 1750, {3, 1})
      .ev(ev::blocking_begin, 2750, {3, 1});
  b.batch(1, 1300)
      .ev(ev::go_start, 1300, {4, 0})
      .ev(ev::go_unpark, 1800, {2, 4})
      .ev(ev::go_end, 2300, {4})
      .ev(ev::go_start, 2400, {2, 0})
      .ev(ev::go_park, 3400, {2, reason(wait_reason::sleep)});
  b.batch(2, 3000)
      .ev(ev::blocking_end, 3000, {3})
      .ev(ev::go_start, 4000, {3, 1})
      .ev(ev::go_park, 5000, {3, reason(wait_reason::chan_receive)})
      .ev(ev::go_start, 6000, {3, 1});
  b.batch(fmt::batch_m_shared, 8000).ev(ev::sysmon, 8000, {1, 1});
  b.batch(2, 10000).ev(ev::sched, 10000, {2, 0, 3, 0, 1, 0}, {}, {0, 0});
  return b.done();
}

}  // namespace gort_test::trace
