// boring.hpp: Joe and Ann, the talkers of Rob Pike's "Go Concurrency
// Patterns" (Google I/O 2012, go.dev/talks/2012/concurrency.slide), for the
// two fan-in examples (fanin.cpp, select_fanin.cpp), and the listener that
// checks what a fan-in delivers.
#pragma once

#include <gort/gort.hpp>

#include <chrono>
#include <cstdio>
#include <map>
#include <random>
#include <string>

constexpr int kN = 10;

// boring is Pike's generator, except that it says kN things and then closes
// its channel, so that a fan-in can end and be checked.
inline gort::recv_chan<std::string> boring(std::string msg) {
  auto c = gort::make_chan<std::string>();
  gort::go([msg, c] {
    std::minstd_rand rng(msg[0]);
    for (int i = 0; i < kN; i++) {
      c.send(msg + " " + std::to_string(i));
      gort::sleep(std::chrono::milliseconds(1 + rng() % 10));
    }
    c.close();
  });
  return c;
}

// listen prints what c delivers until it is closed, and returns whether
// every message of Joe and Ann came through once, in order per speaker.
inline bool listen(gort::recv_chan<std::string> c) {
  std::map<std::string, int> next;  // speaker -> next number expected
  for (auto s : c) {
    std::printf("%s\n", s.c_str());
    auto space = s.find(' ');
    std::string who = s.substr(0, space);
    int n = std::stoi(s.substr(space + 1));
    if (n != next[who]++) {
      std::fprintf(stderr, "%s: got %d, want %d\n", who.c_str(), n,
                   next[who] - 1);
      return false;
    }
  }
  std::printf("You're both boring; I'm leaving.\n");
  if (next.size() != 2 || next["Joe"] != kN || next["Ann"] != kN) {
    std::fprintf(stderr, "Joe said %d things, Ann %d; want %d each\n",
                 next["Joe"], next["Ann"], kN);
    return false;
  }
  return true;
}
