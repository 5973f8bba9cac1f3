// Futexes, the thread parker and the runtime mutex (rt_mutex.hpp).
#include "runtime/internal/futex.hpp"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <climits>

#include "runtime/internal/check.hpp"
#include "runtime/internal/rt_mutex.hpp"

namespace gort::internal {

std::int64_t monotonic_ns() noexcept {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

std::int64_t coarse_ns() noexcept {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

void futex_wait(std::atomic<std::uint32_t>* word, std::uint32_t expected,
                std::int64_t deadline_ns) noexcept {
  if (deadline_ns == 0) {
    syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(word),
            FUTEX_WAIT_PRIVATE, expected, nullptr, nullptr, 0);
    return;
  }
  // Absolute CLOCK_MONOTONIC deadline: no drift on EINTR (platform.md 7).
  timespec ts;
  ts.tv_sec = deadline_ns / 1'000'000'000;
  ts.tv_nsec = deadline_ns % 1'000'000'000;
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(word),
          FUTEX_WAIT_BITSET_PRIVATE, expected, &ts, nullptr,
          FUTEX_BITSET_MATCH_ANY);
}

void futex_wake(std::atomic<std::uint32_t>* word, int n) noexcept {
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(word), FUTEX_WAKE_PRIVATE,
          n, nullptr, nullptr, 0);
}

// thread_parker states: 0 idle, 1 notified, 2 sleeping.
bool thread_parker::park(std::int64_t deadline_ns) noexcept {
  // A pending notification is consumed without a syscall.
  if (state_.exchange(0, std::memory_order_acquire) == 1) return true;
  for (;;) {
    std::uint32_t c = 0;
    if (!state_.compare_exchange_strong(c, 2, std::memory_order_acquire)) {
      // c == 1: notified between the exchange and here.
      state_.store(0, std::memory_order_relaxed);
      return true;
    }
    futex_wait(&state_, 2, deadline_ns);
    c = state_.exchange(0, std::memory_order_acquire);
    if (c == 1) return true;
    if (deadline_ns != 0 && monotonic_ns() >= deadline_ns) return false;
  }
}

void thread_parker::unpark() noexcept {
  if (state_.exchange(1, std::memory_order_release) == 2)
    futex_wake(&state_, 1);
}

// rt_mutex: Drepper's mutex2 with a short spin before sleeping.
void rt_mutex::lock_slow(std::uint32_t c) noexcept {
  // Go's lock2: a few rounds of 30 pauses between looks, so that spinners
  // do not keep pulling the lock's cache line away from its holder.
  for (int i = 0; i < 4; ++i) {
    for (int k = 0; k < 30; ++k) __builtin_ia32_pause();
    c = 0;
    if (state_.load(std::memory_order_relaxed) == 0 &&
        state_.compare_exchange_weak(c, 1, std::memory_order_acquire,
                                     std::memory_order_relaxed))
      return;
  }
  c = state_.exchange(2, std::memory_order_acquire);
  while (c != 0) {
    futex_wait(&state_, 2);
    c = state_.exchange(2, std::memory_order_acquire);
  }
}

void rt_mutex::unlock_slow() noexcept { futex_wake(&state_, 1); }

#ifndef NDEBUG
// Lock-rank checking (debug builds). Each thread keeps the locks it holds;
// a new lock must rank above all of them, or equal the top one and sit at a
// higher address (select's address order).
namespace {
// A select may hold any number of channel locks; past max_held they are
// only counted (the order check still compares with the last one taken).
constexpr int max_held = 16;
thread_local const rt_mutex* held[max_held];
thread_local int nheld = 0;
thread_local const rt_mutex* last_untracked = nullptr;
thread_local int nuntracked = 0;
}  // namespace

void rt_mutex::note_acquired() noexcept {
  const rt_mutex* top = nuntracked > 0 ? last_untracked
                        : nheld > 0    ? held[nheld - 1]
                                       : nullptr;
  if (top != nullptr) {
    const bool ok = top->rank_ < rank_ || (top->rank_ == rank_ && top < this);
    if (!ok) fatal("lock order violation (see runtime/internal/rt_mutex.hpp)");
  }
  if (nheld < max_held && nuntracked == 0) {
    held[nheld++] = this;
  } else {
    last_untracked = this;
    ++nuntracked;
  }
}

void rt_mutex::note_released() noexcept {
  for (int i = nheld - 1; i >= 0; --i) {
    if (held[i] == this) {
      for (int j = i; j + 1 < nheld; ++j) held[j] = held[j + 1];
      --nheld;
      return;
    }
  }
  if (nuntracked > 0) {
    if (--nuntracked == 0) last_untracked = nullptr;
    return;
  }
  fatal("unlock of an rt_mutex this thread does not hold");
}
#endif

}  // namespace gort::internal
