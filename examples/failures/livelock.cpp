// "Concurrency in Go", chapter 1, "Deadlocks, Livelocks, and Starvation":
// Alice and Barbara meet in a hallway. Each steps left, sees the other did
// too, steps back and tries right, in the same cadence, five times each
// way, and gives up: both keep working and neither gets anywhere.
//
// The book's cadence is a cond broadcast every millisecond from a ticker,
// so whether the two stay in step depends on timing. Here the cadence
// ticks when both are waiting for it (a barrier of two), so they always
// move together and the output is exact. Main prints the two people's
// lines in a fixed order after both are done (the book prints them as each
// finishes).
#include <gort/gort.hpp>

#include <atomic>
#include <cstdio>
#include <mutex>
#include <string>

int main() {
  return gort::run([] {
    gort::mutex cadence_l;
    gort::cond cadence;
    int waiting = 0;
    unsigned long tick = 0;
    auto take_step = [&] {
      std::unique_lock<gort::mutex> lk(cadence_l);
      if (++waiting == 2) {  // both are here: the cadence ticks
        waiting = 0;
        tick++;
        cadence.broadcast();
        return;
      }
      const auto t = tick;
      cadence.wait(lk, [&] { return tick != t; });
    };

    auto try_dir = [&](const char* dir_name, std::atomic<int>& dir,
                       std::string& out) {
      out += std::string(" ") + dir_name;
      dir += 1;
      take_step();
      if (dir.load() == 1) {
        out += ". Success!";
        return true;
      }
      take_step();
      dir -= 1;
      return false;
    };

    std::atomic<int> left{0}, right{0};
    auto try_left = [&](std::string& out) {
      return try_dir("left", left, out);
    };
    auto try_right = [&](std::string& out) {
      return try_dir("right", right, out);
    };

    auto walk = [&](gort::wait_group& walking, const std::string& name,
                    std::string& out) {
      out += name + " is trying to scoot:";
      for (int i = 0; i < 5; i++) {
        if (try_left(out) || try_right(out)) {
          walking.done();
          return;
        }
      }
      out += "\n" + name + " tosses her hands up in exasperation!";
      walking.done();
    };

    gort::wait_group people_in_hallway;
    std::string alice, barbara;
    people_in_hallway.add(2);
    gort::go([&] { walk(people_in_hallway, "Alice", alice); });
    gort::go([&] { walk(people_in_hallway, "Barbara", barbara); });
    people_in_hallway.wait();
    std::printf("%s\n%s\n", alice.c_str(), barbara.c_str());
    return 0;
  });
}
