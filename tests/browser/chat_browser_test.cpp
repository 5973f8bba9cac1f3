// chat_browser_test: the chat roulette's web page (examples/chat/http.cpp)
// in a real browser. It starts the chat server in serve mode on
// 127.0.0.1:0, starts Debian's headless Chromium, and drives two pages
// through the DevTools protocol, with gort's own HTTP client and WebSocket
// as the driver: both pages must show "Found one! Say hi.", a line typed
// into one must appear in the other, and when one page closes its
// WebSocket the other must show "Connection closed." (the server closed
// it: chat's fix, through a browser).
//
//   chat_browser_test <path of examples/chat/http>
//
// The protocol, as used here:
//   1. Chromium with --remote-debugging-port=0 prints "DevTools listening
//      on ws://127.0.0.1:PORT/devtools/browser/ID" on stderr.
//   2. PUT http://127.0.0.1:PORT/json/new?URL opens a page on URL and
//      returns its target as JSON, with its webSocketDebuggerUrl.
//   3. On that WebSocket, each command is {"id":N,"method":M,"params":P};
//      the reply carries the same id (events, which carry none, are
//      skipped). Runtime.evaluate reads the page; Input.insertText and
//      Input.dispatchKeyEvent type into it as a user does: the text, then
//      Enter, whose keyup makes the page send the line.
//
// The whole test is bounded (60 s: a watchdog thread ends it); every
// wait in it is bounded too, and returns as soon as what it waits for has
// come. Chromium runs in a process group of its own, which is killed at the
// end whatever happens, and its temporary profile removed. Without
// Chromium the test fails, saying so: CI installs it (tools/deps.sh).
#include <gort/gort.hpp>
#include <gort/http.hpp>
#include <gort/net.hpp>

#include <boost/property_tree/json_parser.hpp>
#include <boost/property_tree/ptree.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

extern char** environ;

using namespace std::chrono_literals;
namespace http = gort::http;
namespace net = gort::net;
namespace pt = boost::property_tree;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr auto test_bound = 60s;  // the whole test
constexpr auto step_bound = 20s;  // one wait: Chromium starting, a page

// What cleanup must undo, also from the watchdog thread.
std::atomic<pid_t> server_pid{-1};
std::atomic<pid_t> browser_pgid{-1};
std::mutex profile_mu;
std::string profile_dir;  // Protected by profile_mu.

// cleanup kills Chromium's process group and the chat server and removes
// the profile. Safe to call twice and from any thread.
void cleanup() {
  if (pid_t g = browser_pgid.exchange(-1); g > 0) {
    ::kill(g, SIGTERM);  // the browser, which ends its helpers
    const auto until = clock_type::now() + 5s;
    while (::waitpid(g, nullptr, WNOHANG) == 0 && clock_type::now() < until)
      std::this_thread::sleep_for(20ms);
    ::kill(-g, SIGKILL);  // what did not go on SIGTERM, helpers included
    ::waitpid(g, nullptr, 0);
  }
  if (pid_t p = server_pid.exchange(-1); p > 0) {
    ::kill(p, SIGKILL);
    ::waitpid(p, nullptr, 0);
  }
  std::lock_guard lock(profile_mu);
  if (!profile_dir.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(profile_dir, ec);
    profile_dir.clear();
  }
}

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "FAIL: %s\n", what.c_str());
  std::fflush(stdout);
  cleanup();
  std::_Exit(1);
}

void ok(const std::string& what) {
  std::printf("%s\n", what.c_str());
  std::fflush(stdout);
}

// watchdog ends the test after test_bound unless disarmed.
class watchdog {
 public:
  watchdog()
      : t_([this] {
          std::unique_lock lock(mu_);
          if (!cv_.wait_for(lock, test_bound, [this] { return done_; }))
            fail("the test took longer than " +
                 std::to_string(test_bound.count()) + " s");
        }) {}
  ~watchdog() {
    {
      std::lock_guard lock(mu_);
      done_ = true;
    }
    cv_.notify_one();
    t_.join();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread t_;
};

// find_program looks name up on PATH, as a shell would.
std::string find_program(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    const std::string file = (dir.empty() ? "." : dir) + "/" + name;
    if (::access(file.c_str(), X_OK) == 0) return file;
  }
  return "";
}

