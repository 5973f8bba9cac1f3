// "Share Memory by Communicating", the Go codewalk (golang/go,
// doc/codewalk/urlpoll.go and sharemem.xml). A pool of pollers checks a
// list of URLs with HTTP HEAD; a state monitor logs the last status of
// each. Nothing is locked: a Resource is owned by whichever goroutine last
// received it from a channel (here literally: it moves as a unique_ptr),
// and the url -> status map belongs to the monitor's goroutine alone.
// Resources flow pending -> poller -> complete -> sleeper -> pending; a
// Resource whose poll failed sleeps err_timeout longer for each failure in
// a row.
//
// Go's program runs forever on three public sites with fixed constants
// (2 pollers, poll every 60 s, status every 10 s, back-off 10 s). Here the
// constants are arguments and the URLs are the ones given; the context
// passed around exists only so that the check can stop everything (Go's
// program has no stop, and its ctx would be context.Background()).
//
//   urlpoll [--pollers=2] [--poll=60s] [--status=10s] [--errtimeout=10s] URL...
//   urlpoll --check [the same options, scaled down]
//
// --check serves four paths from a local gort::http::server on
// 127.0.0.1:0 (/ok: 200; /missing: 404; /moved: 301 to /ok; /hangup:
// closes the connection without a reply) and polls them. It checks the
// monitor's lines (/ok and /moved "200 OK", /missing "404 Not Found",
// /hangup the error text its "Error" lines show), that successive polls of
// /hangup are spaced by at least poll + errtimeout x err_count, that is,
// growing (lower bounds only: sleeps never end early, so a loaded machine
// cannot fail them), then stops everything and checks that no goroutine is
// left. It exits 1 after describing the first violation on stderr.
#include <gort/gort.hpp>
#include <gort/http.hpp>
#include <gort/net.hpp>

#include "../example.hpp"  // settle (the leak check)

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace http = gort::http;
namespace net = gort::net;
using namespace std::chrono_literals;
using std::chrono::nanoseconds;

// Go's constants, from the command line.
int num_pollers = 2;                // number of poller goroutines to launch
nanoseconds poll_interval = 60s;    // how often to poll each URL
nanoseconds status_interval = 10s;  // how often to log status to stdout
nanoseconds err_timeout = 10s;      // back-off timeout on error

// logln is Go's log.Println: one line on stderr, stamped with the time. As
// Go's log.Logger it serialises its callers with a mutex of its own; the
// check keeps the lines (and when they were written) to read them back.
struct log_entry {
  gort::time_point at;
  std::string text;
};
gort::mutex log_mu;
bool log_keep = false;            // set before any goroutine logs
std::vector<log_entry> log_kept;  // protected by log_mu

void logln(std::string text) {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                      now.time_since_epoch()) %
                  1s;
  std::tm tm{};
  localtime_r(&t, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%H:%M:%S", &tm);
  std::lock_guard lk(log_mu);
  std::fprintf(stderr, "%s.%06lld %s\n", stamp,
               static_cast<long long>(us.count()), text.c_str());
  if (log_keep) log_kept.push_back({std::chrono::steady_clock::now(), text});
}

// send_or_done is `c <- v` and recv_or_done is `<-c`, either given up
// (false, nullopt) once ctx ends: the one change Go's code needs to stop.
template <class C>
bool send_or_done(const gort::context& ctx, const C& c,
                  typename C::value_type v) {
  return gort::select(gort::case_send(c, std::move(v)),
                      gort::case_recv(ctx.done())) == 0;
}
template <class C>
auto recv_or_done(const gort::context& ctx, const C& c) {
  std::optional<typename C::value_type> got;
  gort::select(gort::case_recv(c, [&](auto v) { got = std::move(v); }),
               gort::case_recv(ctx.done()));
  return got;
}

// State represents the last-known state of a URL.
struct State {
  std::string url;
  std::string status;
};

