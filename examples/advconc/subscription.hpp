// subscription.hpp: the feed reader of Sameer Ajmani's "Advanced Go
// Concurrency Patterns" (Google I/O 2013, go.dev/talks/2013/advconc.slide;
// the code is golang/talks content/2013/advconc/fakemain/fakemain.go),
// shared by the advconc examples.
//
// A fetcher returns a batch of items and when to fetch next; subscribe turns
// one into a stream (a subscription), merge merges streams, dedupe removes
// repeats. sub's loop is the talk's subject, a for-select loop that owns all
// of its state; the steps the talk builds it in are kept as methods
// (close_only_loop ... loop), so the examples can run each one.
//
// Go's interfaces are abstract classes held by shared_ptr (Go's garbage
// collector keeps a sub alive while its loop runs; here the loop's goroutine
// holds a reference). Go's error is `error` below: nullopt is nil.
// Go's constants (10 s error back-off, 500 ms fake fetch period) are
// variables, set from the programs' arguments before anything runs.
#pragma once

#include <gort/gort.hpp>
#include <gort/trace.hpp>  // dump

#include "../example.hpp"  // empty, settle

#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_set>
#include <utility>
#include <vector>

using namespace std::chrono_literals;
using gort::time_point;

// An item is a stripped-down RSS item.
struct item {
  std::string title, channel, guid;
};

// error is Go's error value: nullopt is nil, else the message.
using error = std::optional<std::string>;

// str prints an error as fmt.Println does: "<nil>" or the message.
inline std::string str(const error& err) { return err ? *err : "<nil>"; }

// A fetcher fetches items and returns the time when the next fetch should be
// attempted. On failure, fetch returns a non-nil error.
struct fetcher {
  virtual ~fetcher() = default;
  virtual std::tuple<std::vector<item>, time_point, error> fetch() = 0;
};
using fetcher_ptr = std::shared_ptr<fetcher>;

// A subscription delivers items over a channel. close cancels the
// subscription, closes the updates channel, and returns the last fetch
// error, if any.
struct subscription {
  virtual ~subscription() = default;
  virtual gort::recv_chan<item> updates() = 0;
  virtual error close() = 0;
};
using subscription_ptr = std::shared_ptr<subscription>;

// Go's constants. fetch_error_delay is the back-off after a failed fetch
// (10 s in the talk); max_pending caps the items a sub holds.
inline std::chrono::nanoseconds fetch_error_delay = 10s;
constexpr std::size_t max_pending = 10;

// sub implements the subscription interface.
class sub : public subscription {
 public:
  explicit sub(fetcher_ptr f) : fetcher_(std::move(f)) {}

  gort::recv_chan<item> updates() override { return updates_; }

  // close asks loop to exit and waits for a response.
  error close() override {
    auto errc = gort::make_chan<error>();
    closing_.send(errc);
    return *errc.recv();
  }

  void close_only_loop();
  void merged_loop();
  void dedupe_loop();
  void capped_loop();
  void loop();

 private:
  fetcher_ptr fetcher_;  // fetches items
  // sends items to the user
  gort::chan<item> updates_ = gort::make_chan<item>();
  // for close
  gort::chan<gort::chan<error>> closing_ = gort::make_chan<gort::chan<error>>();
};

// loop_fn names one of sub's loops (the talk's steps).
using loop_fn = void (sub::*)();

// subscribe returns a new subscription that uses fetcher to fetch items,
// running `loop` (the talk's final loop unless a step is asked for).
inline subscription_ptr subscribe(fetcher_ptr fetcher,
                                  loop_fn loop = &sub::loop) {
  auto s = std::make_shared<sub>(std::move(fetcher));
  gort::go([s, loop] { (s.get()->*loop)(); });
  return s;
}

