// The summary: counts, then the derived numbers, each from one pass over
// the sorted events or over the timeline's runs. Every id is a map key, so a
// corrupt trace gives odd numbers, never a crash; times are sums of
// non-negative differences (events are sorted), added with saturation.
#include "summary.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <ostream>
#include <set>
#include <string>
#include <unordered_map>

namespace gort_trace {
namespace {

// nearest_rank is the p-th percentile of sorted (non-empty) samples.
std::int64_t nearest_rank(const std::vector<std::int64_t>& sorted,
                          std::size_t p) {
  std::size_t rank = (p * sorted.size() + 99) / 100;
  return sorted[std::max<std::size_t>(rank, 1) - 1];
}

// proc_args[k] has bit i set if argument i of kind k is a processor id.
std::array<unsigned, static_cast<std::size_t>(ev::count_)> proc_arg_bits() {
  std::array<unsigned, static_cast<std::size_t>(ev::count_)> bits{};
  for (std::size_t k = 0; k < bits.size(); ++k) {
    for (std::size_t i = 0; i < max_args; ++i) {
      std::string n = arg_name(static_cast<ev>(k), i);
      if (n == "proc" || n == "thief" || n == "victim" || n == "heap")
        bits[k] |= 1u << i;
    }
  }
  return bits;
}

// display_width counts the characters of UTF-8 text (not its bytes).
std::size_t display_width(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// table prints rows of cells in aligned columns; the first row is the
// heading. Columns whose flag in right is set are right-aligned.
struct table {
  std::vector<std::vector<std::string>> rows;
  std::vector<bool> right;

  void print(std::ostream& out) const {
    std::vector<std::size_t> width;
    for (const auto& r : rows) {
      width.resize(std::max(width.size(), r.size()));
      for (std::size_t c = 0; c < r.size(); ++c)
        width[c] = std::max(width[c], display_width(r[c]));
    }
    for (const auto& r : rows) {
      std::string line;
      for (std::size_t c = 0; c < r.size(); ++c) {
        std::string pad(width[c] - display_width(r[c]), ' ');
        bool last = c + 1 == r.size();
        line += "  ";
        if (c < right.size() && right[c]) {
          line += pad + r[c];
        } else {
          line += r[c];
          if (!last) line += pad;
        }
      }
      out << line << '\n';
    }
  }
};

std::string percent(double f) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f%%", f * 100);
  return b;
}

// count_add adds two counts read from a trace, saturating at UINT64_MAX
// (a malformed trace may hold any value).
std::uint64_t count_add(std::uint64_t a, std::uint64_t b) noexcept {
  return b > UINT64_MAX - a ? UINT64_MAX : a + b;
}

}  // namespace

summary summarize(const trace& t, const timeline& tl) {
  summary s;
  s.span = tl.end - tl.begin;
  std::set<std::uint32_t> workers;
  for (const batch& b : t.batches) {
    if (b.m == tracefmt::batch_m_shared) {
      s.shared_buffer = true;
    } else {
      workers.insert(b.m);
    }
  }
  s.workers = workers.size();
  s.events = t.events.size();

  static const auto proc_bits = proc_arg_bits();
  std::set<std::uint64_t> procs;
  std::unordered_map<std::uint64_t, std::int64_t> ready;  // goid -> ns
  struct parked_at {
    std::uint64_t reason;
    std::int64_t ns;
  };
  std::unordered_map<std::uint64_t, parked_at> parked;  // goid -> park
  std::map<std::uint64_t, wait_total> waits;
  auto unparked = [&](std::uint64_t goid, std::int64_t ns) {
    auto it = parked.find(goid);
    if (it == parked.end()) return;
    wait_total& w = waits[it->second.reason];
    w.reason = it->second.reason;
    ++w.count;
    w.total = sat_add(w.total, ns - it->second.ns);
    parked.erase(it);
  };
  std::vector<std::int64_t> samples;
  std::map<std::optional<std::uint64_t>, site_total> sites;
  std::set<std::uint64_t> fds;  // parked on (io_wait)

  for (const event& e : t.events) {
    auto k = static_cast<std::size_t>(e.kind);
    ++s.counts[k];
    for (std::size_t i = 0; i < max_args; ++i)
      if (proc_bits[k] & (1u << i)) procs.insert(e.args[i]);
    const auto& a = e.args;
    switch (e.kind) {
      case ev::go_create:
        ++s.created;
        ++sites[a[1]].goroutines;
        ready[a[0]] = e.ns;
        break;
      case ev::go_unpark:
        unparked(a[0], e.ns);
        ready[a[0]] = e.ns;
        break;
      case ev::go_stop:
      case ev::blocking_end:
        ready[a[0]] = e.ns;
        break;
      case ev::go_start:
        unparked(a[0], e.ns);
        if (auto it = ready.find(a[0]); it != ready.end()) {
          samples.push_back(e.ns - it->second);
          ready.erase(it);
        }
        break;
      case ev::go_park:
        unparked(a[0], e.ns);  // a park with no unpark or start before it
        parked[a[0]] = parked_at{a[1], e.ns};
        break;
      case ev::steal:
        ++s.steals;
        s.stolen = count_add(s.stolen, a[2]);
        break;
      case ev::netpoll:
        ++s.net.polls;
        s.net.blocking_polls += a[0] != 0;
        s.net.events = count_add(s.net.events, a[1]);
        s.net.readied = count_add(s.net.readied, a[2]);
        break;
      case ev::io_wait:
        ++s.net.io_waits;
        fds.insert(a[1]);
        break;
      default:
        break;
    }
  }
  s.net.fds = fds.size();
  s.still_parked = parked.size();
  while (!parked.empty()) unparked(parked.begin()->first, tl.end);
  s.procs = procs.size();

  std::map<std::uint64_t, std::int64_t> running;
  for (const run& r : tl.runs) {
    running[r.proc] = sat_add(running[r.proc], r.end - r.begin);
    std::optional<std::uint64_t> site;
    if (auto it = tl.site_of.find(r.goid); it != tl.site_of.end())
      site = it->second;
    site_total& st = sites[site];
    st.running = sat_add(st.running, r.end - r.begin);
  }
  for (const auto& [proc, ns] : running) {
    double f = s.span > 0
                   ? static_cast<double>(ns) / static_cast<double>(s.span)
                   : 0.0;
    s.utilisation.push_back({proc, ns, f});
  }

  std::sort(samples.begin(), samples.end());
  s.sched_latency.samples = samples.size();
  if (!samples.empty()) {
    s.sched_latency.p50 = nearest_rank(samples, 50);
    s.sched_latency.p99 = nearest_rank(samples, 99);
    s.sched_latency.max = samples.back();
  }

  for (const auto& [r, w] : waits) s.waits.push_back(w);
  std::stable_sort(s.waits.begin(), s.waits.end(),
                   [](const wait_total& a, const wait_total& b) {
                     if (a.total != b.total) return a.total > b.total;
                     return a.count > b.count;
                   });

  for (auto& [id, st] : sites) {
    st.site = id;
    if (id) s.by_count.push_back(st);
    s.by_time.push_back(st);
  }
  std::stable_sort(s.by_count.begin(), s.by_count.end(),
                   [](const site_total& a, const site_total& b) {
                     if (a.goroutines != b.goroutines)
                       return a.goroutines > b.goroutines;
                     return a.running > b.running;
                   });
  std::stable_sort(s.by_time.begin(), s.by_time.end(),
                   [](const site_total& a, const site_total& b) {
                     if (a.running != b.running) return a.running > b.running;
                     return a.goroutines > b.goroutines;
                   });
  return s;
}

void write_summary(std::ostream& out, const trace& t, std::string_view name) {
  constexpr std::size_t top = 10;
  timeline tl = build_timeline(t);
  summary s = summarize(t, tl);

  out << "gort-trace summary of " << name << "\n\nTrace\n";
  char slope[64];
  std::snprintf(slope, sizeof slope, "%.6g ns per tick, fitted to %zu pairs",
                t.ns_per_tick, t.batches.size() + 1);
  table overview{
      {{"span", duration(s.span)},
       {"workers (M)",
        cat(s.workers, s.shared_buffer ? " (and the shared buffer)" : "")},
       {"processors (P)", std::to_string(s.procs)},
       {"batches", std::to_string(t.batches.size())},
       {"events", std::to_string(s.events)},
       {"clock", slope}},
      {}};
  overview.print(out);

  out << "\nEvents\n";
  table counts{{{"kind", "count"}}, {false, true}};
  for (std::size_t k = 0; k < s.counts.size(); ++k) {
    if (s.counts[k] == 0) continue;
    counts.rows.push_back(
        {kind_name(static_cast<ev>(k)), std::to_string(s.counts[k])});
  }
  counts.print(out);

  out << "\nProcessors (share of the span running a goroutine)\n";
  table procs{{{"P", "running", "utilisation"}}, {false, true, true}};
  for (const proc_use& u : s.utilisation) {
    procs.rows.push_back(
        {cat("P", u.proc), duration(u.running), percent(u.utilisation)});
  }
  procs.print(out);

  out << "\nGoroutines\n";
  table gs{{{"created", std::to_string(s.created)},
            {"steals",
             cat(s.steals, " (", s.stolen,
                 s.stolen == 1 ? " goroutine" : " goroutines", " stolen)")}},
           {}};
  gs.print(out);

  out << "\nScheduling latency (ready -> running, nearest rank)\n";
  const latency& l = s.sched_latency;
  table lat{{{"samples", std::to_string(l.samples)}}, {false, true}};
  if (l.samples > 0) {
    lat.rows.push_back({"p50", duration(l.p50)});
    lat.rows.push_back({"p99", duration(l.p99)});
    lat.rows.push_back({"max", duration(l.max)});
  }
  lat.print(out);

  out << "\nTop wait reasons (time parked)\n";
  table waits{{{"reason", "parks", "total"}}, {false, true, true}};
  for (std::size_t i = 0; i < s.waits.size() && i < top; ++i) {
    const wait_total& w = s.waits[i];
    waits.rows.push_back(
        {reason_name(w.reason), std::to_string(w.count), duration(w.total)});
  }
  waits.print(out);
  if (s.still_parked > 0) {
    out << "  (" << s.still_parked
        << " still parked at the end, counted to the end)\n";
  }

  if (s.net.polls > 0 || s.net.io_waits > 0) {
    out << "\nNetwork poller\n";
    const net_total& n = s.net;
    table net{{{"polls with events",
                cat(n.polls, " (", n.blocking_polls, " could block)")},
               {"readiness events", std::to_string(n.events)},
               {"goroutines readied", std::to_string(n.readied)},
               {"IO waits",
                cat(n.io_waits, " on ", n.fds, n.fds == 1 ? " fd" : " fds")}},
              {}};
    net.print(out);
  }

  auto label = [&](const site_total& st) {
    return st.site ? site_label(tl, *st.site)
                   : std::string("(created before the trace)");
  };
  out << "\nTop spawn sites by goroutines\n";
  table by_count{{{"goroutines", "running", "site"}}, {true, true, false}};
  for (std::size_t i = 0; i < s.by_count.size() && i < top; ++i) {
    const site_total& st = s.by_count[i];
    by_count.rows.push_back(
        {std::to_string(st.goroutines), duration(st.running), label(st)});
  }
  by_count.print(out);

  out << "\nTop spawn sites by running time\n";
  table by_time{{{"running", "goroutines", "site"}}, {true, true, false}};
  for (std::size_t i = 0; i < s.by_time.size() && i < top; ++i) {
    const site_total& st = s.by_time[i];
    by_time.rows.push_back(
        {duration(st.running), std::to_string(st.goroutines), label(st)});
  }
  by_time.print(out);
}

}  // namespace gort_trace
