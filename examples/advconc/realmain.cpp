// realmain: the feed reader with a real RSS fetcher, from Sameer Ajmani's
// "Advanced Go Concurrency Patterns" (Google I/O 2013,
// advconc/realmain/realmain.go): subscribe, merge and the final loop of
// subscription.hpp, with a fetcher that GETs an RSS feed over HTTP
// (gort::http::client, Go's http.DefaultClient under go-pkg-rss), parses it
// (Boost.PropertyTree's XML parser), prints "fetching <uri>" as Go's does,
// and asks to be called again after a refresh interval (go-pkg-rss's
// minimum of 1 minute in Go; an argument here).
//
// With URLs as arguments it reads those feeds (http:// only) and closes
// after a while, as Go's main. Without, it checks itself against a local
// server (gort::http::server on 127.0.0.1:0) it starts, whose feeds are
// made up per request:
//   /feeds/<name>  items n-2, n-1 and n on the n-th request: the feed
//                  changes between fetches and repeats items
//   /slow/<name>   the same, answered after `slow` ms
//   /fail/<name>   "500 Internal Server Error"
// and merges one subscription of each. Checked, exit 1 if not: the good
// feed delivered Item 0, 1, 2, ... in order, each once (the loop's seen set
// drops the repeats), the slow feed delivered items and none twice; close,
// made while a slow request is in flight, returned before that request was
// answered and within half the slow delay; the failing feed was retried no
// sooner than the error back-off; close returned the failing feed's error
// (the last error); and once the in-flight request ends and the server is
// closed no goroutine is left.
//
// Arguments: refresh ms [60000], error back-off ms [10000], slow ms [-],
// close after ms [3000], then feed URLs (none: the check).
#include "subscription.hpp"

#include <gort/http.hpp>

// rapidxml keeps a 64 KiB pool inside the document it parses into, on the
// caller's stack: more than a goroutine's stack (64 KiB by default), and a
// frame that large can step over the guard page. A 1 KiB pool moves the rest
// of the parse's memory to the heap.
#define BOOST_PROPERTY_TREE_RAPIDXML_STATIC_POOL_SIZE 1024
#include <boost/property_tree/ptree.hpp>
#include <boost/property_tree/xml_parser.hpp>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace http = gort::http;

std::chrono::milliseconds refresh = 60s;

gort::http::client& default_client() {
  static gort::http::client c;  // Go's http.DefaultClient
  return c;
}

// rss_fetcher fetches the items of one RSS feed.
class rss_fetcher : public fetcher {
 public:
  explicit rss_fetcher(std::string uri) : uri_(std::move(uri)) {}

  std::tuple<std::vector<item>, time_point, error> fetch() override {
    std::printf("fetching %s\n", uri_.c_str());
    auto [ctx, cancel] = gort::with_timeout(gort::context::background(), 10s);
    auto [resp, err] = default_client().get(ctx, uri_);
    cancel();
    if (err) return {{}, {}, "GET " + uri_ + ": " + err.message()};
    if (resp.status != 200)
      return {{}, {}, "GET " + uri_ + ": " + resp.status_line()};
    std::vector<item> items;
    try {
      boost::property_tree::ptree feed;
      std::istringstream body(resp.body);
      boost::property_tree::read_xml(body, feed);
      const auto& channel = feed.get_child("rss.channel");
      const auto title = channel.get<std::string>("title");
      for (const auto& [name, it] : channel) {
        if (name == "item")
          items.push_back({it.get<std::string>("title"), title,
                           it.get<std::string>("guid")});
      }
    } catch (const boost::property_tree::ptree_error& e) {
      return {{}, {}, "rss: " + uri_ + ": " + e.what()};
    }
    return {items, gort::clock::now() + refresh, std::nullopt};
  }

 private:
  std::string uri_;
};

fetcher_ptr new_fetcher(std::string uri) {
  return std::make_shared<rss_fetcher>(std::move(uri));
}

// feed_server is the check's local server and what it saw.
struct feed_server {
  std::chrono::milliseconds slow{1000};
  gort::mutex mu;
  // Guarded by mu:
  std::map<std::string, int> requests;  // per path
  std::vector<time_point> failures;     // when /fail/ was requested
  int slow_in_flight = 0;               // /slow/ requests being answered

  void serve(http::response_writer& w, const http::request& r) {
    const std::string path = r.path;
    int n;
    {
      std::lock_guard lk(mu);
      n = requests[path]++;
      if (path.starts_with("/fail/")) failures.push_back(gort::clock::now());
      if (path.starts_with("/slow/")) slow_in_flight++;
    }
    if (path.starts_with("/fail/")) {
      w.write_header(500);
      w.write("feed unavailable\n");
      return;
    }
    if (path.starts_with("/slow/")) {
      gort::sleep(slow);
      std::lock_guard lk(mu);
      slow_in_flight--;
    }
    const std::string name = path.substr(path.rfind('/') + 1);
    std::string rss = "<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel>";
    rss += "<title>" + name + "</title>";
    for (int k = std::max(0, n - 2); k <= n; k++) {
      rss += "<item><title>Item " + std::to_string(k) + "</title><guid>" +
             name + "/" + std::to_string(k) + "</guid></item>";
    }
    rss += "</channel></rss>\n";
    w.header().set("Content-Type", "application/rss+xml");
    w.write(rss);
  }

  int in_flight() {
    std::lock_guard lk(mu);
    return slow_in_flight;
  }
};

int failures = 0;

