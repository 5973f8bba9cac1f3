// "Concurrency in Go", chapter 3, The sync Package, "Mutex and RWMutex":
// one producer takes the write lock five times while 2^i observers each
// take a lock once, either the RWMutex's read lock (they share it) or its
// write lock (one at a time). The book's table has 20 rows (up to 524,288
// observers); the argument sets the number of rows (default 20; ctest
// passes 12 under the sanitizers, rwmutex_table.sanitized.args).
// Timings vary, so the program checks only that every run completed: the
// producer locked five times and every observer locked once.
#include <gort/gort.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

using namespace std::chrono_literals;
using clk = std::chrono::steady_clock;

std::atomic<long> locked{0};  // locks taken in one test (the check)

template <class L>
void producer(gort::wait_group& wg, L& l) {
  for (int i = 5; i > 0; i--) {
    l.lock();
    locked++;
    l.unlock();
    gort::sleep(1ns);
  }
  wg.done();
}

template <class L>
void observer(gort::wait_group& wg, L& l) {
  std::lock_guard<L> lk(l);
  locked++;
  wg.done();
}

template <class M, class R>
clk::duration test(long count, M& mutex, R& rw_mutex) {
  gort::wait_group wg;
  wg.add(count + 1);
  locked = 0;
  const auto begin_test_time = clk::now();
  gort::go([&] { producer(wg, mutex); });
  for (long i = count; i > 0; i--) gort::go([&] { observer(wg, rw_mutex); });
  wg.wait();
  const auto d = clk::now() - begin_test_time;
  if (locked != count + 5) {
    std::fprintf(stderr, "FAIL: %ld observers: %ld locks, want %ld\n", count,
                 locked.load(), count + 5);
    std::exit(1);
  }
  return d;
}

// go_duration formats d as Go's %v of a time.Duration does (3 decimals).
std::string go_duration(clk::duration d) {
  const double ns = std::chrono::duration<double, std::nano>(d).count();
  char buf[32];
  if (ns < 1e3)
    std::snprintf(buf, sizeof buf, "%.0fns", ns);
  else if (ns < 1e6)
    std::snprintf(buf, sizeof buf, "%.3fµs", ns / 1e3);
  else if (ns < 1e9)
    std::snprintf(buf, sizeof buf, "%.3fms", ns / 1e6);
  else
    std::snprintf(buf, sizeof buf, "%.3fs", ns / 1e9);
  return buf;
}

// pad left-aligns s in a column of width characters (µ is two bytes).
std::string pad(std::string s, std::size_t width) {
  std::size_t chars = 0;
  for (unsigned char ch : s) chars += (ch & 0xC0) != 0x80;
  if (chars < width) s.append(width - chars, ' ');
  return s;
}

int main(int argc, char** argv) {
  const int rows = argc > 1 ? std::atoi(argv[1]) : 20;
  return gort::run([rows] {
    gort::rwmutex m;
    auto rl = m.rlocker();  // Go's m.RLocker()
    std::printf("%-9s%-12s%s\n", "Readers", "RWMutex", "Mutex");
    for (int i = 0; i < rows; i++) {
      const long count = 1L << i;
      const auto rw = test(count, m, rl);
      const auto mu = test(count, m, m);
      std::printf("%-9ld%s%s\n", count, pad(go_duration(rw), 12).c_str(),
                  go_duration(mu).c_str());
    }
    return 0;
  });
}
