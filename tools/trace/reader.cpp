// Reading a trace
//
// A trace file comes from a program that may have crashed, been killed, or
// been written by a writer with a bug, and gort-trace is run on files from
// anywhere. So the reader trusts nothing in the file: every field is checked
// before it is used, and anything wrong ends the parse with a trace_error
// that names the byte where the bad field starts ("byte 1234: batch payload
// of 5000 bytes but only 12 left"). It never reads outside the buffer, never
// hits undefined behaviour, and never allocates from a length field before
// the field is checked, so the memory it uses is proportional to the file.
//
// What is checked, in file order:
//   - The header: at least 32 bytes; the magic "GORTTRC1" (a shorter file
//     whose bytes match the magic so far is "truncated", not "bad magic");
//     version == trace_version; header_bytes == 32 (version 1's header has
//     no extension to skip).
//   - Each batch head: its kind byte is ev::batch; the 29 bytes of the head
//     are all there; payload <= max_payload and <= the bytes left. The
//     payload is the batch's only bound: nothing of an event is read past
//     it ("overruns its batch").
//   - Each event: its kind is in the table and is not ev::batch; its dt, its
//     args, its string lengths, its list count and its list are varints of
//     at most 10 bytes that fit in 64 bits (a 10th byte > 1 overflows); a
//     string's length is <= max_string and <= the bytes left in the batch,
//     a list's count <= max_list and <= the bytes left (each entry takes at
//     least a byte), before anything is allocated for them; the running
//     tick count (base_tsc + the dts) does not wrap.
//   - The end: a file may end only between batches. A trace cut off right
//     after a complete batch is what a crashed program leaves, and is read
//     as it is; a cut anywhere else is an error at the start of what was
//     cut (the header, the batch head, or the payload length).
// What is not checked: the meaning of the numbers. Ids of goroutines,
// processors and sites are any 64-bit values, events need not make sense
// together (a go_end of a goroutine never started), and strings are bytes.
// The analyses (timeline.cpp) cope with any of that; the Chrome writer makes
// strings valid UTF-8.
//
// Time: ticks become nanoseconds by the least-squares line through the
// (tsc, mono) pairs of the header and every batch, in long double (64-bit
// mantissa, so a 64-bit tick count is exact). With one pair, or pairs that
// all share one tsc, or a fit that is not increasing (only a corrupt file
// gives one), 1 tick = 1 ns through the header's pair. Times are clamped to
// +-max_time so that the analyses can subtract any two (and saturate sums).
// Events are then sorted by time with a stable sort, so ties, and the events
// of one worker (already in order), keep their file order.
#include "reader.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string_view>
#include <utility>

namespace gort_trace {
namespace {

constexpr std::size_t payload_field = 1 + 4 + 8 + 8;  // offset in the head

std::uint32_t get_u32(const std::uint8_t* p) noexcept {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

std::uint64_t get_u64(const std::uint8_t* p) noexcept {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// printable shows bytes as C-like text for a message ("GORT\x00..").
std::string printable(std::span<const std::uint8_t> b) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string s;
  for (std::uint8_t c : b) {
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      s += static_cast<char>(c);
    } else {
      s += "\\x";
      s += hex[c >> 4];
      s += hex[c & 15];
    }
  }
  return s;
}

// field names what a varint is, for messages (built only on an error).
enum class field { dt, arg, string_length, list_count, list_entry };

// event_reader decodes the events of one batch's payload, [pos, end).
class event_reader {
 public:
  event_reader(std::span<const std::uint8_t> file, const batch& b)
      : file_(file),
        batch_(b),
        pos_(b.offset + tracefmt::batch_head_bytes),
        end_(pos_ + b.payload),
        tsc_(b.base.tsc) {}

  bool done() const noexcept { return pos_ >= end_; }

  // next decodes the event at pos_ into e.
  void next(event& e) {
    e.offset = pos_;
    std::uint8_t k = file_[pos_];
    if (k >= static_cast<std::uint8_t>(ev::count_)) {
      throw trace_error(pos_,
                        cat("unknown event kind ", k, " (in the batch at byte ",
                            batch_.offset, ")"));
    }
    if (k == static_cast<std::uint8_t>(ev::batch)) {
      throw trace_error(pos_,
                        cat("a batch head (kind 0) inside the payload of the "
                            "batch at byte ",
                            batch_.offset));
    }
    ++pos_;
    e.kind = static_cast<ev>(k);
    e.m = batch_.m;
    const auto& in = tracefmt::info(e.kind);

    std::size_t dt_at = pos_;
    std::uint64_t dt = varint(e, field::dt);
    if (dt > UINT64_MAX - tsc_) {
      throw trace_error(dt_at, cat("dt of ", in.name, " event at byte ",
                                   e.offset, " wraps the 64-bit tick count"));
    }
    tsc_ += dt;
    e.tsc = tsc_;

    for (std::size_t i = 0; i < in.nargs; ++i) {
      e.args[i] = varint(e, field::arg, i);
    }
    for (std::size_t i = 0; i < in.nstrings; ++i) {
      const std::uint64_t n = count(e, field::string_length,
                                    tracefmt::max_string, "string", " bytes");
      e.strings.emplace_back(reinterpret_cast<const char*>(&file_[pos_]),
                             static_cast<std::size_t>(n));
      pos_ += static_cast<std::size_t>(n);
    }
    if (in.list) {
      const std::uint64_t n =
          count(e, field::list_count, tracefmt::max_list, "list", " entries");
      e.list.reserve(static_cast<std::size_t>(n));
      for (std::uint64_t i = 0; i < n; ++i) {
        e.list.push_back(varint(e, field::list_entry));
      }
    }
  }

