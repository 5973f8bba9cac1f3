// tools/trace/summary.hpp: `gort-trace summary`: the numbers of a trace
// (utilisation, scheduling latency, wait reasons, spawn sites) and their
// text report.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <vector>

#include "reader.hpp"
#include "timeline.hpp"

namespace gort_trace {

// proc_use is one processor's running time within the span.
struct proc_use {
  std::uint64_t proc = 0;
  std::int64_t running = 0;  // ns during which a goroutine ran on it
  double utilisation = 0;    // running / span (0 if the span is empty)
};

// latency is the nearest-rank percentiles of ready -> running samples.
struct latency {
  std::size_t samples = 0;
  std::int64_t p50 = 0, p99 = 0, max = 0;  // 0 if there are no samples
};

// wait_total is one wait reason's parks.
struct wait_total {
  std::uint64_t reason = 0;
  std::size_t count = 0;   // go_park events with this reason
  std::int64_t total = 0;  // ns parked, summed (saturating)
};

// site_total is one spawn site's goroutines. site is empty for goroutines
// that ran but were created before the trace began (no go_create).
struct site_total {
  std::optional<std::uint64_t> site;
  std::size_t goroutines = 0;  // go_create events with this site
  std::int64_t running = 0;    // ns its goroutines ran, summed
};

// net_total is the network poller's part of a trace.
struct net_total {
  std::size_t polls = 0;           // netpoll events (polls that found any)
  std::size_t blocking_polls = 0;  // of those, polls that could block
  std::uint64_t events = 0;        // readiness events they returned
  std::uint64_t readied = 0;       // goroutines they made runnable
  std::size_t io_waits = 0;        // io_wait events (parks on an fd)
  std::size_t fds = 0;             // distinct fds parked on
};

// summary is every number `gort-trace summary` prints.
struct summary {
  std::int64_t span = 0;       // timeline end - begin
  std::size_t workers = 0;     // distinct batch workers, not batch_m_shared
  bool shared_buffer = false;  // a batch of batch_m_shared was seen
  std::size_t procs = 0;       // distinct P ids in any event's P argument
  std::size_t events = 0;
  std::array<std::size_t, static_cast<std::size_t>(ev::count_)> counts{};
  std::vector<proc_use> utilisation;  // by proc id, each P that ran a G
  std::size_t created = 0;            // go_create events
  std::size_t steals = 0;             // steal events
  std::uint64_t stolen = 0;           // their counts, summed (saturating)
  latency sched_latency;
  // A go_park(g, r) lasts until g's next go_unpark, else its next go_start,
  // else the end of the trace (then it counts in still_parked too).
  std::vector<wait_total> waits;  // by total desc, count desc, reason
  std::size_t still_parked = 0;
  std::vector<site_total> by_count;  // by goroutines desc, running desc
  std::vector<site_total> by_time;   // by running desc, goroutines desc
  net_total net;
};

// summarize computes the summary of t (whose timeline is tl). Latency
// samples: for each go_start of g, the time since g last became runnable
// (its go_create, go_unpark, go_stop or blocking_end), if it did since its
// last go_start.
summary summarize(const trace& t, const timeline& tl);

// write_summary prints the report of t: aligned plain text with headings,
// the top 10 wait reasons and spawn sites. name is the file's name, shown
// in the title.
void write_summary(std::ostream& out, const trace& t, std::string_view name);

}  // namespace gort_trace
