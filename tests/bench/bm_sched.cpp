// tests/bench/bm_sched.cpp: micro-benchmarks of the scheduler (sched/), each
// family beside a std::thread baseline (STYLE.md, "Benchmarks").
//
//   family        gort                     baseline(s)
//   spawn         bm_sched_spawn           bm_thread_spawn
//   yield         bm_sched_yield           bm_thread_yield,
//                                          bm_thread_condvar_pingpong
//   park/ready    bm_sched_park_ready      bm_thread_semaphore_pingpong,
//                                          bm_thread_condvar_pingpong
//   skynet        bm_sched_skynet          bm_thread_skynet (10,000 leaves)
//   fib           bm_sched_fib             bm_serial_fib, bm_thread_fib
//   sleepers      bm_sched_sleepers        bm_thread_sleepers (1,000 threads)
//   parked RSS    bm_sched_parked_rss      bm_thread_parked_rss (1,000)
//
// The gort cases take the processor count as their argument (procs_sweep:
// /procs:1 and /procs:2); thread baselines do not, the OS decides.
//
// How the runtime runs. Each gort benchmark calls gort::set_maxprocs(procs)
// and then runs its whole timing loop inside gort::run([&] { ... }), so the
// loop runs on a main goroutine and may park (a latch wait) like any Go main.
// run may be called again and again; the runtime stays up between calls. The
// alternative, one gort::run around benchmark::RunSpecifiedBenchmarks(),
// would run the std::thread baselines on a goroutine too, where their
// blocking waits would block a worker and so skew the baselines; and the
// processor count could not change between benchmarks. Because a goroutine
// may move between worker threads, the CPU time that Google Benchmark takes
// from the thread's clock is not meaningful for the gort cases: every
// benchmark uses UseRealTime() (or, for the RSS ones, manual wall time).
//
// Items. items_per_second counts, per family: goroutines (or threads)
// started and finished; yields of one party, which is one round trip at
// procs 1; ping-pong round trips (two park/ready pairs, or two hand-offs);
// skynet nodes; fib(32) computations; sleepers; parked goroutines.
//
// Parked RSS runs in a child process (this binary re-executed with
// --rss-child ...), so that each measurement starts from a fresh process:
// in this one, stacks and goroutines left cached by earlier benchmarks would
// hide the cost.
#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <latch>
#include <mutex>
#include <optional>
#include <semaphore>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gort/sched.hpp>
#include "fib.hpp"
#include "in_gort.hpp"
#include "sched/internal/latch.hpp"
#include "sched/internal/wait_queue.hpp"

extern char** environ;

