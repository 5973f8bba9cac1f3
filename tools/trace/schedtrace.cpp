// schedtrace: the sched event's arguments in their table order, which is
// the order of Go's line (without Go's needspinning, which gort has not).
#include "schedtrace.hpp"

#include <iterator>
#include <ostream>

namespace gort_trace {

void write_schedtrace(std::ostream& out, const trace& t) {
  static constexpr const char* names[] = {"gomaxprocs",  "idleprocs",
                                          "threads",     "spinningthreads",
                                          "idlethreads", "runqueue"};
  static_assert(std::size(names) == tracefmt::info(ev::sched).nargs);
  for (const event& e : t.events) {
    if (e.kind != ev::sched) continue;
    out << "SCHED " << (e.ns - t.start_ns) / 1'000'000 << "ms:";
    for (std::size_t i = 0; i < std::size(names); ++i)
      out << ' ' << names[i] << '=' << e.args[i];
    out << " [";
    for (std::size_t i = 0; i < e.list.size(); ++i)
      out << (i ? " " : "") << e.list[i];
    out << "]\n";
  }
}

}  // namespace gort_trace