// close_only_loop is a version of loop that includes only the logic that
// handles close: reply with the last error, close updates, exit.
inline void sub::close_only_loop() {
  error err;  // set when fetch fails
  for (;;) {
    bool done = false;
    gort::select(
        gort::case_recv(closing_, [&](std::optional<gort::chan<error>> errc) {
          errc->send(err);
          updates_.close();  // tells receiver we're done
          done = true;
        }));
    if (done) return;
  }
}

// merged_loop combines the talk's three cases: close; fetch when `next`
// comes (at once the first time: next starts at the epoch); send the first
// pending item, a case disabled by a nil channel while nothing is pending.
inline void sub::merged_loop() {
  std::deque<item> pending;  // appended by fetch; consumed by send
  time_point next;           // initially the clock's epoch
  error err;
  for (;;) {
    std::chrono::nanoseconds fetch_delay{0};
    if (auto now = gort::clock::now(); next > now) fetch_delay = next - now;
    auto start_fetch = gort::after(fetch_delay);
    item first;
    gort::chan<item> updates;  // nil: the send case is disabled
    if (!pending.empty()) {
      first = pending.front();
      updates = updates_;  // enable send case
    }

    bool done = false;
    gort::select(
        gort::case_recv(closing_,
                        [&](std::optional<gort::chan<error>> errc) {
                          errc->send(err);
                          updates_.close();
                          done = true;
                        }),
        gort::case_recv(start_fetch,
                        [&](auto) {
                          std::vector<item> fetched;
                          std::tie(fetched, next, err) = fetcher_->fetch();
                          if (err) {
                            next = gort::clock::now() + fetch_error_delay;
                            return;  // Go's break
                          }
                          pending.insert(pending.end(), fetched.begin(),
                                         fetched.end());
                        }),
        gort::case_send(updates, first, [&] { pending.pop_front(); }));
    if (done) return;
  }
}

// dedupe_loop extends merged_loop with deduping of fetched items: a seen
// set of GUIDs filters items before they are added to pending.
inline void sub::dedupe_loop() {
  std::deque<item> pending;
  time_point next;
  error err;
  std::unordered_set<std::string> seen;  // set of item.guids
  for (;;) {
    std::chrono::nanoseconds fetch_delay{0};
    if (auto now = gort::clock::now(); next > now) fetch_delay = next - now;
    auto start_fetch = gort::after(fetch_delay);
    item first;
    gort::chan<item> updates;
    if (!pending.empty()) {
      first = pending.front();
      updates = updates_;  // enable send case
    }
    bool done = false;
    gort::select(
        gort::case_recv(closing_,
                        [&](std::optional<gort::chan<error>> errc) {
                          errc->send(err);
                          updates_.close();
                          done = true;
                        }),
        gort::case_recv(start_fetch,
                        [&](auto) {
                          std::vector<item> fetched;
                          std::tie(fetched, next, err) = fetcher_->fetch();
                          if (err) {
                            next = gort::clock::now() + fetch_error_delay;
                            return;
                          }
                          for (const item& it : fetched) {
                            if (!seen.contains(it.guid)) {
                              pending.push_back(it);
                              seen.insert(it.guid);
                            }
                          }
                        }),
        gort::case_send(updates, first, [&] { pending.pop_front(); }));
    if (done) return;
  }
}

