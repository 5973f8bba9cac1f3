// The Chrome export. Everything is written in one pass per kind of record
// (metadata, slices, instants, flows); a viewer sorts by ts itself. Flow
// arrows are only written in pairs: a go_unpark or steal whose goroutine
// never starts again in the trace gets no arrow, so every "s" has its "f".
#include "chrome.hpp"

#include <cstdio>
#include <ostream>
#include <set>
#include <string>

#include "timeline.hpp"

namespace gort_trace {
namespace {

constexpr int procs_pid = 1;
constexpr int workers_pid = 2;

// utf8_length is the length of the valid UTF-8 sequence at s[i], or 0.
std::size_t utf8_length(std::string_view s, std::size_t i) {
  auto at = [&](std::size_t j) { return static_cast<unsigned char>(s[j]); };
  unsigned char c = at(i);
  std::size_t n;
  unsigned char lo = 0x80, hi = 0xBF;  // the second byte's range
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;  // no surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (at(i + 1) < lo || at(i + 1) > hi) return 0;
  for (std::size_t j = 2; j < n; ++j)
    if ((at(i + j) & 0xC0) != 0x80) return 0;
  return n;
}

// ts writes ns - origin (>= 0) as µs with three decimals.
std::string ts(std::int64_t ns, std::int64_t origin) {
  auto d = static_cast<std::uint64_t>(ns - origin);
  char b[48];
  std::snprintf(b, sizeof b, "%llu.%03llu",
                static_cast<unsigned long long>(d / 1000),
                static_cast<unsigned long long>(d % 1000));
  return b;
}

class writer {
 public:
  writer(std::ostream& out, const trace& t)
      : out_(out), t_(t), tl_(build_timeline(t)) {}

  void write() {
    out_ << "{\"traceEvents\":[";
    metadata();
    for (const run& r : tl_.runs) slices(r);
    for (const event& e : t_.events) instant(e);
    for (const run& r : tl_.runs) flows(r);
    out_ << "\n],\"displayTimeUnit\":\"ns\"}\n";
  }

 private:
  // begin starts a record: a separator, then the opening brace.
  void begin() {
    out_ << (first_ ? "\n" : ",\n") << '{';
    first_ = false;
  }

  void thread_name(int pid, std::uint64_t tid, const std::string& name) {
    begin();
    out_ << "\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":" << pid
         << ",\"tid\":" << tid << ",\"args\":{\"name\":";
    write_json_string(out_, name);
    out_ << "}}";
    begin();
    out_ << "\"name\":\"thread_sort_index\",\"ph\":\"M\",\"pid\":" << pid
         << ",\"tid\":" << tid << ",\"args\":{\"sort_index\":" << tid << "}}";
  }

  void metadata() {
    for (auto [pid, name] : {std::pair{procs_pid, "processors"},
                             std::pair{workers_pid, "workers"}}) {
      begin();
      out_ << "\"name\":\"process_name\",\"ph\":\"M\",\"pid\":" << pid
           << ",\"args\":{\"name\":\"" << name << "\"}}";
      begin();
      out_ << "\"name\":\"process_sort_index\",\"ph\":\"M\",\"pid\":" << pid
           << ",\"args\":{\"sort_index\":" << pid << "}}";
    }
    std::set<std::uint64_t> procs;
    for (const run& r : tl_.runs) procs.insert(r.proc);
    for (const event& e : t_.events) {
      if (e.kind == ev::steal) {
        procs.insert(e.args[0]);
        procs.insert(e.args[1]);
      }
    }
    for (std::uint64_t p : procs) thread_name(procs_pid, p, cat("P", p));
    std::set<std::uint32_t> workers;
    for (const batch& b : t_.batches) workers.insert(b.m);
    for (std::uint32_t m : workers) {
      thread_name(
          workers_pid, m,
          m == tracefmt::batch_m_shared ? "sysmon/plain threads" : cat("M", m));
    }
  }

  void slices(const run& r) {
    std::string name = cat("G", r.goid);
    const site* s = nullptr;
    if (auto it = tl_.site_of.find(r.goid); it != tl_.site_of.end()) {
      if (auto st = tl_.sites.find(it->second); st != tl_.sites.end()) {
        s = &st->second;
        std::string f = short_function(s->function);
        if (!f.empty()) name = f;
      }
    }
    for (auto [pid, tid] : {std::pair<int, std::uint64_t>{procs_pid, r.proc},
                            std::pair<int, std::uint64_t>{workers_pid, r.m}}) {
      begin();
      out_ << "\"name\":";
      write_json_string(out_, name);
      out_ << ",\"cat\":\"goroutine\",\"ph\":\"X\",\"pid\":" << pid
           << ",\"tid\":" << tid << ",\"ts\":" << ts(r.begin, tl_.begin)
           << ",\"dur\":" << ts(r.end, r.begin)
           << ",\"args\":{\"goid\":" << r.goid;
      if (s != nullptr) {
        out_ << ",\"site\":";
        write_json_string(out_, cat(s->file, ":", s->line));
        out_ << ",\"function\":";
        write_json_string(out_, s->function);
      }
      out_ << ",\"end\":";
      write_json_string(out_, end_name(r));
      out_ << "}}";
    }
  }

