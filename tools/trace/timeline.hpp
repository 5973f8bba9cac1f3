// tools/trace/timeline.hpp: what the summary and the Chrome export both need
// from a parsed trace: the span, the spawn sites, each goroutine's site, and
// the runs (a goroutine on a processor, from go_start to what ended it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "reader.hpp"

namespace gort_trace {

// no_event marks an absent event index.
inline constexpr std::size_t no_event = static_cast<std::size_t>(-1);

// run_end says what ended a run.
enum class run_end : std::uint8_t {
  stop,        // go_stop: it yielded
  park,        // go_park (run::reason says why)
  end,         // go_end
  blocking,    // blocking_begin
  next_start,  // another go_start on its processor (or of it, elsewhere)
  trace_end,   // still running when the trace ends
};

// run is one stretch of a goroutine running on a processor.
struct run {
  std::uint64_t goid = 0;
  std::uint64_t proc = 0;
  std::uint32_t m = 0;     // the worker whose batch has the go_start
  std::int64_t begin = 0;  // ns of the go_start
  std::int64_t end = 0;    // ns of what ended it; >= begin
  run_end why = run_end::trace_end;
  std::uint64_t reason = 0;         // the wait reason if why == park
  std::size_t start = no_event;     // index of its go_start in trace::events
  std::size_t unparked = no_event;  // the go_unpark it is the first run after
  std::size_t stolen = no_event;    // the steal onto its processor before it
};

// site is a spawn site from a site event.
struct site {
  std::string file;
  std::string function;
  std::uint64_t line = 0;
};

// timeline is the shared model of a trace. Times are ns as in event::ns.
struct timeline {
  std::int64_t begin = 0;               // min(trace start, first event)
  std::int64_t end = 0;                 // max(begin, last event)
  std::map<std::uint64_t, site> sites;  // by site id (the last event wins)
  std::unordered_map<std::uint64_t, std::uint64_t> site_of;  // goid -> site
  std::vector<run> runs;                                     // by begin
};

// build_timeline makes the timeline of t. A go_start(g, p) opens a run of g
// on p; it ends at g's next go_stop, go_park, go_end or blocking_begin, at
// the next go_start on p or of g, or at the end. Any sequence of events is
// accepted (a corrupt one just gives odd runs).
timeline build_timeline(const trace& t);

// reason_name is gort::to_string of wait reason r, or "reason(N)" if r is
// out of range or has no name.
std::string reason_name(std::uint64_t r);

// end_name says what ended r: "stop", "park: chan receive", "end", ...
std::string end_name(const run& r);

// short_function shortens a compiler's function name for a label: drops a
// GCC " [with ...]" clause, parameter lists, a return type and template
// arguments ("void ns::f<int>(int) const" -> "ns::f"; lambdas stay
// "main()::<lambda()>" -> "main::<lambda>"), and keeps at most 60 bytes.
// Works on any bytes.
std::string short_function(std::string_view name);

// site_label is "function (file:line)" with the short function, or "site N"
// if the timeline has no site event for id.
std::string site_label(const timeline& tl, std::uint64_t id);

// duration formats ns for people: "850 ns", "12.345 µs", "3.200 ms",
// "1.500 s" (three decimals, truncated).
std::string duration(std::int64_t ns);

// sat_add adds two non-negative times, saturating at INT64_MAX.
std::int64_t sat_add(std::int64_t a, std::int64_t b) noexcept;

}  // namespace gort_trace