// capped_loop extends dedupe_loop with a cap on pending: the fetch case's
// channel is nil (the case disabled) while max_pending items wait. (The
// talk's dedupeLoop has both steps; they are two slides.)
inline void sub::capped_loop() {
  std::deque<item> pending;
  time_point next;
  error err;
  std::unordered_set<std::string> seen;
  for (;;) {
    std::chrono::nanoseconds fetch_delay{0};
    if (auto now = gort::clock::now(); next > now) fetch_delay = next - now;
    gort::recv_chan<time_point> start_fetch;  // nil: fetch case disabled
    if (pending.size() < max_pending) {
      start_fetch = gort::after(fetch_delay);  // enable fetch case
    }
    item first;
    gort::chan<item> updates;
    if (!pending.empty()) {
      first = pending.front();
      updates = updates_;  // enable send case
    }
    bool done = false;
    gort::select(
        gort::case_recv(closing_,
                        [&](std::optional<gort::chan<error>> errc) {
                          errc->send(err);
                          updates_.close();
                          done = true;
                        }),
        gort::case_recv(start_fetch,
                        [&](auto) {
                          std::vector<item> fetched;
                          std::tie(fetched, next, err) = fetcher_->fetch();
                          if (err) {
                            next = gort::clock::now() + fetch_error_delay;
                            return;
                          }
                          for (const item& it : fetched) {
                            if (!seen.contains(it.guid)) {
                              pending.push_back(it);
                              seen.insert(it.guid);
                            }
                          }
                        }),
        gort::case_send(updates, first, [&] { pending.pop_front(); }));
    if (done) return;
  }
}

// loop periodically fetches items, sends them on updates_, and exits when
// close is called. It extends capped_loop with running fetch
// asynchronously: a goroutine sends the result on fetch_done (capacity 1,
// so it never blocks, even after loop has gone), the fetch case is disabled
// while fetch_done is non-nil, and a new case receives the result.
inline void sub::loop() {
  struct fetch_result {
    std::vector<item> fetched;
    time_point next;
    error err;
  };
  gort::chan<fetch_result> fetch_done;  // if non-nil, fetch is running
  std::deque<item> pending;
  time_point next;
  error err;
  std::unordered_set<std::string> seen;
  for (;;) {
    std::chrono::nanoseconds fetch_delay{0};
    if (auto now = gort::clock::now(); next > now) fetch_delay = next - now;
    gort::recv_chan<time_point> start_fetch;
    if (fetch_done.nil() && pending.size() < max_pending) {
      start_fetch = gort::after(fetch_delay);  // enable fetch case
    }
    item first;
    gort::chan<item> updates;
    if (!pending.empty()) {
      first = pending.front();
      updates = updates_;  // enable send case
    }
    bool done = false;
    gort::select(
        gort::case_recv(
            start_fetch,
            [&](auto) {
              fetch_done = gort::make_chan<fetch_result>(1);
              // Go's closure reads s.fetcher; this one holds the fetcher
              // itself, which outlives the sub if close comes first.
              gort::go([f = fetcher_, fetch_done] {
                auto [fetched, fetch_next, fetch_err] = f->fetch();
                fetch_done.send({std::move(fetched), fetch_next, fetch_err});
              });
            }),
        gort::case_recv(fetch_done,
                        [&](std::optional<fetch_result> result) {
                          fetch_done = {};  // nil
                          auto& fetched = result->fetched;
                          next = result->next, err = result->err;
                          if (err) {
                            next = gort::clock::now() + fetch_error_delay;
                            return;
                          }
                          for (const item& it : fetched) {
                            if (const auto& id = it.guid; !seen.contains(id)) {
                              pending.push_back(it);
                              seen.insert(id);
                            }
                          }
                        }),
        gort::case_recv(closing_,
                        [&](std::optional<gort::chan<error>> errc) {
                          errc->send(err);
                          updates_.close();
                          done = true;
                        }),
        gort::case_send(updates, first, [&] { pending.pop_front(); }));
    if (done) return;
  }
}

// naive_merge is a version of merge that doesn't quite work right. In
// particular, the goroutines it starts may block forever on updates_ if the
// receiver stops receiving; and close then closes updates_ under them, a
// send on a closed channel (a panic in Go and in gort).
class naive_merge : public subscription,
                    public std::enable_shared_from_this<naive_merge> {
 public:
  explicit naive_merge(std::vector<subscription_ptr> subs)
      : subs_(std::move(subs)) {}

  void start() {
    for (const auto& sub : subs_) {
      gort::go(
          [m = shared_from_this()](subscription_ptr s) {
            for (item it : s->updates()) {
              m->updates_.send(it);
            }
          },
          sub);
    }
  }

  error close() override {
    error err;
    for (const auto& sub : subs_) {
      if (auto e = sub->close(); !err && e) err = e;
    }
    updates_.close();
    return err;
  }

  gort::recv_chan<item> updates() override { return updates_; }

 private:
  std::vector<subscription_ptr> subs_;
  gort::chan<item> updates_ = gort::make_chan<item>();
};