// log_state prints a state map.
void log_state(const std::map<std::string, std::string>& s) {
  logln("Current state:");
  for (const auto& [k, v] : s) logln(" " + k + " " + v);
}

// state_monitor maintains a map that stores the state of the URLs being
// polled, and prints the current state every update_interval. It returns
// a channel to which resource state should be sent.
gort::send_chan<State> state_monitor(gort::context ctx,
                                     nanoseconds update_interval) {
  auto updates = gort::make_chan<State>();
  gort::go([ctx, updates, update_interval] {
    std::map<std::string, std::string> url_status;  // this goroutine's alone
    gort::ticker ticker(update_interval);
    for (bool done = false; !done;) {
      gort::select(gort::case_recv(ticker.c(), [&] { log_state(url_status); }),
                   gort::case_recv(updates,
                                   [&](std::optional<State> s) {
                                     url_status[s->url] = s->status;
                                   }),
                   gort::case_recv(ctx.done(), [&] { done = true; }));
    }
  });
  return updates;
}

// Resource represents an HTTP URL to be polled by this program.
struct Resource {
  std::string url;
  int err_count = 0;

  // poll executes an HTTP HEAD request for url and returns the HTTP status
  // string or an error string.
  std::string poll(const gort::context& ctx) {
    auto [resp, err] = http::head(ctx, url);
    if (err) {
      logln("Error " + url + " " + err.message());
      err_count++;
      return err.message();
    }
    err_count = 0;
    return resp.status_line();
  }

  // sleep sleeps for an appropriate interval (dependent on error state)
  // before sending the Resource to done. Go's is a method on *Resource;
  // here the goroutine that runs it owns the Resource, so it takes it.
  static void sleep(gort::context ctx, std::unique_ptr<Resource> r,
                    gort::send_chan<std::unique_ptr<Resource>> done) {
    if (gort::sleep(ctx, poll_interval + err_timeout * r->err_count)) return;
    send_or_done(ctx, done, std::move(r));
  }
};
using resource_ptr = std::unique_ptr<Resource>;

void poller(gort::context ctx, gort::recv_chan<resource_ptr> in,
            gort::send_chan<resource_ptr> out, gort::send_chan<State> status) {
  while (auto r = recv_or_done(ctx, in)) {  // Go: for r := range in
    std::string s = (*r)->poll(ctx);
    if (!send_or_done(ctx, status, State{(*r)->url, s})) return;
    if (!send_or_done(ctx, out, std::move(*r))) return;
  }
}

// urlpoll is Go's main, until ctx ends.
void urlpoll(gort::context ctx, const std::vector<std::string>& urls) {
  // Create our input and output channels.
  auto pending = gort::make_chan<resource_ptr>();
  auto complete = gort::make_chan<resource_ptr>();

  // Launch the state monitor.
  auto status = state_monitor(ctx, status_interval);

  // Launch some poller goroutines.
  for (int i = 0; i < num_pollers; i++)
    gort::go(poller, ctx, pending, complete, status);

  // Send some Resources to the pending queue, from a goroutine of its own.
  // Sent from here, with fewer pollers than URLs, it would deadlock: each
  // poller takes one Resource, polls it and then blocks sending it on the
  // unbuffered `complete`, which nobody receives yet, because this
  // goroutine is itself blocked sending the next Resource on `pending`,
  // which no poller is free to receive.
  gort::go([ctx, pending, urls] {
    for (const auto& url : urls)
      if (!send_or_done(ctx, pending,
                        std::make_unique<Resource>(Resource{url})))
        return;
  });

  while (auto r = recv_or_done(ctx, complete))  // Go: for r := range complete
    gort::go(Resource::sleep, ctx, std::move(*r), pending);
}

// ---- The check (--check), and the command line: not in Go's program ----

// fail describes a violation on stderr; the check then exits 1.
int fail(const std::string& what) {
  std::fprintf(stderr, "urlpoll --check: FAIL: %s\n", what.c_str());
  return 1;
}

