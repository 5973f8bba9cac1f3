// The Chrome export: valid JSON (checked by the strict parser in json.hpp)
// with the process and thread metadata, a slice per run on both its tracks,
// instants, and flow arrows in matching s/f pairs; nasty strings escaped.
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <tuple>

#include <gtest/gtest.h>

#include "tools/json.hpp"
#include "tools/sample_trace.hpp"
#include "tools/trace/chrome.hpp"

namespace {

using namespace gort_test::trace;
namespace json = gort_test::json;

json::value export_of(const bytes& b) {
  std::ostringstream out;
  gort_trace::write_chrome(out, gort_trace::parse(b));
  return json::parse(out.str());
}

std::string str(const json::value& v) { return v.text; }
double num(const json::value& v) { return v.num; }

// events_with returns the trace events whose "ph" is ph.
std::vector<const json::value*> events_with(const json::value& doc,
                                            const std::string& ph) {
  std::vector<const json::value*> out;
  for (const auto& e : doc.at("traceEvents").items)
    if (e.at("ph").text == ph) out.push_back(&e);
  return out;
}

TEST(trace_chrome, sample_has_metadata_slices_instants_and_flows) {
  json::value doc = export_of(sample_trace());
  ASSERT_EQ(doc.kind, json::value::object);
  EXPECT_EQ(str(doc.at("displayTimeUnit")), "ns");
  ASSERT_EQ(doc.at("traceEvents").kind, json::value::array);

  // Metadata: process names and a thread name per track.
  std::map<std::pair<int, double>, std::string> threads;
  std::map<int, std::string> processes;
  for (const auto* e : events_with(doc, "M")) {
    if (str(e->at("name")) == "process_name")
      processes[static_cast<int>(num(e->at("pid")))] =
          str(e->at("args").at("name"));
    if (str(e->at("name")) == "thread_name")
      threads[{static_cast<int>(num(e->at("pid"))), num(e->at("tid"))}] =
          str(e->at("args").at("name"));
  }
  EXPECT_EQ(processes,
            (std::map<int, std::string>{{1, "processors"}, {2, "workers"}}));
  EXPECT_EQ(threads, (std::map<std::pair<int, double>, std::string>{
                         {{1, 0}, "P0"},
                         {{1, 1}, "P1"},
                         {{2, 1}, "M1"},
                         {{2, 2}, "M2"},
                         {{2, 4294967295.0}, "sysmon/plain threads"}}));

  // Slices: 8 runs, each on its P and on its M.
  auto slices = events_with(doc, "X");
  ASSERT_EQ(slices.size(), 16u);
  std::set<std::tuple<int, double, std::string>> starts;  // pid tid ts
  for (const auto* e : slices) {
    starts.insert({static_cast<int>(num(e->at("pid"))), num(e->at("tid")),
                   e->at("ts").text});
  }
  const json::value* g2 = nullptr;
  for (const auto* e : slices) {
    if (num(e->at("pid")) == 1 && e->at("ts").text == "0.200") g2 = e;
  }
  ASSERT_NE(g2, nullptr);
  EXPECT_EQ(str(g2->at("name")), "worker");
  EXPECT_EQ(num(g2->at("tid")), 0);
  EXPECT_EQ(g2->at("dur").text, "1.000");
  EXPECT_EQ(num(g2->at("args").at("goid")), 2);
  EXPECT_EQ(str(g2->at("args").at("site")), "main.cpp:10");
  EXPECT_EQ(str(g2->at("args").at("function")), "void worker(int)");
  EXPECT_EQ(str(g2->at("args").at("end")), "park: chan receive");
  std::multiset<std::string> names;
  for (const auto* e : slices) names.insert(str(e->at("name")));
  EXPECT_EQ(names.count("G1"), 2u);              // no go_create: no site
  EXPECT_EQ(names.count("main::<lambda>"), 2u);  // G4
  EXPECT_EQ(names.count("worker"), 12u);         // G2 twice, G3 four times

  // Instants on the worker tracks.
  std::multiset<std::string> instants;
  for (const auto* e : events_with(doc, "i")) {
    EXPECT_EQ(num(e->at("pid")), 2);
    EXPECT_EQ(str(e->at("s")), "t");
    instants.insert(str(e->at("name")));
  }
  EXPECT_EQ(instants, (std::multiset<std::string>{
                          "park: sync.WaitGroup.Wait", "park: chan receive",
                          "park: chan receive", "park: sleep", "m_wake",
                          "blocking_begin", "blocking_end", "sysmon: retake"}));

  // Flows: one s and one f per id, same cat, f binds to the slice that
  // starts at its ts on its track.
  std::map<double, const json::value*> s_by_id, f_by_id;
  for (const auto* e : events_with(doc, "s")) {
    EXPECT_TRUE(s_by_id.emplace(num(e->at("id")), e).second);
  }
  for (const auto* e : events_with(doc, "f")) {
    EXPECT_TRUE(f_by_id.emplace(num(e->at("id")), e).second);
    EXPECT_EQ(str(e->at("bp")), "e");
    EXPECT_TRUE(starts.count({static_cast<int>(num(e->at("pid"))),
                              num(e->at("tid")), e->at("ts").text}))
        << e->at("ts").text;
  }
  ASSERT_EQ(s_by_id.size(), 2u);
  ASSERT_EQ(f_by_id.size(), 2u);
  std::map<std::string, std::string> arrows;  // cat -> "from -> to"
  for (const auto& [id, s] : s_by_id) {
    ASSERT_TRUE(f_by_id.count(id));
    const json::value* f = f_by_id[id];
    EXPECT_EQ(str(s->at("cat")), str(f->at("cat")));
    auto where = [](const json::value* e) {
      return e->at("pid").text + "/" + e->at("tid").text + "@" +
             e->at("ts").text;
    };
    arrows[str(s->at("cat"))] = where(s) + " -> " + where(f);
  }
  EXPECT_EQ(arrows, (std::map<std::string, std::string>{
                        {"unpark", "2/1@1.800 -> 1/0@2.400"},
                        {"steal", "1/0@0.600 -> 1/1@0.700"}}));
}

TEST(trace_chrome, nasty_strings_are_escaped) {
  using fmt::ev;
  const std::string file = "we\"ird\\dir\n\x01\x1f\x7f/é.cpp";
  const std::string function =
      "void f(const char* = \"\\\") [with T = \xff\xfe\xc3(\xed\xa0\x80]";
  builder b;
  b.batch(1, 0)
      .ev(ev::site, 0, {1, 5}, {file, function})
      .ev(ev::go_create, 1, {9, 1, 0})
      .ev(ev::go_start, 2, {9, 0})
      .ev(ev::go_end, 3, {9});
  json::value doc = export_of(b.done());
  auto slices = events_with(doc, "X");
  ASSERT_EQ(slices.size(), 2u);
  const json::value& args = slices[0]->at("args");
  EXPECT_EQ(str(args.at("site")), file + ":5");
  EXPECT_EQ(str(args.at("function")),
            "void f(const char* = \"\\\") [with T = \xef\xbf\xbd\xef\xbf\xbd"
            "\xef\xbf\xbd(\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd]");
  EXPECT_EQ(str(slices[0]->at("name")), "f");
}

TEST(trace_chrome, every_byte_value_makes_valid_json) {
  std::string all;
  for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
  for (std::string s :
       {all, std::string("\xf4\x90\x80\x80"), std::string("\xe0\x80\x80"),
        std::string("\xc0\xaf"), std::string("ok \xf0\x9f\x98\x80 \xc3")}) {
    std::ostringstream out;
    gort_trace::write_json_string(out, s);
    EXPECT_NO_THROW(json::parse(out.str())) << out.str();
  }
  std::ostringstream out;
  gort_trace::write_json_string(out, "a\"b\\c\nd\te\x01 \xf0\x9f\x98\x80");
  EXPECT_EQ(out.str(), "\"a\\\"b\\\\c\\nd\\te\\u0001 \xf0\x9f\x98\x80\"");
}

TEST(trace_chrome, the_validator_rejects_invalid_json) {
  for (const char* bad :
       {"", "{", "[1,]", "{\"a\":1,}", "01", "1.", "\"\x01\"", "\"\\x\"",
        "\"\xff\"", "\"\\ud800\"", "[1] x", "{'a':1}", "nul", "-", "1e"}) {
    EXPECT_ANY_THROW(json::parse(bad)) << bad;
  }
  EXPECT_NO_THROW(json::parse(" {\"a\":[1,-2.5e3,true,null,\"\\u00e9\"]} "));
}

TEST(trace_chrome, empty_trace_is_valid_json) {
  json::value doc = export_of(builder().done());
  EXPECT_EQ(events_with(doc, "X").size(), 0u);
  EXPECT_EQ(events_with(doc, "M").size(), 4u);  // the two process names
}

}  // namespace