inline subscription_ptr make_naive_merge(std::vector<subscription_ptr> subs) {
  auto m = std::make_shared<naive_merge>(std::move(subs));
  m->start();
  return m;
}

// merge returns a subscription that merges the item streams from subs.
// Closing the merged subscription closes subs: each forwarder selects on
// quit for its receive and for its send, and on quit sends its sub's close()
// to errs and returns.
class merge_sub : public subscription,
                  public std::enable_shared_from_this<merge_sub> {
 public:
  explicit merge_sub(std::vector<subscription_ptr> subs)
      : subs_(std::move(subs)) {}

  void start() {
    for (const auto& sub : subs_) {
      gort::go(
          [m = shared_from_this()](subscription_ptr s) {
            for (;;) {
              item it;
              bool quit = false;
              gort::select(gort::case_recv(s->updates(),
                                           [&](std::optional<item> v) {
                                             if (v) it = std::move(*v);
                                           }),
                           gort::case_recv(m->quit_, [&](auto) {
                             m->errs_.send(s->close());
                             quit = true;
                           }));
              if (quit) return;
              gort::select(gort::case_send(m->updates_, it),
                           gort::case_recv(m->quit_, [&](auto) {
                             m->errs_.send(s->close());
                             quit = true;
                           }));
              if (quit) return;
            }
          },
          sub);
    }
  }

  gort::recv_chan<item> updates() override { return updates_; }

  error close() override {
    quit_.close();
    error err;
    for (std::size_t i = 0; i < subs_.size(); i++) {
      if (auto e = *errs_.recv()) err = e;
    }
    updates_.close();
    return err;
  }

 private:
  std::vector<subscription_ptr> subs_;
  gort::chan<item> updates_ = gort::make_chan<item>();
  gort::chan<empty> quit_ = gort::make_chan<empty>();
  gort::chan<error> errs_ = gort::make_chan<error>();
};

inline subscription_ptr merge(std::vector<subscription_ptr> subs) {
  auto m = std::make_shared<merge_sub>(std::move(subs));
  m->start();
  return m;
}

// naive_dedupe converts a stream of items that may contain duplicates into
// one that doesn't.
inline gort::recv_chan<item> naive_dedupe(gort::recv_chan<item> in) {
  auto out = gort::make_chan<item>();
  gort::go([in, out] {
    std::unordered_set<std::string> seen;
    for (item it : in) {
      if (!seen.contains(it.guid)) {
        // BUG: this send blocks if the receiver closes the subscription and
        // stops receiving.
        out.send(it);
        seen.insert(it.guid);
      }
    }
    out.close();
  });
  return out;
}

// dedupe converts a subscription that may send duplicate items into one
// that doesn't: a loop that toggles its input and output channels to nil,
// so it receives only when it has nothing to send, and answers close in
// either state.
class deduper : public subscription {
 public:
  explicit deduper(subscription_ptr s) : s_(std::move(s)) {}

  void loop() {
    gort::recv_chan<item> in = s_->updates();  // enable receive
    item pending;
    gort::chan<item> out;  // disable send
    std::unordered_set<std::string> seen;
    for (;;) {
      bool done = false;
      gort::select(
          gort::case_recv(in,
                          [&](std::optional<item> it) {
                            if (!it) it.emplace();  // Go's zero Item
                            if (!seen.contains(it->guid)) {
                              pending = *it;
                              in = {};         // disable receive
                              out = updates_;  // enable send
                              seen.insert(it->guid);
                            }
                          }),
          gort::case_send(out, pending,
                          [&] {
                            in = s_->updates();  // enable receive
                            out = {};            // disable send
                          }),
          gort::case_recv(closing_, [&](std::optional<gort::chan<error>> errc) {
            error err = s_->close();
            errc->send(err);
            updates_.close();
            done = true;
          }));
      if (done) return;
    }
  }

