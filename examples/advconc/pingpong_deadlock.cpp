// pingpong_deadlock: Sameer Ajmani, "Advanced Go Concurrency Patterns"
// (Google I/O 2013), "Deadlock detection"
// (advconc/pingpongdeadlock/pingpongdeadlock.go): pingpong.cpp with the
// toss commented out. Both players and then main wait to receive from the
// table and nothing else can run: gort's deadlock detector reports it as
// Go's runtime does, "fatal error: all goroutines are asleep - deadlock!"
// with the goroutine dump, and exit status 2 (pingpong_deadlock.exit,
// .err). Nothing is printed on stdout (.out). Go's 1 s wait is an argument
// (ms).
#include <gort/gort.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

using namespace std::chrono_literals;

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
  const std::chrono::milliseconds wait(argc > 1 ? std::atoi(argv[1]) : 1000);
  return gort::run([&] {
    auto table = gort::make_chan<std::unique_ptr<ball>>();
    gort::go(player, "ping", table);
    gort::go(player, "pong", table);

    // table.send(std::make_unique<ball>());  // game on; toss the ball
    gort::sleep(wait);
    table.recv();  // game over; grab the ball
    return 0;
  });
}