 private:
  // count reads a length field (a string's bytes, a list's entries) and
  // checks it against the format's maximum and against the bytes left in
  // the batch (each unit takes at least one byte), before anything is
  // allocated for it.
  std::uint64_t count(const event& e, field f, std::uint64_t max,
                      const char* what, const char* unit) {
    const std::size_t at = pos_;
    const std::uint64_t n = varint(e, f);
    if (n > max) {
      throw trace_error(
          at, cat(what, " of ", n, unit, " exceeds the format's maximum of ",
                  max, where(e)));
    }
    if (n > end_ - pos_) {
      throw trace_error(at,
                        cat(what, " of ", n, unit, " but only ", end_ - pos_,
                            " bytes left in the batch", where(e)));
    }
    return n;
  }

  static std::string where(const event& e) {
    return cat(" (", tracefmt::info(e.kind).name, " event at byte ", e.offset,
               ")");
  }

  static std::string describe(const event& e, field f, std::size_t i) {
    switch (f) {
      case field::dt:
        return "dt";
      case field::arg:
        return cat("argument ", arg_name(e.kind, i));
      case field::string_length:
        return "string length";
      case field::list_count:
        return "list count";
      case field::list_entry:
        break;
    }
    return "list entry";
  }

  // varint reads an unsigned LEB128 of at most 10 bytes within the batch;
  // f and i say what it is, for an error message.
  std::uint64_t varint(const event& e, field f, std::size_t i = 0) {
    std::size_t start = pos_;
    std::uint64_t v = 0;
    for (unsigned n = 0;; ++n) {
      if (pos_ >= end_) {
        throw trace_error(
            start, cat(tracefmt::info(e.kind).name, " event at byte ", e.offset,
                       " overruns its batch (which ends at byte ", end_,
                       ") in its ", describe(e, f, i)));
      }
      std::uint8_t b = file_[pos_++];
      if (n == tracefmt::max_varint - 1 && b > 1) {
        throw trace_error(start, cat(b & 0x80 ? "varint longer than 10 bytes"
                                              : "varint overflows 64 bits",
                                     " in the ", describe(e, f, i), where(e)));
      }
      v |= static_cast<std::uint64_t>(b & 0x7f) << (7 * n);
      if (!(b & 0x80)) return v;
    }
  }

