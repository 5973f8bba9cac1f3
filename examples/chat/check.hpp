// check.hpp: what the chat programs share outside the talk's code: the
// command line, and the loopback clients with which a program in check
// mode drives its own server.
//
//   prog [--check] [--name=value ...] [address]
//
// Without --check a program serves on address (the talk's localhost:4000)
// until it is killed, and prints "listening on HOST:PORT" first. With
// --check it serves on 127.0.0.1:0, drives itself, prints what it checked,
// and exits 1 after the first violation, which it describes on stderr.
//
// A client waits for what should come for `bound` (10 s, generous for a
// loaded, sanitized run), and returns as soon as it has come; only
// tcp_simple's expect_open waits a fixed time, for what must not come.
#pragma once

#include <gort/gort.hpp>
#include <gort/http.hpp>
#include <gort/net.hpp>

#include "../example.hpp"  // settle (the leak check)

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace check {

using namespace std::chrono_literals;
using std::chrono::nanoseconds;

inline constexpr nanoseconds bound = 10s;

// options is the command line.
struct options {
  bool check = false;
  std::string addr;
  std::map<std::string, std::string, std::less<>> flags;  // --name=value

  // duration reads --name=300ms (ms or s); fallback if absent.
  nanoseconds duration(std::string_view name, nanoseconds fallback) const {
    auto it = flags.find(name);
    if (it == flags.end()) return fallback;
    char* end = nullptr;
    const double v = std::strtod(it->second.c_str(), &end);
    const std::string_view unit(end);
    if (unit == "ms") return nanoseconds(static_cast<long long>(v * 1e6));
    if (unit == "s") return nanoseconds(static_cast<long long>(v * 1e9));
    std::fprintf(stderr, "--%s=%s: want a duration like 300ms or 5s\n",
                 it->first.c_str(), it->second.c_str());
    std::exit(2);
  }
  unsigned long number(std::string_view name, unsigned long fallback) const {
    auto it = flags.find(name);
    return it == flags.end() ? fallback
                             : std::strtoul(it->second.c_str(), nullptr, 10);
  }
};

inline options parse(int argc, char** argv, std::string default_addr) {
  options o;
  o.addr = std::move(default_addr);
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--check") {
      o.check = true;
    } else if (a.starts_with("--") && a.find('=') != a.npos) {
      const auto eq = a.find('=');
      o.flags.emplace(a.substr(2, eq - 2), a.substr(eq + 1));
    } else if (!a.starts_with("--")) {
      o.addr = a;
    } else {
      std::fprintf(stderr, "usage: %s [--check] [--name=value...] [addr]\n",
                   argv[0]);
      std::exit(2);
    }
  }
  if (o.check) o.addr = "127.0.0.1:0";
  return o;
}

// fail reports a violation on stderr and ends the program with status 1.
[[noreturn]] inline void fail(const std::string& what) {
  std::fprintf(stderr, "FAIL: %s\n", what.c_str());
  std::fflush(stdout);
  std::_Exit(1);
}

// ok prints a line of what was checked.
inline void ok(const std::string& what) {
  std::printf("%s\n", what.c_str());
  std::fflush(stdout);
}

inline std::string quoted(std::string_view s) {
  std::string q = "\"";
  for (char ch : s) q += ch == '\n' ? std::string("\\n") : std::string(1, ch);
  return q + "\"";
}

// settled waits (settle(), 10 s at most) until at most want goroutines
// are alive, and fails if more stay.
inline void settled(std::size_t want, std::string_view when) {
  if (const std::size_t n = settle(want); n > want)
    fail(std::string(when) + ": " + std::to_string(n) +
         " goroutines alive, want " + std::to_string(want));
}

// client is one loopback user of the chat server: a TCP connection or a
// WebSocket. Everything it receives goes into one string; expect consumes
// it up to what it waited for.
class client {
 public:
  client(std::string name, gort::net::conn c)
      : conn_(std::move(c)), name_(std::move(name)) {}
  virtual ~client() = default;
  const std::string& name() const { return name_; }

  // say sends text (for a WebSocket, as one message).
  virtual void say(std::string_view text) = 0;
  virtual void close() = 0;

  // expect waits until what has come since the last expect contains want.
  void expect(std::string_view want) {
    with_deadline(bound, [&] {
      for (;;) {
        if (auto at = got_.find(want); at != got_.npos) {
          got_.erase(0, at + want.size());
          return;
        }
        auto [chunk, err] = read_chunk();
        if (err)
          fail(name_ + " waited for " + quoted(want) + ", got " + quoted(got_) +
               " then " + err.message());
        got_ += chunk;
      }
    });
  }

  // next returns what came after the last expect, or the next chunk (for a
  // WebSocket, the next message) if nothing has.
  std::string next() {
    if (!got_.empty()) return std::exchange(got_, {});
    std::string chunk;
    with_deadline(bound, [&] {
      auto [c, err] = read_chunk();
      if (err) fail(name_ + " waited for a message, got " + err.message());
      chunk = std::move(c);
    });
    return chunk;
  }