  error close() override {
    auto errc = gort::make_chan<error>();
    closing_.send(errc);
    return *errc.recv();
  }

  gort::recv_chan<item> updates() override { return updates_; }

 private:
  subscription_ptr s_;
  gort::chan<item> updates_ = gort::make_chan<item>();
  gort::chan<gort::chan<error>> closing_ = gort::make_chan<gort::chan<error>>();
};

inline subscription_ptr dedupe(subscription_ptr s) {
  auto d = std::make_shared<deduper>(std::move(s));
  gort::go([d] { d->loop(); });
  return d;
}

// The fake fetcher's settings and Go's global random source (math/rand's
// top-level functions share one locked source). fake_period is 500 ms in
// the talk.
inline bool fake_duplicates = false;  // Go's FakeDuplicates
inline std::chrono::nanoseconds fake_period = 500ms;
inline gort::mutex rand_mu;
inline std::mt19937_64 rand_source(1);

inline void seed_rand(unsigned long seed) {
  std::lock_guard lk(rand_mu);
  rand_source.seed(seed);
}

// rand_intn is Go's rand.Intn: 0 <= r < n.
inline int rand_intn(int n) {
  std::lock_guard lk(rand_mu);
  return std::uniform_int_distribution<int>(0, n - 1)(rand_source);
}

// fake_fetcher makes up one new item per fetch, "Item N", and asks to be
// called again 0 to 4 periods later. With fake_duplicates it returns every
// item made so far.
class fake_fetcher : public fetcher {
 public:
  explicit fake_fetcher(std::string channel, bool duplicates = fake_duplicates)
      : channel_(std::move(channel)), duplicates_(duplicates) {}

  std::tuple<std::vector<item>, time_point, error> fetch() override {
    const auto now = gort::clock::now();
    const time_point next = now + rand_intn(5) * fake_period;
    item it{"Item " + std::to_string(items_.size()), channel_, ""};
    it.guid = it.channel + "/" + it.title;
    items_.push_back(it);
    std::vector<item> items;
    if (duplicates_) {
      items = items_;
    } else {
      items = {it};
    }
    return {items, next, std::nullopt};
  }

 private:
  std::string channel_;
  bool duplicates_;
  std::vector<item> items_;
};

// fetch returns a fetcher for items from domain (the fake one).
inline fetcher_ptr fetch(std::string domain) {
  return std::make_shared<fake_fetcher>(std::move(domain));
}

// parked counts the goroutines parked now for reason r (gort::stats).
inline std::size_t parked(gort::wait_reason r) {
  return gort::stats().parked_by_reason[static_cast<std::size_t>(r)];
}

// dump_matching returns the entries of gort::dump whose text contains both
// `state` (as "[chan send") and `site` (a file or function name): the
// goroutines a leak check is about, as Go's panic dump shows them.
inline std::vector<std::string> dump_matching(std::string_view state,
                                              std::string_view site) {
  std::ostringstream out;
  gort::dump(out);
  const std::string text = out.str();
  std::vector<std::string> found;
  std::size_t at = text.find("goroutine ");
  while (at != std::string::npos) {
    std::size_t end = text.find("\ngoroutine ", at + 1);
    std::string entry = text.substr(
        at, end == std::string::npos ? std::string::npos : end + 1 - at);
    if (entry.find(state) != std::string::npos &&
        entry.find(site) != std::string::npos)
      found.push_back(entry);
    at = end == std::string::npos ? end : end + 1;
  }
  return found;
}
