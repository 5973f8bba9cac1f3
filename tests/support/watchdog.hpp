// tests/support/watchdog.hpp: time as a watchdog, never as synchronisation.
//
// Tests join with gort::internal::latch. Time appears only to stop a test
// that hangs: eventually() polls a condition until it holds or the watchdog
// expires, and describe() renders the scheduler's state for the failure
// message.
#pragma once

#include <chrono>
#include <cstddef>
#include <sstream>
#include <string>
#include <thread>

#include "gort/sched.hpp"
#include "gort/stats.hpp"
#include "support/sanitizer.hpp"

namespace gort_test {

using namespace std::chrono_literals;

// watchdog is how long a test may wait for something that should happen
// promptly before it gives up and reports the scheduler's state.
inline constexpr std::chrono::seconds watchdog{under_sanitizer ? 180 : 60};

// poll_pause waits a little before polling again: gort::sleep on a
// goroutine (so a 1-processor scheduler runs the others), a thread sleep on
// a plain thread.
inline void poll_pause() {
  if (gort::goroutine_id() != 0) {
    gort::sleep(200us);
  } else {
    std::this_thread::sleep_for(200us);
  }
}

// eventually polls pred until it returns true or `limit` passes; it returns
// pred's last value. Any thread.
//
// Example:
//   EXPECT_TRUE(gort_test::eventually([] { return gort::num_goroutines() == 0;
//   }));
template <class Pred>
bool eventually(Pred pred,
                std::chrono::steady_clock::duration limit = watchdog) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return pred();
    poll_pause();
  }
  return true;
}

// parked_for returns how many goroutines are parked with reason r.
inline std::size_t parked_for(const gort::sched_stats& s, gort::wait_reason r) {
  return s.parked_by_reason[static_cast<std::size_t>(r)];
}

// describe renders a snapshot for a failure message.
inline std::string describe(const gort::sched_stats& s) {
  std::ostringstream o;
  o << "sched: processors=" << s.processors << " idle=" << s.idle_processors
    << " threads=" << s.threads << " running_threads=" << s.running_threads
    << " spinning=" << s.spinning_threads << " idle_threads=" << s.idle_threads
    << " blocking_threads=" << s.blocking_threads
    << " goroutines=" << s.goroutines << " runnable=" << s.runnable
    << " running=" << s.running << " parked=" << s.parked
    << " in_blocking=" << s.in_blocking << " global_runq=" << s.global_runq
    << " created=" << s.goroutines_created << " steals=" << s.steals
    << " long_running=" << s.long_running << " retakes=" << s.retakes
    << " handoffs=" << s.handoffs << "\n  parked by reason:";
  for (std::size_t r = 0; r < s.parked_by_reason.size(); ++r) {
    if (s.parked_by_reason[r] != 0)
      o << " [" << gort::to_string(static_cast<gort::wait_reason>(r))
        << "]=" << s.parked_by_reason[r];
  }
  for (const auto& p : s.procs) {
    o << "\n  P" << p.id << ": cpu=" << p.cpu << " runq=" << p.runq
      << " timers=" << p.timers << " scheduled=" << p.scheduled
      << " spawned=" << p.spawned << " steals=" << p.steals
      << " stolen=" << p.stolen << " stolen_from=" << p.stolen_from
      << " parks=" << p.parks << " timers_fired=" << p.timers_fired
      << (p.idle ? " idle" : "");
  }
  return o.str();
}

// spin_for busy-waits for d without yielding: CPU work that the scheduler
// cannot see.
inline void spin_for(std::chrono::steady_clock::duration d) {
  const auto until = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < until) {
  }
}

}  // namespace gort_test