  std::span<const std::uint8_t> file_;
  const batch& batch_;
  std::size_t pos_;
  std::size_t end_;
  std::uint64_t tsc_;
};

void parse_header(std::span<const std::uint8_t> b, trace& t) {
  if (b.empty()) throw trace_error(0, "empty file (no trace header)");
  std::size_t n = std::min(b.size(), sizeof tracefmt::magic);
  if (std::memcmp(b.data(), tracefmt::magic, n) != 0) {
    throw trace_error(0, cat("bad magic \"", printable(b.first(n)),
                             "\": not a gort trace (want \"GORTTRC1\")"));
  }
  if (b.size() < tracefmt::header_bytes) {
    throw trace_error(0, cat("file of ", b.size(), " bytes ends inside the ",
                             tracefmt::header_bytes, "-byte header"));
  }
  std::uint32_t version = get_u32(&b[8]);
  if (version != tracefmt::trace_version) {
    throw trace_error(
        8, cat("trace version ", version, ", but this reader knows version ",
               tracefmt::trace_version));
  }
  std::uint32_t hb = get_u32(&b[12]);
  if (hb != tracefmt::header_bytes) {
    throw trace_error(
        12, cat("header_bytes is ", hb, ", but version 1's header has ",
                tracefmt::header_bytes));
  }
  t.start.mono = get_u64(&b[16]);
  t.start.tsc = get_u64(&b[24]);
}

batch parse_batch_head(std::span<const std::uint8_t> b, std::size_t at) {
  std::uint8_t k = b[at];
  if (k != static_cast<std::uint8_t>(ev::batch)) {
    throw trace_error(at,
                      cat("expected a batch (kind 0), found ",
                          kind_name(static_cast<ev>(k)), " (kind ", k, ")"));
  }
  std::size_t left = b.size() - at;
  if (left < tracefmt::batch_head_bytes) {
    throw trace_error(at, cat("file ends inside a batch head (", left, " of ",
                              tracefmt::batch_head_bytes, " bytes)"));
  }
  batch h;
  h.offset = at;
  h.m = get_u32(&b[at + 1]);
  h.base.tsc = get_u64(&b[at + 5]);
  h.base.mono = get_u64(&b[at + 13]);
  h.payload = get_u32(&b[at + payload_field]);
  left -= tracefmt::batch_head_bytes;
  if (h.payload > tracefmt::max_payload) {
    throw trace_error(
        at + payload_field,
        cat("batch payload of ", h.payload,
            " bytes exceeds the format's maximum of ", tracefmt::max_payload));
  }
  if (h.payload > left) {
    throw trace_error(
        at + payload_field,
        cat("batch payload of ", h.payload, " bytes but only ", left, " left"));
  }
  return h;
}

// clamp_time rounds v to an integer in [-max_time, max_time].
std::int64_t clamp_time(long double v) noexcept {
  constexpr auto lim = static_cast<long double>(max_time);
  if (std::isnan(v)) return 0;
  if (v >= lim) return max_time;
  if (v <= -lim) return -max_time;
  return std::llround(v);
}

// clock_line is ns = y0 + slope * (tsc - x0).
struct clock_line {
  long double x0 = 0;
  long double y0 = 0;
  long double slope = 1;
};

clock_line fit(const trace& t) {
  clock_line header{static_cast<long double>(t.start.tsc),
                    static_cast<long double>(t.start.mono), 1};
  if (t.batches.empty()) return header;
  long double n = 1 + static_cast<long double>(t.batches.size());
  long double mx = static_cast<long double>(t.start.tsc);
  long double my = static_cast<long double>(t.start.mono);
  for (const batch& b : t.batches) {
    mx += static_cast<long double>(b.base.tsc);
    my += static_cast<long double>(b.base.mono);
  }
  mx /= n;
  my /= n;
  long double sxx = 0, sxy = 0;
  auto add = [&](const clock_pair& p) {
    long double dx = static_cast<long double>(p.tsc) - mx;
    long double dy = static_cast<long double>(p.mono) - my;
    sxx += dx * dx;
    sxy += dx * dy;
  };
  add(t.start);
  for (const batch& b : t.batches) add(b.base);
  if (!(sxx > 0)) return header;
  long double slope = sxy / sxx;
  if (!std::isfinite(slope) || !(slope > 0)) return header;
  return {mx, my, slope};
}

}  // namespace

trace_error::trace_error(std::size_t offset, const std::string& message)
    : std::runtime_error(cat("byte ", offset, ": ", message)),
      offset_(offset) {}

std::string kind_name(ev k) {
  if (k < ev::count_) return std::string(tracefmt::info(k).name);
  return cat("kind(", static_cast<unsigned>(k), ")");
}

std::string arg_name(ev k, std::size_t i) {
  if (k >= ev::count_) return "";
  const auto& in = tracefmt::info(k);
  if (i >= in.nargs) return "";
  std::string_view names = in.arg_names;
  for (std::size_t j = 0; j < i; ++j) {
    std::size_t sp = names.find(' ');
    if (sp == std::string_view::npos) return "";
    names.remove_prefix(sp + 1);
  }
  return std::string(names.substr(0, names.find(' ')));
}

trace parse(std::span<const std::uint8_t> bytes) {
  trace t;
  t.bytes = bytes.size();
  parse_header(bytes, t);
  for (std::size_t at = tracefmt::header_bytes; at < bytes.size();) {
    t.batches.push_back(parse_batch_head(bytes, at));
    const batch& b = t.batches.back();
    event_reader r(bytes, b);
    while (!r.done()) {
      event e;
      r.next(e);
      t.events.push_back(std::move(e));
    }
    at += tracefmt::batch_head_bytes + b.payload;
  }

  clock_line line = fit(t);
  t.ns_per_tick = static_cast<double>(line.slope);
  t.start_ns = clamp_time(static_cast<long double>(t.start.mono));
  for (event& e : t.events) {
    e.ns = clamp_time(line.y0 +
                      line.slope * (static_cast<long double>(e.tsc) - line.x0));
  }
  std::stable_sort(t.events.begin(), t.events.end(),
                   [](const event& a, const event& b) { return a.ns < b.ns; });
  return t;
}

}  // namespace gort_trace