  // expect_eof waits for the end of the stream: the server closed it.
  void expect_eof() {
    with_deadline(bound, [&] {
      for (;;) {
        auto [chunk, err] = read_chunk();
        got_ += chunk;
        if (err == gort::errc::eof) return;
        if (err)
          fail(name_ + " waited for end of stream, got " + err.message());
      }
    });
  }

  // expect_open checks that the stream stays open for d: tcp_simple's leak.
  void expect_open(nanoseconds d) {
    with_deadline(d, [&] {
      for (;;) {
        auto [chunk, err] = read_chunk();
        got_ += chunk;
        if (err == gort::errc::timeout) return;
        if (err) fail(name_ + " wanted an open stream, got " + err.message());
      }
    });
  }

 protected:
  // read_chunk returns the next bytes received; err errc::eof at the end.
  virtual gort::net::result<std::string> read_chunk() = 0;
  gort::net::conn conn_;  // for the read deadlines

 private:
  template <class F>
  void with_deadline(nanoseconds d, F f) {
    conn_.set_read_deadline(std::chrono::steady_clock::now() + d);
    f();
    conn_.set_read_deadline({});
  }

  std::string name_;
  std::string got_;
};

class tcp_client final : public client {
 public:
  using client::client;
  void say(std::string_view text) override {
    if (auto [n, err] = conn_.write(text); err)
      fail(name() + " could not say " + quoted(text) + ": " + err.message());
  }
  void close() override { conn_.close(); }

 protected:
  gort::net::result<std::string> read_chunk() override {
    std::string buf(4096, '\0');
    auto [n, err] = conn_.read(std::span<char>(buf));
    buf.resize(n);
    return {std::move(buf), n > 0 ? std::error_code() : err};
  }
};

// dial_tcp connects a TCP client to addr.
inline std::unique_ptr<client> dial_tcp(std::string name,
                                        std::string_view addr) {
  auto [c, err] = gort::net::dial_timeout("tcp", addr, bound);
  if (err) fail(name + ": dial " + std::string(addr) + ": " + err.message());
  return std::make_unique<tcp_client>(std::move(name), c);
}

class ws_client final : public client {
 public:
  ws_client(std::string name, gort::http::websocket ws)
      : client(std::move(name), ws.conn()), ws_(std::move(ws)) {}
  void say(std::string_view text) override {
    if (auto err = ws_.write_message(text))
      fail(name() + " could not say " + quoted(text) + ": " + err.message());
  }
  void close() override { ws_.close(); }

 protected:
  gort::net::result<std::string> read_chunk() override {
    auto [m, err] = ws_.read_message();
    return {std::move(m.data), err};
  }

 private:
  gort::http::websocket ws_;
};

// dial_ws connects a WebSocket client to url ("ws://127.0.0.1:PORT/socket").
inline std::unique_ptr<client> dial_ws(std::string name, std::string_view url) {
  auto [ctx, cancel] = gort::with_timeout(gort::context::background(), bound);
  auto [ws, err] = gort::http::websocket::dial(ctx, url);
  cancel();
  if (err) fail(name + ": dial " + std::string(url) + ": " + err.message());
  return std::make_unique<ws_client>(std::move(name), ws);
}
// dialer connects a new client with the given name.
using dialer = std::function<std::unique_ptr<client>(std::string name)>;

// check_pair: a, dialed first, and b meet: both see "Waiting for a
// partner..." and "Found one! Say hi.", and each sees the line the other
// says. Then a leaves, and b must see the end of its stream.
inline void check_pair(const dialer& dial_a, const std::string& a_name,
                       const std::string& a_line, const dialer& dial_b,
                       const std::string& b_name, const std::string& b_line) {
  auto a = dial_a(a_name);
  a->expect("Waiting for a partner...");
  auto b = dial_b(b_name);
  b->expect("Waiting for a partner...");
  a->expect("Found one! Say hi.\n");
  b->expect("Found one! Say hi.\n");
  a->say(a_line);
  b->expect(a_line);
  b->say(b_line);
  a->expect(b_line);
  ok(a_name + " and " + b_name + " see the greetings and each other's lines");
  a->close();
  b->expect_eof();
  ok(a_name + " leaves: " + b_name + " sees end of stream");
  b->close();
}

// check_page fetches "/" from addr and checks that it is the chat page.
inline void check_page(const std::string& addr) {
  gort::http::client c;
  auto [ctx, cancel] = gort::with_timeout(gort::context::background(), bound);
  auto [resp, err] = c.get(ctx, "http://" + addr + "/");
  cancel();
  c.close_idle_connections();
  if (err) fail("GET / : " + err.message());
  if (resp.status != 200 ||
      resp.body.find(R"(new WebSocket("ws://" + location.host + "/socket"))") ==
          std::string::npos)
    fail("GET / : " + resp.status_line() + ", not the chat page: " + resp.body);
  ok("GET / serves the chat page");
}

}  // namespace check
