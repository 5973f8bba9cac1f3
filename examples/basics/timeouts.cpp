// timeouts: a timeout per message, and one for the whole conversation.
//
// Go originals: "Timeout using select" and "Timeout for whole conversation
// using select" from Rob Pike's talk "Go Concurrency Patterns" (Google I/O
// 2012, go.dev/talks/2012/concurrency.slide). time.After returns a channel
// that delivers once; in a select it bounds one wait (a fresh After each
// time round the loop) or, made once outside the loop, the whole loop.
// Pike's 1 s and 5 s become 50 ms and 100 ms. Checked: no timeout fires
// early, none is seconds late (the slack is for loaded, sanitized CI
// runs), and the counts add up. As in Go, Ann is left blocked in a send
// when main stops listening; the program ends with her.
#include <gort/gort.hpp>

#include <chrono>
#include <cstdio>
#include <optional>
#include <random>
#include <string>

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// boring talks with 1-10 ms pauses, then, from message `stall_at` on, not at
// all.
gort::recv_chan<std::string> boring(std::string msg, int stall_at) {
  auto c = gort::make_chan<std::string>();
  gort::go([=] {
    std::minstd_rand rng(7);
    for (int i = 0; i < stall_at; i++) {
      c.send(msg + " " + std::to_string(i));
      gort::sleep(std::chrono::milliseconds(1 + rng() % 10));
    }
  });
  return c;
}

bool fail(const char* what) {
  std::fprintf(stderr, "%s\n", what);
  return false;
}
long ms(Clock::duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

bool per_message() {
  auto c = boring("Joe", 5);  // five messages, then silence
  int got = 0;
  for (;;) {
    auto start = Clock::now();
    bool timed_out = false;
    gort::select(
        gort::case_recv(c,
                        [&](std::optional<std::string> s) {
                          if (s) {
                            std::printf("%s\n", s->c_str());
                            got++;
                          }
                        }),
        gort::case_recv(gort::after(50ms), [&](auto) { timed_out = true; }));
    if (timed_out) {
      std::printf("You're too slow.\n");
      auto waited = Clock::now() - start;
      if (waited < 50ms) return fail("per message: the timeout fired early");
      if (waited > 5s) return fail("per message: the timeout fired very late");
      if (got != 5)
        return fail("per message: want the 5 messages, then the timeout");
      return true;
    }
  }
}

bool whole_conversation() {
  auto c = boring("Ann", 1000);  // talks on and on
  auto start = Clock::now();
  auto timeout = gort::after(100ms);  // one timer for the whole loop
  int got = 0;
  for (bool done = false; !done;) {
    gort::select(gort::case_recv(c, [&](std::optional<std::string>) { got++; }),
                 gort::case_recv(timeout, [&](auto) { done = true; }));
  }
  auto elapsed = Clock::now() - start;
  std::printf("Ann said %s things in 100 ms. You talk too much.\n",
              got > 0 ? "some" : "no");
  if (elapsed < 100ms)
    return fail("whole conversation: the timeout fired early");
  if (elapsed > 5s)
    return fail("whole conversation: the timeout fired very late");
  if (got < 1 || got > ms(elapsed) + 1)
    return fail("whole conversation: implausible count");
  return true;
}

int main() {
  return gort::run(
      [] { return per_message() && whole_conversation() ? 0 : 1; });
}