void check(bool ok, const std::string& what) {
  std::printf("%s%s\n", ok ? "check: " : "FAIL: ", what.c_str());
  failures += !ok;
}

// close_probe is the check's view of close: it waits for ready() before
// closing, then records how long close took and whether ready() still held.
struct close_probe {
  std::function<bool()> ready;
  std::chrono::nanoseconds took{0};
  bool ready_after = false;
};

// read_feeds is Go's main: merge the subscriptions, close them after a
// while, print every item. It returns the items and close's result.
std::pair<std::vector<item>, error> read_feeds(
    std::vector<std::string> uris, std::chrono::milliseconds close_after,
    close_probe* probe = nullptr) {
  // Subscribe to some feeds, and create a merged update stream.
  std::vector<subscription_ptr> subs;
  for (auto& uri : uris) subs.push_back(subscribe(new_fetcher(uri)));
  auto merged = merge(subs);

  // Close the subscriptions after some time.
  auto closed = gort::make_chan<error>(1);
  gort::go([=] {
    gort::sleep(close_after);
    const auto deadline = gort::clock::now() + 10s;
    while (probe && !probe->ready() && gort::clock::now() < deadline)
      gort::sleep(1ms);
    const auto start = gort::clock::now();
    error err = merged->close();
    if (probe) {
      probe->took = gort::clock::now() - start;
      probe->ready_after = probe->ready();
    }
    std::printf("closed: %s\n", str(err).c_str());
    closed.send(err);
  });

  // Print the stream.
  std::vector<item> items;
  for (item it : merged->updates()) {
    std::printf("%s %s\n", it.channel.c_str(), it.title.c_str());
    items.push_back(it);
  }
  return {items, *closed.recv()};
}

int check_main(std::chrono::milliseconds slow,
               std::chrono::milliseconds close_after) {
  const std::size_t baseline = gort::num_goroutines();
  feed_server fs;
  fs.slow = slow;
  auto [ln, lerr] = gort::net::listen("tcp", "127.0.0.1:0");
  if (lerr) return std::printf("listen: %s\n", lerr.message().c_str()), 1;
  http::server srv([&fs](http::response_writer& w, const http::request& r) {
    fs.serve(w, r);
  });
  auto served = gort::make_chan<std::error_code>(1);
  gort::go([&srv, ln = ln, served] { served.send(srv.serve(ln)); });
  const std::string base = "http://" + ln.addr();
  const std::string good = "blog.golang.org",
                    slowly = "googleblog.blogspot.com",
                    failing = "googledevelopers.blogspot.com";

  // Close while a slow request is in flight.
  close_probe probe{[&] { return fs.in_flight() > 0; }};
  auto [items, err] =
      read_feeds({base + "/feeds/" + good, base + "/slow/" + slowly,
                  base + "/fail/" + failing},
                 close_after, &probe);

  std::map<std::string, std::vector<std::string>> titles;
  std::set<std::string> guids;
  int repeats = 0;
  for (const item& it : items) {
    titles[it.channel].push_back(it.title);
    repeats += !guids.insert(it.guid).second;
  }
  bool ordered = !titles[good].empty();
  for (std::size_t i = 0; i < titles[good].size(); i++)
    ordered &= titles[good][i] == "Item " + std::to_string(i);
  check(ordered, "the changing feed delivered Item 0, 1, 2, ... once each");
  check(!titles[slowly].empty() && repeats == 0,
        "the slow feed delivered items, and no item came twice");
  check(probe.ready_after && probe.took < slow / 2,
        "close returned during a slow request, within half its delay");
  std::vector<time_point> tried;
  {
    std::lock_guard lk(fs.mu);
    tried = fs.failures;
  }
  bool spaced = tried.size() >= 2;
  for (std::size_t i = 1; spaced && i < tried.size(); i++)
    spaced = tried[i] - tried[i - 1] >= fetch_error_delay;
  check(spaced, "the failing feed was retried after the error back-off");
  const std::string want =
      "GET " + base + "/fail/" + failing + ": 500 Internal Server Error";
  check(err == want, "close returned the last error: " + want);

  // The in-flight request ends; then the server and the client's idle
  // connections are closed, and nothing may be left.
  const bool answered = [&] {
    const auto deadline = gort::clock::now() + 10s;
    while (fs.in_flight() > 0 && gort::clock::now() < deadline)
      gort::sleep(1ms);
    return fs.in_flight() == 0;
  }();
  gort::sleep(100ms);  // the fetch goroutine delivers its late result
  srv.close();
  const std::error_code serve_err = *served.recv();
  default_client().close_idle_connections();
  check(answered && serve_err == http::error::server_closed &&
            settle(baseline) <= baseline,
        "after close and the server's, no goroutine is left");
  return failures == 0 ? 0 : 1;
}

int main(int argc, char** argv) {
  if (argc > 1) refresh = std::chrono::milliseconds(std::atoi(argv[1]));
  if (argc > 2)
    fetch_error_delay = std::chrono::milliseconds(std::atoi(argv[2]));
  const std::chrono::milliseconds slow(argc > 3 ? std::atoi(argv[3]) : 1000);
  const std::chrono::milliseconds close_after(argc > 4 ? std::atoi(argv[4])
                                                       : 3000);
  std::vector<std::string> uris(argv + std::min(argc, 5), argv + argc);
  return gort::run([&] {
    if (uris.empty()) return check_main(slow, close_after);
    read_feeds(uris, close_after);
    return 0;
  });
}