  // instant writes e as an instant on its worker's track, if it is one of
  // the kinds shown that way.
  void instant(const event& e) {
    std::string name;
    switch (e.kind) {
      case ev::go_park:
        name = cat("park: ", reason_name(e.args[1]));
        break;
      case ev::sysmon:
        switch (e.args[0]) {
          case static_cast<std::uint64_t>(tracefmt::sysmon_action::retake):
            name = "sysmon: retake";
            break;
          case static_cast<std::uint64_t>(tracefmt::sysmon_action::preempt):
            name = "sysmon: preempt";
            break;
          case static_cast<std::uint64_t>(
              tracefmt::sysmon_action::long_running):
            name = "sysmon: long running";
            break;
          default:
            name = cat("sysmon: action(", e.args[0], ")");
        }
        break;
      case ev::timer_fire:
      case ev::m_spin:
      case ev::m_park:
      case ev::m_wake:
      case ev::blocking_begin:
      case ev::blocking_end:
      case ev::procs:
        name = kind_name(e.kind);
        break;
      default:
        return;
    }
    begin();
    out_ << "\"name\":";
    write_json_string(out_, name);
    out_ << ",\"cat\":\"" << kind_name(e.kind)
         << "\",\"ph\":\"i\",\"s\":\"t\",\"pid\":" << workers_pid
         << ",\"tid\":" << e.m << ",\"ts\":" << ts(e.ns, tl_.begin)
         << ",\"args\":{";
    const auto& in = tracefmt::info(e.kind);
    for (std::size_t i = 0; i < in.nargs; ++i) {
      out_ << (i ? "," : "") << '"' << arg_name(e.kind, i)
           << "\":" << e.args[i];
    }
    if (e.kind == ev::go_park) {
      out_ << ",\"reason_name\":";
      write_json_string(out_, reason_name(e.args[1]));
    }
    out_ << "}}";
  }

  void arrow(const char* cat, int pid, std::uint64_t tid, std::int64_t at,
             const run& to) {
    std::uint64_t id = ++flow_id_;
    begin();
    out_ << "\"name\":\"" << cat << "\",\"cat\":\"" << cat
         << "\",\"ph\":\"s\",\"id\":" << id << ",\"pid\":" << pid
         << ",\"tid\":" << tid << ",\"ts\":" << ts(at, tl_.begin) << '}';
    begin();
    out_ << "\"name\":\"" << cat << "\",\"cat\":\"" << cat
         << "\",\"ph\":\"f\",\"bp\":\"e\",\"id\":" << id
         << ",\"pid\":" << procs_pid << ",\"tid\":" << to.proc
         << ",\"ts\":" << ts(to.begin, tl_.begin) << '}';
  }

  void flows(const run& r) {
    if (r.unparked != no_event) {
      const event& u = t_.events[r.unparked];
      arrow("unpark", workers_pid, u.m, u.ns, r);
    }
    if (r.stolen != no_event) {
      const event& s = t_.events[r.stolen];
      arrow("steal", procs_pid, s.args[1], s.ns, r);
    }
  }

  std::ostream& out_;
  const trace& t_;
  timeline tl_;
  bool first_ = true;
  std::uint64_t flow_id_ = 0;
};

}  // namespace

void write_json_string(std::ostream& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  out << '"';
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out << '\\' << static_cast<char>(c);
      ++i;
    } else if (c == '\n') {
      out << "\\n";
      ++i;
    } else if (c == '\t') {
      out << "\\t";
      ++i;
    } else if (c < 0x20 || c == 0x7f) {
      out << "\\u00" << hex[c >> 4] << hex[c & 15];
      ++i;
    } else if (std::size_t n = utf8_length(s, i); n > 0) {
      out << s.substr(i, n);
      i += n;
    } else {
      out << "\\ufffd";
      ++i;
    }
  }
  out << '"';
}

void write_chrome(std::ostream& out, const trace& t) { writer(out, t).write(); }

}  // namespace gort_trace
