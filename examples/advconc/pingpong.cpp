// pingpong: Sameer Ajmani, "Advanced Go Concurrency Patterns" (Google I/O
// 2013, go.dev/talks/2013/advconc.slide), "Example: ping-pong"
// (advconc/pingpong/pingpong.go). Two players hit a ball back and forth
// over an unbuffered channel, the table; main tosses the ball in, lets them
// play, and grabs it back. The ball moves with its ownership (a unique_ptr
// where Go passes a *Ball). Go's 1 s game and 100 ms per hit are arguments
// (ms). Checked, exit 1 if not: the ball was hit at least twice and at most
// (time from toss to grab) / hit times (each hit is followed by a sleep of
// at least `hit` before the ball moves on), and the players took turns (the
// hit counts each player saw have one parity).
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

std::chrono::milliseconds hit_time = 100ms;
int turn_errors = 0;  // owned by whoever holds the ball

void player(std::string name, gort::chan<std::unique_ptr<ball>> table) {
  int parity = -1;  // of this player's hit counts
  for (;;) {
    auto b = *table.recv();
    b->hits++;
    std::printf("%s %d\n", name.c_str(), b->hits);
    if (parity >= 0 && b->hits % 2 != parity) turn_errors++;
    parity = b->hits % 2;
    gort::sleep(hit_time);
    table.send(std::move(b));
  }
}

int main(int argc, char** argv) {
  const std::chrono::milliseconds game(argc > 1 ? std::atoi(argv[1]) : 1000);
  if (argc > 2) hit_time = std::chrono::milliseconds(std::atoi(argv[2]));
  return gort::run([&] {
    auto table = gort::make_chan<std::unique_ptr<ball>>();
    gort::go(player, "ping", table);
    gort::go(player, "pong", table);

    const auto start = std::chrono::steady_clock::now();
    table.send(std::make_unique<ball>());  // game on; toss the ball
    gort::sleep(game);
    auto b = *table.recv();  // game over; grab the ball
    const auto played = std::chrono::steady_clock::now() - start;

    const auto most = static_cast<int>(played / hit_time);
    if (b->hits < 2 || b->hits > most || turn_errors != 0) {
      std::printf("FAIL: %d hits (want 2..%d), %d turns out of order\n",
                  b->hits, most, turn_errors);
      return 1;
    }
    return 0;
  });
}
