// gort/semaphore.hpp: a weighted semaphore (Go's x/sync/semaphore).
//
//   gort::semaphore limit(4);      // at most 4 units in use
//   limit.acquire();               // bounded parallelism
//   gort::go([&] { work(); limit.release(); });
//
// Requests are served in FIFO order, and a request that does not fit holds
// back the ones behind it even if they would fit, so a large request is
// never starved by a stream of small ones. The protocol is in
// sync/semaphore.cpp.
#pragma once

#include <cstdint>
#include <system_error>

namespace gort {

class context;

class semaphore {
 public:
  // semaphore(n) has n units, all free. Throws usage_error if n < 0.
  explicit semaphore(std::int64_t n);
  ~semaphore();
  semaphore(const semaphore&) = delete;
  semaphore& operator=(const semaphore&) = delete;

  // acquire takes n units, waiting (FIFO) until they are free. Throws
  // usage_error if n < 0 or n > the size (it could never complete).
  void acquire(std::int64_t n = 1);
  // acquire(ctx, n) is acquire(n) that gives up if ctx ends first: empty
  // with the n units taken, else ctx.err() with nothing taken and nothing
  // left queued (at once if ctx is already done). A request larger than
  // the size waits for ctx; with a ctx that cannot end it throws, as
  // acquire(n) does.
  std::error_code acquire(const context& ctx, std::int64_t n = 1);
  // try_acquire takes n units if they are free and nobody is queued
  // before it; it never waits. Throws usage_error if n < 0.
  bool try_acquire(std::int64_t n = 1);
  // release returns n units and grants queued requests that now fit, in
  // order. Throws usage_error if more units would be returned than are
  // taken, leaving the semaphore unchanged. Any thread; never blocks.
  void release(std::int64_t n = 1);

 private:
  std::error_code acquire_impl(const context* ctx, std::int64_t n);

  // A grant_list plus the counts (sync/semaphore.cpp checks the fit).
  alignas(8) unsigned char list_[64];
  std::int64_t size_;
  std::int64_t cur_ = 0;  // units taken; guarded by the list's lock
};

}  // namespace gort