namespace {

using gort::internal::latch;
using std::chrono::milliseconds;

using gort_bench::in_gort;
using gort_bench::procs_sweep;

double now_ms() {
  using namespace std::chrono;
  return duration<double, std::milli>(steady_clock::now().time_since_epoch())
      .count();
}

long rss_kb() {
  long size = 0, res = 0;
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return -1;
  const int got = std::fscanf(f, "%ld %ld", &size, &res);
  std::fclose(f);
  return got == 2 ? res * (sysconf(_SC_PAGESIZE) / 1024) : -1;
}

// ---------------------------------------------------------------- spawn

constexpr long kSpawnBatch = 10000;     // goroutines per iteration
constexpr int kThreadSpawnBatch = 100;  // threads per iteration

// bm_sched_spawn: start kSpawnBatch goroutines that count down a latch and
// wait for all of them.
void bm_sched_spawn(benchmark::State& state) {
  in_gort(state, [&] {
    for (auto _ : state) {
      latch wg(kSpawnBatch);
      for (long i = 0; i < kSpawnBatch; ++i)
        gort::go([&wg] { wg.count_down(); });
      wg.wait();
    }
  });
  state.SetItemsProcessed(state.iterations() * kSpawnBatch);
}
BENCHMARK(bm_sched_spawn)->Apply(procs_sweep);

// bm_thread_spawn: the same with std::thread create + join.
void bm_thread_spawn(benchmark::State& state) {
  std::vector<std::thread> threads;
  threads.reserve(kThreadSpawnBatch);
  std::atomic<long> ran{0};
  for (auto _ : state) {
    for (int i = 0; i < kThreadSpawnBatch; ++i)
      threads.emplace_back(
          [&ran] { ran.fetch_add(1, std::memory_order_relaxed); });
    for (auto& t : threads) t.join();
    threads.clear();
  }
  if (ran.load() != state.iterations() * kThreadSpawnBatch)
    state.SkipWithError("a thread did not run");
  state.SetItemsProcessed(state.iterations() * kThreadSpawnBatch);
}
BENCHMARK(bm_thread_spawn)->UseRealTime();

// ---------------------------------------------------------------- yield

// bm_sched_yield: two goroutines both loop on gort::yield(); one iteration
// is one yield of the main goroutine. At procs 1 that is a pure switch round
// trip (main -> partner -> main); at procs 2 the partner may be stolen and
// each yields on its own processor.
void bm_sched_yield(benchmark::State& state) {
  in_gort(state, [&] {
    std::atomic<bool> stop{false};
    latch done(1);
    gort::go([&] {
      while (!stop.load(std::memory_order_relaxed)) gort::yield();
      done.count_down();
    });
    for (auto _ : state) gort::yield();
    stop.store(true, std::memory_order_relaxed);
    done.wait();
  });
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(bm_sched_yield)->Apply(procs_sweep);

// bm_thread_yield: two threads both loop on std::this_thread::yield().
void bm_thread_yield(benchmark::State& state) {
  std::atomic<bool> stop{false};
  std::thread partner([&] {
    while (!stop.load(std::memory_order_relaxed)) std::this_thread::yield();
  });
  for (auto _ : state) std::this_thread::yield();
  stop.store(true, std::memory_order_relaxed);
  partner.join();
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(bm_thread_yield)->UseRealTime();

// bm_thread_condvar_pingpong: two threads hand a turn back and forth through
// one std::mutex and std::condition_variable; one iteration is one round
// trip. The baseline of both yield and park/ready.
void bm_thread_condvar_pingpong(benchmark::State& state) {
  std::mutex mu;
  std::condition_variable cv;
  int turn = 0;       // guarded by mu: 1 = the partner's turn
  bool stop = false;  // guarded by mu
  std::thread partner([&] {
    std::unique_lock lock(mu);
    for (;;) {
      cv.wait(lock, [&] { return turn == 1 || stop; });
      if (stop) return;
      turn = 0;
      cv.notify_all();
    }
  });
  for (auto _ : state) {
    std::unique_lock lock(mu);
    turn = 1;
    cv.notify_all();
    cv.wait(lock, [&] { return turn == 0; });
  }
  {
    std::lock_guard lock(mu);
    stop = true;
  }
  cv.notify_all();
  partner.join();
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(bm_thread_condvar_pingpong)->UseRealTime();

// ---------------------------------------------------------------- park/ready

// handoff is a counting semaphore built directly on a wait_queue: acquire()
// parks the caller (block) when no token is there, release() readies the
// first waiter (wake) or leaves a token. It is the shape of every sync type
// (sema.go), without their fast paths, so it measures park() + ready().
class handoff {
 public:
  void acquire() noexcept {
    q_.lock.lock();
    if (tokens_ > 0) {
      --tokens_;
      q_.lock.unlock();
      return;
    }
    gort::internal::waiter w;
    q_.push_back(&w);
    gort::internal::block(w, q_.lock, gort::wait_reason::internal_wait);
  }
  void release() noexcept {
    q_.lock.lock();
    gort::internal::waiter* w = q_.pop_front();
    if (w == nullptr) {
      ++tokens_;
      q_.lock.unlock();
      return;
    }
    q_.lock.unlock();
    gort::internal::wake(*w);  // never with the lock held (W2)
  }

 private:
  gort::internal::wait_queue q_;
  long tokens_ = 0;  // protected by q_.lock
};

// bm_sched_park_ready: two goroutines ping-pong through two handoffs; one
// iteration is one round trip, i.e. two park/ready pairs.
void bm_sched_park_ready(benchmark::State& state) {
  in_gort(state, [&] {
    handoff ping, pong;
    std::atomic<bool> stop{false};
    latch done(1);
    gort::go([&] {
      for (;;) {
        ping.acquire();
        if (stop.load(std::memory_order_relaxed)) break;
        pong.release();
      }
      done.count_down();
    });
    for (auto _ : state) {
      ping.release();
      pong.acquire();
    }
    stop.store(true, std::memory_order_relaxed);  // before release: ordered
    ping.release();                               // by ping's lock
    done.wait();
  });
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(bm_sched_park_ready)->Apply(procs_sweep);

// bm_thread_semaphore_pingpong: the same with two std::binary_semaphore
// between two threads.
void bm_thread_semaphore_pingpong(benchmark::State& state) {
  std::binary_semaphore ping{0}, pong{0};
  std::atomic<bool> stop{false};
  std::thread partner([&] {
    for (;;) {
      ping.acquire();
      if (stop.load(std::memory_order_relaxed)) return;
      pong.release();
    }
  });
  for (auto _ : state) {
    ping.release();
    pong.acquire();
  }
  stop.store(true, std::memory_order_relaxed);
  ping.release();
  partner.join();
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(bm_thread_semaphore_pingpong)->UseRealTime();

// ---------------------------------------------------------------- skynet

constexpr long kSkynetLeaves = 1000000;      // 1,111,111 nodes
constexpr long kThreadSkynetLeaves = 10000;  // 11,111 threads

constexpr long skynet_nodes(long leaves) {
  return leaves == 1 ? 1 : 1 + 10 * skynet_nodes(leaves / 10);
}

// skynet_node sums the numbers [num, num + size) as a 10-ary tree of
// goroutines: a leaf reports its number, a parent starts its 10 children,
// waits for them on a latch on its own stack and reports their sum. (Go's
// skynet sends the sums on channels; a latch and a slot per child stand in
// until channels exist.)
void skynet_node(long num, long size, long* out, latch* done) {
  if (size == 1) {
    *out = num;
    done->count_down();
    return;
  }
  long sums[10] = {};
  latch children(10);
  const long child = size / 10;
  for (long i = 0; i < 10; ++i)
    gort::go(skynet_node, num + i * child, child, &sums[i], &children);
  children.wait();
  long sum = 0;
  for (long s : sums) sum += s;
  *out = sum;
  done->count_down();
}

// bm_sched_skynet: skynet with 1,000,000 leaves; checks 499999500000.
void bm_sched_skynet(benchmark::State& state) {
  in_gort(state, [&] {
    for (auto _ : state) {
      long sum = 0;
      latch done(1);
      skynet_node(0, kSkynetLeaves, &sum, &done);
      done.wait();
      if (sum != kSkynetLeaves * (kSkynetLeaves - 1) / 2) {
        state.SkipWithError("skynet: wrong sum");
        break;
      }
    }
  });
  state.SetItemsProcessed(state.iterations() * skynet_nodes(kSkynetLeaves));
}
BENCHMARK(bm_sched_skynet)->Apply(procs_sweep)->Unit(benchmark::kMillisecond);

long skynet_thread(long num, long size) {
  if (size == 1) return num;
  long sums[10] = {};
  std::vector<std::thread> children;
  children.reserve(10);
  const long child = size / 10;
  for (long i = 0; i < 10; ++i)
    children.emplace_back([&sums, i, num, child] {
      sums[i] = skynet_thread(num + i * child, child);
    });
  for (auto& t : children) t.join();
  long sum = 0;
  for (long s : sums) sum += s;
  return sum;
}

// bm_thread_skynet: the same tree of std::threads, 100x smaller (11,111
// threads; a million would not fit).
void bm_thread_skynet(benchmark::State& state) {
  for (auto _ : state) {
    const long sum = skynet_thread(0, kThreadSkynetLeaves);
    if (sum != kThreadSkynetLeaves * (kThreadSkynetLeaves - 1) / 2) {
      state.SkipWithError("skynet: wrong sum");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() *
                          skynet_nodes(kThreadSkynetLeaves));
}
BENCHMARK(bm_thread_skynet)->UseRealTime()->Unit(benchmark::kMillisecond);

// ---------------------------------------------------------------- fib

constexpr long kFibN = 32;
constexpr long kFibCutoff = gort_bench::fib_cutoff;
constexpr long kFib32 = 2178309;

using gort_bench::fib_par;
using gort_bench::fib_serial;

long fib_thread(long n) {
  if (n <= kFibCutoff) return fib_serial(n);
  long x = 0;
  std::thread t([&x, n] { x = fib_thread(n - 1); });
  const long y = fib_thread(n - 2);
  t.join();
  return x + y;
}

// bm_sched_fib: fork-join fib(32), cutoff 20 (376 goroutines per run).
void bm_sched_fib(benchmark::State& state) {
  in_gort(state, [&] {
    for (auto _ : state) {
      const long r = fib_par(kFibN);
      if (r != kFib32) {
        state.SkipWithError("fib: wrong result");
        break;
      }
    }
  });
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(bm_sched_fib)->Apply(procs_sweep)->Unit(benchmark::kMillisecond);

// bm_serial_fib: plain recursive fib(32) on this thread.
void bm_serial_fib(benchmark::State& state) {
  for (auto _ : state) {
    long r = fib_serial(kFibN);
    benchmark::DoNotOptimize(r);
    if (r != kFib32) {
      state.SkipWithError("fib: wrong result");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(bm_serial_fib)->UseRealTime()->Unit(benchmark::kMillisecond);

// bm_thread_fib: the same fork-join with a std::thread per fork (376).
void bm_thread_fib(benchmark::State& state) {
  for (auto _ : state) {
    if (fib_thread(kFibN) != kFib32) {
      state.SkipWithError("fib: wrong result");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(bm_thread_fib)->UseRealTime()->Unit(benchmark::kMillisecond);

// ---------------------------------------------------------------- sleepers

constexpr long kSleepers = 100000;
constexpr int kThreadSleepers = 1000;
constexpr double kSleepMs = 10.0;

// bm_sched_sleepers: 100,000 goroutines each sleep 10 ms, then count down;
// counter overhead_ms = mean time per iteration - 10 ms.
void bm_sched_sleepers(benchmark::State& state) {
  double total_ms = 0;
  in_gort(state, [&] {
    for (auto _ : state) {
      const double t0 = now_ms();
      latch wg(kSleepers);
      for (long i = 0; i < kSleepers; ++i)
        gort::go([&wg] {
          gort::sleep(milliseconds(10));
          wg.count_down();
        });
      wg.wait();
      total_ms += now_ms() - t0;
    }
  });
  if (state.iterations() > 0)
    state.counters["overhead_ms"] =
        total_ms / static_cast<double>(state.iterations()) - kSleepMs;
  state.SetItemsProcessed(state.iterations() * kSleepers);
}
BENCHMARK(bm_sched_sleepers)->Apply(procs_sweep)->Unit(benchmark::kMillisecond);

// bm_thread_sleepers: 1,000 std::threads each sleep 10 ms, then joined.
void bm_thread_sleepers(benchmark::State& state) {
  double total_ms = 0;
  std::vector<std::thread> threads;
  threads.reserve(kThreadSleepers);
  for (auto _ : state) {
    const double t0 = now_ms();
    for (int i = 0; i < kThreadSleepers; ++i)
      threads.emplace_back(
          [] { std::this_thread::sleep_for(milliseconds(10)); });
    for (auto& t : threads) t.join();
    threads.clear();
    total_ms += now_ms() - t0;
  }
  if (state.iterations() > 0)
    state.counters["overhead_ms"] =
        total_ms / static_cast<double>(state.iterations()) - kSleepMs;
  state.SetItemsProcessed(state.iterations() * kThreadSleepers);
}
BENCHMARK(bm_thread_sleepers)->UseRealTime()->Unit(benchmark::kMillisecond);

// ---------------------------------------------------------------- idle CPU

// bm_sched_idle_cpu: the CPU time the whole process uses while the runtime
// has nothing to do for 200 ms (the main goroutine sleeps; every worker and
// sysmon should be asleep in the kernel). Counter: cpu_us per idle second.
// Baseline: a plain thread sleeping the same 200 ms.
double process_cpu_us() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

void bm_sched_idle_cpu(benchmark::State& state) {
  double cpu = 0;
  in_gort(state, [&] {
    gort::sleep(std::chrono::milliseconds(50));  // let the workers settle
    for (auto _ : state) {
      const double before = process_cpu_us();
      gort::sleep(std::chrono::milliseconds(200));
      cpu += process_cpu_us() - before;
    }
  });
  state.counters["cpu_us_per_idle_s"] =
      cpu / static_cast<double>(state.iterations()) * 5;
}
BENCHMARK(bm_sched_idle_cpu)
    ->Apply(procs_sweep)
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond);

void bm_thread_idle_cpu(benchmark::State& state) {
  double cpu = 0;
  for (auto _ : state) {
    const double before = process_cpu_us();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    cpu += process_cpu_us() - before;
  }
  state.counters["cpu_us_per_idle_s"] =
      cpu / static_cast<double>(state.iterations()) * 5;
}
BENCHMARK(bm_thread_idle_cpu)
    ->UseRealTime()
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond);

// ---------------------------------------------------------------- parked RSS

constexpr long kParked = 1000000;
constexpr long kThreadParked = 1000;

// One measurement, made in a fresh child process: the RSS before and after
// n goroutines (or threads) are parked, and the time to start and park them.
struct rss_sample {
  long before_kb = 0;
  long after_kb = 0;
  double park_ms = 0;
};

// parked_rss_gort runs in the child: n goroutines each wait on their own
// latch(1). The latches are built before the baseline, so the delta is the
// goroutines' own cost (control block, stack pages touched). Then each is
// released and all are joined.
rss_sample parked_rss_gort(int procs, long n) {
  rss_sample s;
  gort::set_maxprocs(procs);
  std::vector<std::optional<latch>> gates(static_cast<std::size_t>(n));
  for (auto& g : gates) g.emplace(1);
  gort::run([&] {
    latch started(n), finished(n);
    s.before_kb = rss_kb();
    const double t0 = now_ms();
    for (auto& g : gates)
      gort::go([gate = &*g, &started, &finished] {
        started.count_down();
        gate->wait();
        finished.count_down();
      });
    started.wait();
    s.park_ms = now_ms() - t0;
    gort::sleep(milliseconds(20));  // let the last ones reach their wait
    s.after_kb = rss_kb();
    for (auto& g : gates) g->count_down();
    finished.wait();
  });
  return s;
}

// parked_rss_thread runs in the child: n std::threads each blocked on one
// std::latch.
rss_sample parked_rss_thread(long n) {
  rss_sample s;
  std::vector<std::thread> threads;
  threads.reserve(static_cast<std::size_t>(n));
  std::latch started(n), release(1);
  s.before_kb = rss_kb();
  const double t0 = now_ms();
  for (long i = 0; i < n; ++i)
    threads.emplace_back([&] {
      started.count_down();
      release.wait();
    });
  started.wait();
  s.park_ms = now_ms() - t0;
  std::this_thread::sleep_for(milliseconds(20));
  s.after_kb = rss_kb();
  release.count_down();
  for (auto& t : threads) t.join();
  return s;
}

// rss_child is the child's main: argv = exe --rss-child gort|thread procs n.
// It prints "before_kb after_kb park_ms".
int rss_child(int argc, char** argv) {
  if (argc != 5) return 2;
  const std::string kind = argv[2];
  const int procs = std::atoi(argv[3]);
  const long n = std::atol(argv[4]);
  const rss_sample s =
      kind == "gort" ? parked_rss_gort(procs, n) : parked_rss_thread(n);
  std::printf("%ld %ld %.3f\n", s.before_kb, s.after_kb, s.park_ms);
  return 0;
}

// run_rss_child re-executes this binary as an rss child and reads its line.
std::optional<rss_sample> run_rss_child(const char* kind, int procs, long n) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return std::nullopt;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
  std::string procs_s = std::to_string(procs), n_s = std::to_string(n);
  std::string exe = "/proc/self/exe", flag = "--rss-child", kind_s = kind;
  char* args[] = {exe.data(),     flag.data(), kind_s.data(),
                  procs_s.data(), n_s.data(),  nullptr};
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, exe.c_str(), &fa, nullptr, args, environ);
  posix_spawn_file_actions_destroy(&fa);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    return std::nullopt;
  }
  std::string out;
  char buf[256];
  for (ssize_t got; (got = read(fds[0], buf, sizeof buf)) > 0;)
    out.append(buf, static_cast<std::size_t>(got));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  rss_sample s;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
      std::sscanf(out.c_str(), "%ld %ld %lf", &s.before_kb, &s.after_kb,
                  &s.park_ms) != 3)
    return std::nullopt;
  return s;
}

// rss_benchmark runs one child per iteration; the iteration's time is the
// child's time to start and park n tasks (manual time).
void rss_benchmark(benchmark::State& state, const char* kind, int procs, long n,
                   const char* counter) {
  double bytes = 0;
  for (auto _ : state) {
    const std::optional<rss_sample> s = run_rss_child(kind, procs, n);
    if (!s) {
      state.SkipWithError("the --rss-child process failed");
      break;
    }
    state.SetIterationTime(s->park_ms / 1e3);
    bytes += static_cast<double>(s->after_kb - s->before_kb) * 1024.0 /
             static_cast<double>(n);
  }
  if (state.iterations() > 0)
    state.counters[counter] = bytes / static_cast<double>(state.iterations());
  state.SetItemsProcessed(state.iterations() * n);
}

// bm_sched_parked_rss: RSS per parked goroutine, 1,000,000 of them.
void bm_sched_parked_rss(benchmark::State& state) {
  rss_benchmark(state, "gort", static_cast<int>(state.range(0)), kParked,
                "rss_per_goroutine_bytes");
}
BENCHMARK(bm_sched_parked_rss)
    ->ArgName("procs")
    ->Arg(1)
    ->Arg(2)
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

// bm_thread_parked_rss: RSS per blocked std::thread, 1,000 of them.
void bm_thread_parked_rss(benchmark::State& state) {
  rss_benchmark(state, "thread", 0, kThreadParked, "rss_per_thread_bytes");
}
BENCHMARK(bm_thread_parked_rss)
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "--rss-child") == 0)
    return rss_child(argc, argv);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
