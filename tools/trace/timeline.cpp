// The timeline: one pass over the sorted events that pairs each go_start
// with what ended the run, and remembers the spawn sites. Maps are keyed by
// the ids in the file, never indexed by them, so any 64-bit id is fine.
#include "timeline.hpp"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <utility>

#include <gort/wait_reason.hpp>

namespace gort_trace {
namespace {

bool is_qualifier(std::string_view w) {
  return w == "const" || w == "volatile" || w == "noexcept" || w == "&" ||
         w == "&&" || w == "override" || w == "final" || w == "const&" ||
         w == "const&&";
}

// drop_parens removes parenthesised groups, keeping "operator()" whole.
std::string drop_parens(std::string_view s) {
  std::string out;
  int depth = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '(') {
      if (depth == 0 && out.ends_with("operator") && i + 1 < s.size() &&
          s[i + 1] == ')') {
        out += "()";
        ++i;
        continue;
      }
      ++depth;
    } else if (c == ')') {
      if (depth > 0) --depth;
    } else if (depth == 0) {
      out += c;
    }
  }
  return out;
}

// last_name returns the last word at angle depth 0 that is not a qualifier.
std::string_view last_name(std::string_view s) {
  std::vector<std::string_view> words;
  int depth = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    char c = i < s.size() ? s[i] : ' ';
    if (c == '<') ++depth;
    if (c == '>' && depth > 0) --depth;
    if (c == ' ' && depth == 0) {
      if (i > start) words.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  while (!words.empty() && is_qualifier(words.back())) words.pop_back();
  return words.empty() ? s : words.back();
}

// drop_templates removes "<...>" groups but keeps "<lambda...>" as
// "<lambda>".
std::string drop_templates(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    if (s[i] != '<') {
      out += s[i++];
      continue;
    }
    std::size_t j = i;
    int depth = 0;
    for (; j < s.size(); ++j) {
      if (s[j] == '<') ++depth;
      if (s[j] == '>' && --depth == 0) break;
    }
    if (j == s.size()) {  // unbalanced: keep the rest as it is
      out.append(s.substr(i));
      break;
    }
    if (s.substr(i + 1).starts_with("lambda")) out += "<lambda>";
    i = j + 1;
  }
  return out;
}

}  // namespace

timeline build_timeline(const trace& t) {
  timeline tl;
  tl.begin = t.start_ns;
  if (!t.events.empty()) {
    tl.begin = std::min(tl.begin, t.events.front().ns);
    tl.end = std::max(tl.begin, t.events.back().ns);
  } else {
    tl.end = tl.begin;
  }

  std::unordered_map<std::uint64_t, std::size_t> on_proc;  // proc -> run
  std::unordered_map<std::uint64_t, std::size_t> of_g;     // goid -> run
  std::unordered_map<std::uint64_t, std::size_t> unpark;   // goid -> event
  std::unordered_map<std::uint64_t, std::size_t> steal;    // thief -> event
  auto close = [&](std::size_t ri, std::int64_t at, run_end why,
                   std::uint64_t reason) {
    run& r = tl.runs[ri];
    r.end = std::max(at, r.begin);
    r.why = why;
    r.reason = reason;
    on_proc.erase(r.proc);
    of_g.erase(r.goid);
  };
  auto close_g = [&](std::uint64_t goid, std::int64_t at, run_end why,
                     std::uint64_t reason = 0) {
    auto it = of_g.find(goid);
    if (it != of_g.end()) close(it->second, at, why, reason);
  };

  for (std::size_t i = 0; i < t.events.size(); ++i) {
    const event& e = t.events[i];
    const auto& a = e.args;
    switch (e.kind) {
      case ev::site:
        tl.sites[a[0]] = site{e.strings[0], e.strings[1], a[1]};
        break;
      case ev::go_create:
        tl.site_of[a[0]] = a[1];
        break;
      case ev::go_start: {
        if (auto it = on_proc.find(a[1]); it != on_proc.end())
          close(it->second, e.ns, run_end::next_start, 0);
        close_g(a[0], e.ns, run_end::next_start);
        run r;
        r.goid = a[0];
        r.proc = a[1];
        r.m = e.m;
        r.begin = r.end = e.ns;
        r.start = i;
        if (auto it = unpark.find(a[0]); it != unpark.end()) {
          r.unparked = it->second;
          unpark.erase(it);
        }
        if (auto it = steal.find(a[1]); it != steal.end()) {
          r.stolen = it->second;
          steal.erase(it);
        }
        on_proc[r.proc] = tl.runs.size();
        of_g[r.goid] = tl.runs.size();
        tl.runs.push_back(r);
        break;
      }
      case ev::go_stop:
        close_g(a[0], e.ns, run_end::stop);
        break;
      case ev::go_park:
        close_g(a[0], e.ns, run_end::park, a[1]);
        break;
      case ev::go_end:
        close_g(a[0], e.ns, run_end::end);
        break;
      case ev::blocking_begin:
        close_g(a[0], e.ns, run_end::blocking);
        break;
      case ev::go_unpark:
        unpark[a[0]] = i;
        break;
      case ev::steal:
        steal[a[0]] = i;
        break;
      default:
        break;
    }
  }
  while (!of_g.empty()) {
    close(of_g.begin()->second, tl.end, run_end::trace_end, 0);
  }
  return tl;
}

