// libFuzzer target of gort-trace's reader: any bytes are parsed; a trace
// that parses is also summarised and exported (Chrome, schedtrace) into
// memory, so the writers are fuzzed too. A crash, a sanitizer report, an
// exception other than trace_error, or an error offset past the end of the
// input is a finding. Built only by tools/fuzz.sh (GORT_TRACE_FUZZ, clang).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>
#include <string_view>

#include <gort/wait_reason.hpp>

#include "chrome.hpp"
#include "reader.hpp"
#include "schedtrace.hpp"
#include "summary.hpp"

#ifdef GORT_TRACE_FUZZ_STANDALONE
// The fuzz build does not link gort (tools/CMakeLists.txt says why), so this
// stands in for its to_string: a name for each reason in range, none for
// wait_reason::none, as the real one. The names do not matter to the
// fuzzing, only that both of reason_name's branches are taken.
std::string_view gort::to_string(gort::wait_reason r) noexcept {
  return r == gort::wait_reason::none ? "" : "reason";
}
#endif

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  gort_trace::trace t;
  try {
    t = gort_trace::parse({data, size});
  } catch (const gort_trace::trace_error& e) {
    std::string what = e.what();
    if (e.offset() > size ||
        what.rfind(gort_trace::cat("byte ", e.offset(), ": "), 0) != 0)
      std::abort();
    return 0;
  }
  std::ostringstream out;
  gort_trace::write_summary(out, t, "fuzz");
  gort_trace::write_chrome(out, t);
  gort_trace::write_schedtrace(out, t);
  return 0;
}