// poll_log is what the kept log lines say about the check's URLs.
struct poll_log {
  std::vector<gort::time_point> hangup_errors;  // when each "Error" line came
  std::vector<std::string> hangup_texts;        // and the error it gave
  std::map<std::string, std::string> state;  // the last full "Current state:"
};

poll_log read_log(const std::vector<log_entry>& lines,
                  const std::string& hangup, std::size_t urls) {
  poll_log p;
  std::map<std::string, std::string> block;
  bool in_block = false;
  for (const auto& [at, text] : lines) {
    const std::string error_prefix = "Error " + hangup + " ";
    if (text.starts_with(error_prefix)) {
      p.hangup_errors.push_back(at);
      p.hangup_texts.push_back(text.substr(error_prefix.size()));
    } else if (text == "Current state:") {
      block.clear();
      in_block = true;
    } else if (in_block && text.starts_with(" ")) {
      const std::size_t sp = text.find(' ', 1);
      block[text.substr(1, sp - 1)] =
          sp == std::string::npos ? "" : text.substr(sp + 1);
      if (block.size() == urls) p.state = block;
    }
  }
  return p;
}

int check() {
  const std::size_t base = gort::num_goroutines();
  http::serve_mux mux;
  mux.handle("/ok", [](http::response_writer& w, const http::request&) {
    w.write("ok\n");
  });
  mux.handle("/missing", http::not_found);
  mux.handle("/moved", [](http::response_writer& w, const http::request&) {
    http::redirect(w, "/ok", 301);
  });
  mux.handle("/hangup", [](http::response_writer& w, const http::request&) {
    w.hijack().conn.close();  // no reply at all
  });
  auto [ln, err] = net::listen("tcp", "127.0.0.1:0");
  if (err) return fail("listen: " + err.message());
  http::server srv(std::ref(mux));
  auto served = gort::make_chan<std::error_code>(1);
  gort::go([&srv, ln = ln, served] { served.send(srv.serve(ln)); });
  const std::string at = "http://" + ln.addr();
  const std::vector<std::string> urls = {at + "/ok", at + "/missing",
                                         at + "/moved", at + "/hangup"};
  std::printf("serving /ok /missing /moved /hangup on %s\n", at.c_str());
  std::fflush(stdout);

  log_keep = true;
  auto [ctx, stop] = gort::with_cancel(gort::context::background());
  auto stopped = gort::make_chan<empty>(1);
  gort::go([ctx = ctx, &urls, stopped] {
    urlpoll(ctx, urls);
    stopped.send(empty{});
  });
  // Poll the log until /hangup has failed four times and the monitor has
  // logged every URL; 60 s at most (generous for a loaded, sanitized run).
  constexpr std::size_t want_errors = 4;
  poll_log seen;
  const auto give_up = std::chrono::steady_clock::now() + 60s;
  bool timed_out = false;
  for (;;) {
    gort::sleep(10ms);
    {
      std::lock_guard lk(log_mu);
      seen = read_log(log_kept, urls[3], urls.size());
    }
    if (seen.hangup_errors.size() >= want_errors &&
        seen.state.size() == urls.size())
      break;
    if (std::chrono::steady_clock::now() > give_up) {
      timed_out = true;
      break;
    }
  }
  stop();
  const bool ended = gort::select(gort::case_recv(stopped),
                                  gort::case_recv(gort::after(10s))) == 0;
  srv.close();
  std::optional<std::error_code> serve_err;
  gort::select(
      gort::case_recv(served,
                      [&](std::optional<std::error_code> e) { serve_err = e; }),
      gort::case_recv(gort::after(10s)));
  if (timed_out)
    return fail("after 60 s: " + std::to_string(seen.hangup_errors.size()) +
                " errors for /hangup, " + std::to_string(seen.state.size()) +
                " URLs in the monitor's state");
  if (!ended) return fail("urlpoll did not stop within 10 s of cancel");
  if (!serve_err) return fail("serve did not return within 10 s of close");

  // The monitor's view.
  const std::pair<std::string, std::string> want[] = {
      {urls[0], "200 OK"}, {urls[1], "404 Not Found"}, {urls[2], "200 OK"}};
  for (const auto& [url, status] : want) {
    if (seen.state[url] != status)
      return fail(url + " is \"" + seen.state[url] + "\", want \"" + status +
                  "\"");
    std::printf("ok: the monitor says %s %s\n", url.c_str(), status.c_str());
  }
  const std::string& hung = seen.state[urls[3]];
  bool logged = false;
  for (const auto& t : seen.hangup_texts) logged = logged || t == hung;
  if (hung.empty() || !logged)
    return fail(urls[3] + " is \"" + hung + "\", not an error it logged");
  std::printf("ok: the monitor says %s %s (an error)\n", urls[3].c_str(),
              hung.c_str());

  // The back-off: after the k-th failure in a row the Resource sleeps
  // poll_interval + err_timeout * k before its next poll.
  for (std::size_t k = 1; k < seen.hangup_errors.size(); ++k) {
    const auto gap = seen.hangup_errors[k] - seen.hangup_errors[k - 1];
    const auto least = poll_interval + err_timeout * static_cast<int>(k);
    const auto ms = [](auto d) {
      return std::to_string(
          std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
    };
    if (gap < least)
      return fail("polls " + std::to_string(k) + " and " +
                  std::to_string(k + 1) + " of /hangup " + ms(gap) +
                  " ms apart, want at least " + ms(least) + " ms");
    std::printf("ok: failures %zu and %zu of /hangup at least %s ms apart\n", k,
                k + 1, ms(least).c_str());
  }

  const std::size_t left = settle(base);
  if (left != base)
    return fail(std::to_string(left - base) + " goroutines left behind");
  std::printf("ok: stopped, no goroutine left\n");
  return 0;
}

// parse_duration reads Go's forms "60s", "250ms", "500us", "2m"; false if
// s is not one.
bool parse_duration(std::string_view s, nanoseconds& out) {
  char* end = nullptr;
  const std::string str(s);
  const double v = std::strtod(str.c_str(), &end);
  const std::string_view unit(end);
  const std::map<std::string_view, double> scale = {{"ns", 1},   {"us", 1e3},
                                                    {"ms", 1e6}, {"s", 1e9},
                                                    {"m", 60e9}, {"h", 3600e9}};
  auto it = scale.find(unit);
  if (end == str.c_str() || v < 0 || it == scale.end()) return false;
  out = nanoseconds(static_cast<long long>(v * it->second));
  return true;
}

int main(int argc, char** argv) {
  bool check_mode = false;
  std::vector<std::string> urls;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    const auto value = a.substr(a.find('=') + 1);
    bool ok = true;
    if (a == "--check") {
      check_mode = true;
    } else if (a.starts_with("--pollers=")) {
      num_pollers = std::atoi(std::string(value).c_str());
      ok = num_pollers > 0;
    } else if (a.starts_with("--poll=")) {
      ok = parse_duration(value, poll_interval);
    } else if (a.starts_with("--status=")) {
      ok = parse_duration(value, status_interval) && status_interval > 0s;
    } else if (a.starts_with("--errtimeout=")) {
      ok = parse_duration(value, err_timeout);
    } else if (a.starts_with("-")) {
      ok = false;
    } else {
      urls.emplace_back(a);
    }
    if (!ok) {
      std::fprintf(stderr, "urlpoll: bad argument %s\n", argv[i]);
      urls.clear();
      check_mode = false;
      break;
    }
  }
  if (!check_mode && urls.empty()) {
    std::fprintf(stderr,
                 "usage: urlpoll [--pollers=2] [--poll=60s] [--status=10s] "
                 "[--errtimeout=10s] URL...\n"
                 "       urlpoll --check [options]\n");
    return 2;
  }
  return gort::run([&] {
    if (check_mode) return check();
    urlpoll(gort::context::background(), urls);  // forever, as Go's
    return 0;
  });
}