std::string reason_name(std::uint64_t r) {
  if (r < static_cast<std::uint64_t>(gort::wait_reason::count_)) {
    std::string_view s = gort::to_string(static_cast<gort::wait_reason>(r));
    if (!s.empty()) return std::string(s);
  }
  return cat("reason(", r, ")");
}

std::string end_name(const run& r) {
  switch (r.why) {
    case run_end::stop:
      return "stop";
    case run_end::park:
      return cat("park: ", reason_name(r.reason));
    case run_end::end:
      return "end";
    case run_end::blocking:
      return "blocking";
    case run_end::next_start:
      return "next go_start";
    case run_end::trace_end:
      break;
  }
  return "trace end";
}

std::string short_function(std::string_view name) {
  constexpr std::size_t limit = 60;
  if (auto w = name.find(" [with "); w != std::string_view::npos)
    name = name.substr(0, w);
  std::string s = drop_parens(name);
  std::string out = drop_templates(last_name(s));
  if (out.empty()) out = std::string(name);
  if (out.size() > limit) {
    std::size_t cut = out.size() - (limit - 3);
    while (cut < out.size() &&
           (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80)
      ++cut;
    std::string tail = "...";
    tail.append(out, cut, std::string::npos);
    out = std::move(tail);
  }
  return out;
}

std::string site_label(const timeline& tl, std::uint64_t id) {
  auto it = tl.sites.find(id);
  if (it == tl.sites.end()) return cat("site ", id);
  const site& s = it->second;
  return cat(short_function(s.function), " (", s.file, ":", s.line, ")");
}

std::string duration(std::int64_t ns) {
  if (ns < 0) {
    return cat("-", duration(ns == std::numeric_limits<std::int64_t>::min()
                                 ? std::numeric_limits<std::int64_t>::max()
                                 : -ns));
  }
  if (ns < 1000) return cat(ns, " ns");
  const char* unit = "s";
  std::int64_t div = 1'000'000'000;
  if (ns < 1'000'000) {
    unit = "µs";
    div = 1'000;
  } else if (ns < 1'000'000'000) {
    unit = "ms";
    div = 1'000'000;
  }
  char frac[16];
  std::snprintf(frac, sizeof frac, "%03d",
                static_cast<int>((ns % div) / (div / 1000)));
  return cat(ns / div, ".", frac, " ", unit);
}

std::int64_t sat_add(std::int64_t a, std::int64_t b) noexcept {
  constexpr auto max = std::numeric_limits<std::int64_t>::max();
  return b > max - a ? max : a + b;
}

}  // namespace gort_trace
