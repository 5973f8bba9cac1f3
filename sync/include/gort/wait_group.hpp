// gort/wait_group.hpp: Go's sync.WaitGroup.
//
//   gort::wait_group wg;
//   for (auto& job : jobs) {
//     wg.add(1);
//     gort::go([&] { run(job); wg.done(); });
//   }
//   wg.wait();
//
// Any number of goroutines and plain threads may wait at once. A wait group
// may be reused once every wait() of the previous round has returned.
#pragma once

#include <atomic>
#include <cstdint>
#include <system_error>

namespace gort {

class context;

class wait_group {
 public:
  wait_group() noexcept = default;
  wait_group(const wait_group&) = delete;
  wait_group& operator=(const wait_group&) = delete;

  // add adds delta (which may be negative) to the counter; when it reaches
  // zero every waiter is released. Throws usage_error("sync: negative
  // WaitGroup counter") if the counter would go below zero, leaving it
  // unchanged. As in Go, an add that starts a new round must happen before
  // the wait that waits for it.
  void add(std::int64_t delta);
  // done is add(-1).
  void done() { add(-1); }
  // wait blocks until the counter is zero.
  void wait();
  // wait(ctx) is wait() that gives up if ctx ends first: empty when the
  // counter reached zero, else ctx.err() (at once if ctx is already done),
  // and then this waiter is no longer counted or queued.
  std::error_code wait(const context& ctx);

 private:
  bool wait_slow(const context* ctx) noexcept;

  // counter << 32 | waiters (Go's layout).
  std::atomic<std::uint64_t> state_{0};
  std::atomic<std::uint32_t> sema_{0};
};

}  // namespace gort
