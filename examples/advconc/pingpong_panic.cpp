// pingpong_panic: Sameer Ajmani, "Advanced Go Concurrency Patterns"
// (Google I/O 2013), "Panic dumps the stacks"
// (advconc/pingpongpanic/pingpongpanic.go): pingpong.cpp ending in
// panic("show me the stacks"). Go's panic prints every goroutine's stack
// and exits with status 2. In gort an exception escaping a goroutine is the
// panic: it prints "panic: <what()>" and the goroutine it escaped, then
// ends the process with status 2. Two differences need a few lines (panic
// below): gort's panic shows only that one goroutine, so the dump of all
// of them (gort::dump, the SIGQUIT format) comes first; and an exception
// from run()'s main goroutine is rethrown by run instead, so the exception
// is thrown from a goroutine of its own. Checked (.exit, .err): status 2,
// the dump showing main running and the two players waiting in "chan
// receive" with `player` in their backtraces, then the panic message. The
// game's 1 s is an argument (ms); hits are 100 ms as in Go.
#include <gort/gort.hpp>
#include <gort/trace.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>

using namespace std::chrono_literals;

// panic is Go's panic(msg) for main: every goroutine's stack, then msg, and
// exit status 2.
[[noreturn]] void panic(const char* msg) {
  std::fflush(stdout);
  gort::dump(std::cerr);
  gort::go([msg] { throw std::runtime_error(msg); });
  gort::select();  // select {}: the panic ends the process
  std::abort();    // not reached
}

struct ball {
  int hits = 0;
};

void player(std::string name, gort::chan<std::unique_ptr<ball>> table) {
  for (;;) {
    auto b = *table.recv();
    b->hits++;
    std::printf("%s %d\n", name.c_str(), b->hits);
    gort::sleep(100ms);
    table.send(std::move(b));
  }
}

int main(int argc, char** argv) {
  const std::chrono::milliseconds game(argc > 1 ? std::atoi(argv[1]) : 1000);
  gort::run([&] {
    auto table = gort::make_chan<std::unique_ptr<ball>>();
    gort::go(player, "ping", table);
    gort::go(player, "pong", table);

    table.send(std::make_unique<ball>());  // game on; toss the ball
    gort::sleep(game);
    table.recv();  // game over; grab the ball

    panic("show me the stacks");
  });
}
