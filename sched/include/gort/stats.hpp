// gort/stats.hpp: a snapshot of the scheduler's counters.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include <gort/wait_reason.hpp>

namespace gort {

// proc_stats is one processor's (P's) counters. Counters are cumulative
// since the runtime started; sizes are the value at the snapshot.
struct proc_stats {
  int id = 0;                   // P's index, 0 .. processors-1
  int cpu = -1;                 // OS CPU (PU) its worker is bound to; -1: none
  std::size_t runq = 0;         // goroutines in its local run queue + runnext
  std::size_t timers = 0;       // timers pending in its heap
  std::uint64_t scheduled = 0;  // goroutines it has started or resumed
  std::uint64_t spawned = 0;    // goroutines created while running on it
  std::uint64_t steals = 0;     // steal operations it made that took work
  std::uint64_t stolen = 0;     // goroutines it took from other Ps
  std::uint64_t stolen_from = 0;   // goroutines other Ps took from it
  std::uint64_t parks = 0;         // goroutines that parked while on it
  std::uint64_t timers_fired = 0;  // timers it ran
  bool idle = false;               // on the idle list at the snapshot
};

// sched_stats is a snapshot of the whole scheduler. Any thread may take one
// with gort::stats(); the fields are read without stopping the world, so
// counts taken at the same time may disagree by the goroutines in flight.
struct sched_stats {
  int processors = 0;  // maxprocs() at the snapshot
  int idle_processors = 0;
  int threads = 0;              // worker threads (M) alive
  int running_threads = 0;      // Ms that own a P and are not spinning
  int spinning_threads = 0;     // Ms that own a P and look for work
  int idle_threads = 0;         // Ms parked on their futex
  int blocking_threads = 0;     // Ms inside gort::blocking()
  std::size_t goroutines = 0;   // alive, the main goroutine included
  std::size_t runnable = 0;     // waiting in some run queue
  std::size_t running = 0;      // on a worker right now
  std::size_t parked = 0;       // parked, by any reason
  std::size_t in_blocking = 0;  // inside gort::blocking()
  std::size_t global_runq = 0;  // goroutines in the global run queue
  std::array<std::size_t, static_cast<std::size_t>(wait_reason::count_)>
      parked_by_reason{};  // index: static_cast<size_t>(wait_reason)
  std::uint64_t goroutines_created = 0;  // since the runtime started
  std::uint64_t steals = 0;              // sum of proc_stats::steals
  std::uint64_t long_running = 0;  // goroutine slices over 10 ms seen by sysmon
  std::uint64_t retakes = 0;       // Ps sysmon took back from blocking()
  std::uint64_t handoffs = 0;      // Ps handed to another M by blocking()
  std::uint64_t sysmon_wakes =
      0;  // sysmon's timed wake-ups (back-off: 20 us..10 ms)
  // The network poller (all zero until the first socket is opened):
  std::uint64_t netpoll_calls = 0;   // polls made, blocking or not
  std::uint64_t netpoll_events = 0;  // readiness events they returned
  std::uint64_t netpoll_breaks = 0;  // blocked polls broken for a timer
  std::size_t io_waiters = 0;     // goroutines and threads waiting on I/O now
  std::vector<proc_stats> procs;  // one entry per P
};

}  // namespace gort
