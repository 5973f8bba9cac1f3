// tools/trace/reader.hpp: gort-trace's reader. A trace file's bytes in; its
// header's clock pair, its batches and its events, sorted by time, out. The
// format is runtime/internal/trace_format.hpp; what is checked, and why, is
// written at the top of reader.cpp.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "runtime/internal/trace_format.hpp"

namespace gort_trace {

namespace tracefmt = gort::internal::tracefmt;
using tracefmt::ev;

// max_args is the largest nargs in the format's table of event kinds.
inline constexpr std::size_t max_args = [] {
  std::size_t n = 0;
  for (const auto& e : tracefmt::ev_table) n = e.nargs > n ? e.nargs : n;
  return n;
}();

// cat concatenates its arguments into a string: text as it is, integers in
// decimal. (It appends, so GCC 12's false -Wrestrict on "text" + string&&
// does not arise.)
template <class... T>
std::string cat(const T&... parts);

// trace_error is thrown for a truncated or corrupt trace. what() reads
// "byte N: <what is wrong>", N being offset(): where in the file the bad
// field starts. offset() <= the file's size.
class trace_error : public std::runtime_error {
 public:
  // trace_error makes the message "byte <offset>: <message>".
  trace_error(std::size_t offset, const std::string& message);
  // offset is the byte of the file the error is about.
  std::size_t offset() const noexcept { return offset_; }

 private:
  std::size_t offset_;
};

// clock_pair is a time-stamp counter reading and the CLOCK_MONOTONIC ns read
// at the same moment.
struct clock_pair {
  std::uint64_t tsc = 0;
  std::uint64_t mono = 0;
};

// batch is one batch's head, in file order.
struct batch {
  std::size_t offset = 0;     // byte of its kind byte in the file
  std::uint32_t m = 0;        // the worker, or tracefmt::batch_m_shared
  clock_pair base;            // (base_tsc, base_mono)
  std::uint32_t payload = 0;  // bytes of events
};

// event is one decoded event. args beyond info(kind).nargs are 0; strings
// has info(kind).nstrings entries (raw bytes, not checked to be UTF-8); list
// is empty unless info(kind).list.
struct event {
  ev kind = ev::batch;
  std::uint32_t m = 0;     // the worker of its batch (or batch_m_shared)
  std::uint64_t tsc = 0;   // ticks: the batch's base_tsc plus the dts
  std::int64_t ns = 0;     // CLOCK_MONOTONIC ns, from the fitted clock line
  std::size_t offset = 0;  // byte of its kind byte in the file
  std::array<std::uint64_t, max_args> args{};
  std::vector<std::string> strings;
  std::vector<std::uint64_t> list;
};

// max_time bounds every event's ns (and trace::start_ns) to
// [-max_time, max_time], so that the difference of any two times fits in an
// int64_t (sums of differences saturate: sat_add in timeline.hpp). It is
// 2^62 - 1 ns, 146 years.
inline constexpr std::int64_t max_time = (std::int64_t{1} << 62) - 1;

// trace is a whole parsed trace.
struct trace {
  clock_pair start;            // the header's (start_tsc, start_mono)
  std::int64_t start_ns = 0;   // start.mono as a time (clamped, max_time)
  std::vector<batch> batches;  // in file order
  std::vector<event> events;   // by ns; ties (and a worker's) in file order
  double ns_per_tick = 1.0;    // the fitted line's slope
  std::size_t bytes = 0;       // the file's size
};

// parse decodes a whole trace file. Throws trace_error if it is truncated
// (except right after a complete batch: the trace of a crashed program) or
// corrupt; never reads outside bytes, and allocates in proportion to
// bytes.size() only (every length field is checked first).
trace parse(std::span<const std::uint8_t> bytes);

// kind_name is the table's name of k ("go_start"), or "kind(N)" if k is not
// in the table.
std::string kind_name(ev k);

// arg_name is the name of argument i of kind k ("goid"), or "" if k is not
// in the table or has fewer arguments.
std::string arg_name(ev k, std::size_t i);

namespace detail {
// append adds v to s: text (anything a string_view is made from) as it is,
// an integer (not a char or bool) in decimal.
template <class T>
void append(std::string& s, const T& v) {
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, char> &&
                !std::is_same_v<T, bool>) {
    if constexpr (std::is_signed_v<T>) {
      s += std::to_string(static_cast<long long>(v));
    } else {
      s += std::to_string(static_cast<unsigned long long>(v));
    }
  } else {
    s.append(std::string_view(v));
  }
}
}  // namespace detail

template <class... T>
std::string cat(const T&... parts) {
  std::string s;
  (detail::append(s, parts), ...);
  return s;
}

}  // namespace gort_trace
