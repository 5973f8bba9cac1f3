// tools/trace/chrome.hpp: `gort-trace chrome`: a trace as Chrome trace-event
// JSON, which Perfetto (ui.perfetto.dev) and chrome://tracing open.
#pragma once

#include <iosfwd>
#include <string_view>

#include "reader.hpp"

namespace gort_trace {

// write_chrome writes t as {"traceEvents": [...], "displayTimeUnit": "ns"}:
//   - pid 1 "processors", one thread per P (tid = P id, named "P<id>"), and
//     pid 2 "workers", one per M (tid = M id, "M<id>"; the shared buffer's
//     batch_m_shared is "sysmon/plain threads");
//   - each run of a goroutine as an "X" slice on its P's track and on its
//     worker's, named by its spawn site's short function (or "G<id>"), with
//     args goid, site "file:line", function and end;
//   - instants ("i") on the worker tracks for park (with the reason),
//     timer_fire, sysmon, m_spin, m_park, m_wake, blocking_begin/_end and
//     procs;
//   - flow arrows ("s" then "f" with "bp":"e", one id each): cat "unpark"
//     from the readier's worker track at the go_unpark to the readied
//     goroutine's next slice on its P, and cat "steal" from the victim's P
//     track at the steal to the thief P's next slice.
// Times are µs since the timeline's begin, with three decimals (ns). Strings
// are escaped, and invalid UTF-8 in them becomes U+FFFD, so the output is
// valid JSON for any trace.
void write_chrome(std::ostream& out, const trace& t);

// write_json_string writes s as a JSON string literal: quotes, backslashes
// and control characters escaped, invalid UTF-8 replaced by \ufffd.
void write_json_string(std::ostream& out, std::string_view s);

}  // namespace gort_trace