// spawn starts argv with its fd `which` (1 or 2) on a pipe, returned as a
// gort conn; the other standard fds are inherited. own_group puts the
// child in a process group of its own (its pid is the group's id).
net::conn spawn(const std::vector<std::string>& argv, int which, bool own_group,
                pid_t* pid) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    fail("pipe: " + std::string(strerror(errno)));
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[1], which);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  if (own_group) {
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);
  }
  std::vector<char*> args;
  for (const std::string& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const int err = ::posix_spawn(pid, args[0], &fa, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  ::close(fds[1]);
  if (err != 0) fail("spawn " + argv[0] + ": " + strerror(err));
  auto [c, cerr] = net::from_fd(fds[0]);
  if (cerr) fail("from_fd: " + cerr.message());
  return c;
}

// wait_for_line reads c line by line until one contains want, echoing
// every line to stderr with a prefix (for a failure's report); it returns
// that line. Then a goroutine drains the rest, so that the child never
// blocks on a full pipe.
std::string wait_for_line(net::conn c, std::string_view want,
                          const std::string& who) {
  c.set_read_deadline(clock_type::now() + step_bound);
  std::string buf, found;
  while (found.empty()) {
    char chunk[4096];
    auto [n, err] = c.read(std::span<char>(chunk));
    buf.append(chunk, n);
    for (std::size_t nl; (nl = buf.find('\n')) != std::string::npos;) {
      std::string line = buf.substr(0, nl);
      buf.erase(0, nl + 1);
      std::fprintf(stderr, "%s: %s\n", who.c_str(), line.c_str());
      if (found.empty() && line.find(want) != std::string::npos) found = line;
    }
    if (err && found.empty())
      fail(who + " never printed \"" + std::string(want) +
           "\": " + err.message());
  }
  c.set_read_deadline({});
  gort::go([c, who] {
    char chunk[4096];
    for (;;) {
      auto [n, err] = c.read(std::span<char>(chunk));
      if (n > 0)
        std::fprintf(stderr, "%s: %.*s", who.c_str(), static_cast<int>(n),
                     chunk);
      if (err) break;
    }
    c.close();
  });
  return found;
}

std::string json_quote(std::string_view s) {
  std::string q = "\"";
  for (unsigned char ch : s) {
    if (ch == '"' || ch == '\\') {
      q += '\\';
      q += static_cast<char>(ch);
    } else if (ch < 0x20) {
      char esc[8];
      std::snprintf(esc, sizeof esc, "\\u%04x", ch);
      q += esc;
    } else {
      q += static_cast<char>(ch);
    }
  }
  return q + "\"";
}

pt::ptree parse_json(const std::string& text, const std::string& what) {
  pt::ptree tree;
  try {
    std::istringstream in(text);
    pt::read_json(in, tree);
  } catch (const std::exception& e) {
    fail(what + ": not JSON (" + e.what() + "): " + text);
  }
  return tree;
}

// page is one browser tab, driven through its DevTools WebSocket.
class page {
 public:
  page(std::string name, http::websocket ws)
      : name_(std::move(name)), ws_(std::move(ws)) {}
  const std::string& name() const { return name_; }

  // call sends a command and returns its reply's "result".
  pt::ptree call(const std::string& method, const std::string& params) {
    const int id = next_id_++;
    const std::string msg = "{\"id\":" + std::to_string(id) +
                            ",\"method\":" + json_quote(method) +
                            ",\"params\":" + params + "}";
    if (auto err = ws_.write_message(msg))
      fail(name_ + ": send " + method + ": " + err.message());
    ws_.conn().set_read_deadline(clock_type::now() + step_bound);
    for (;;) {
      auto [m, err] = ws_.read_message();
      if (err) fail(name_ + ": reply to " + method + ": " + err.message());
      pt::ptree reply = parse_json(m.data, name_ + ": reply to " + method);
      if (reply.get<int>("id", -1) != id) continue;  // an event
      ws_.conn().set_read_deadline({});
      if (auto e = reply.get_child_optional("error"))
        fail(name_ + ": " + method + ": " + m.data);
      return reply.get_child("result", pt::ptree());
    }
  }

  // eval evaluates a JavaScript expression in the page; its value as text.
  std::string eval(const std::string& expr) {
    pt::ptree r =
        call("Runtime.evaluate", "{\"expression\":" + json_quote(expr) +
                                     ",\"returnByValue\":true}");
    if (r.get_child_optional("exceptionDetails"))
      fail(name_ + ": " + expr + " threw: " +
           r.get<std::string>("exceptionDetails.exception.description", "?"));
    return r.get<std::string>("result.value", "");
  }

  // output is the text of the page's output div ("" before it has loaded).
  std::string output() {
    return eval("(document.getElementById('output') || {}).innerText || ''");
  }

  // wait_for polls the output until it contains want.
  void wait_for(std::string_view want) {
    const auto until = clock_type::now() + step_bound;
    std::string text;
    while ((text = output()).find(want) == std::string::npos) {
      if (clock_type::now() > until)
        fail(name_ + " never showed \"" + std::string(want) +
             "\"; it shows: \"" + text + "\"");
      gort::sleep(50ms);
    }
  }

  // type types text into the input box and presses Enter, as a user does.
  void type(const std::string& text) {
    eval("document.getElementById('input').focus(), ''");
    call("Input.insertText", "{\"text\":" + json_quote(text) + "}");
    const std::string typed = eval("document.getElementById('input').value");
    if (typed != text)
      fail(name_ + ": typed \"" + text + "\", the input holds \"" + typed +
           "\"");
    for (const char* type : {"keyDown", "keyUp"})
      call("Input.dispatchKeyEvent",
           std::string("{\"type\":\"") + type +
               "\",\"key\":\"Enter\",\"code\":\"Enter\","
               "\"windowsVirtualKeyCode\":13,\"nativeVirtualKeyCode\":13}");
  }

 private:
  std::string name_;
  http::websocket ws_;
  int next_id_ = 1;
};

// open_page opens a new tab on url and connects to its DevTools socket.
page open_page(http::client& cl, const std::string& devtools,
               const std::string& url, std::string name) {
  auto [ctx, cancel] =
      gort::with_timeout(gort::context::background(), step_bound);
  auto [resp, err] =
      cl.send(ctx, "PUT", "http://" + devtools + "/json/new?" + url);
  if (err) fail(name + ": PUT /json/new: " + err.message());
  if (resp.status != 200)
    fail(name + ": PUT /json/new: " + resp.status_line() + ": " + resp.body);
  pt::ptree target = parse_json(resp.body, name + ": /json/new");
  const std::string ws_url =
      target.get<std::string>("webSocketDebuggerUrl", "");
  if (ws_url.empty()) fail(name + ": no webSocketDebuggerUrl in " + resp.body);
  auto [ws, werr] = http::websocket::dial(ctx, ws_url);
  cancel();
  if (werr) fail(name + ": dial " + ws_url + ": " + werr.message());
  return page(std::move(name), ws);
}

int run_test(const std::string& chat_program) {
  std::string chromium = find_program("chromium");
  if (const char* env = std::getenv("GORT_CHROMIUM")) chromium = env;
  if (chromium.empty())
    fail(
        "chromium is not installed (not on PATH): this test drives the "
        "chat page in a real browser. Install Debian's chromium "
        "(tools/deps.sh does), or set GORT_CHROMIUM to a Chromium binary.");

  pid_t pid = -1;
  net::conn server_out = spawn({chat_program, "127.0.0.1:0"}, 1, false, &pid);
  server_pid = pid;
  std::string line = wait_for_line(server_out, "listening on ", "chat");
  const std::string chat_addr = line.substr(line.find("listening on ") + 13);
  ok("chat server listening on " + chat_addr);

  char tmpl[] = "/tmp/gort-browser-XXXXXX";
  if (!::mkdtemp(tmpl)) fail("mkdtemp: " + std::string(strerror(errno)));
  {
    std::lock_guard lock(profile_mu);
    profile_dir = tmpl;
  }
  net::conn browser_err =
      spawn({chromium, "--headless=new", "--no-sandbox", "--disable-gpu",
             "--disable-dev-shm-usage", "--no-first-run",
             "--no-default-browser-check", "--disable-extensions",
             "--remote-debugging-port=0",
             std::string("--user-data-dir=") + tmpl, "about:blank"},
            2, true, &pid);
  browser_pgid = pid;
  line = wait_for_line(browser_err, "DevTools listening on ws://", "chromium");
  const std::size_t at = line.find("ws://") + 5;
  const std::string devtools = line.substr(at, line.find('/', at) - at);
  ok("chromium's DevTools listening on " + devtools);

  http::client cl;
  const std::string url = "http://" + chat_addr + "/";
  page p1 = open_page(cl, devtools, url, "page 1");
  p1.wait_for("Waiting for a partner...");
  page p2 = open_page(cl, devtools, url, "page 2");
  p1.wait_for("Found one! Say hi.");
  p2.wait_for("Found one! Say hi.");
  ok("both pages show \"Waiting for a partner...\" and \"Found one! Say hi.\"");
  p1.type("hello from page 1");
  p2.wait_for("hello from page 1");
  p2.type("hi from page 2");
  p1.wait_for("hi from page 2");
  ok("a line typed into one page appears in the other, both ways");
  p1.eval("websocket.close(), ''");
  p2.wait_for("Connection closed.");
  ok("page 1 closes its socket: page 2 shows \"Connection closed.\"");
  cl.close_idle_connections();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <examples/chat/http program>\n", argv[0]);
    return 2;
  }
  int rc;
  {
    watchdog w;
    rc = gort::run([&] { return run_test(argv[1]); });
    cleanup();
  }
  if (rc == 0) ok("PASS");
  return rc;
}
