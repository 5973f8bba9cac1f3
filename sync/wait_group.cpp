// WaitGroup
//
// Go's sync.WaitGroup on the runtime semaphore. One 64-bit word holds the
// counter (high half) and the number of waiters (low half), so that add can
// see, in the same atomic step that brings the counter to zero, how many
// waiters to release. A waiter registers by incrementing the low half with
// a CAS that also checks the counter is still non-zero, then sleeps on the
// semaphore; the add that reaches zero resets the word and releases the
// semaphore once per registered waiter.
//
// wait(ctx) gives up when its context ends: the context's hook takes the
// waiter out of the semaphore's queue, and it unregisters by taking one off
// the waiter half while the counter is still non-zero. If the counter has
// reached zero meanwhile, the add that did it releases a token for every
// registered waiter, this one included: it takes its token (in flight, not
// waited for) and reports success, since the wait did complete.
//
// Misuse is reported as usage_error instead of Go's panics: a negative
// counter (checked before the change, so the counter is left as it was),
// and an add that starts a new round while waiters of the previous one are
// still being released.
#include <gort/context.hpp>
#include <gort/errors.hpp>
#include <gort/wait_group.hpp>
#include <gort/wait_reason.hpp>
#include "sync/internal/sema.hpp"

namespace gort {
namespace {
constexpr std::uint64_t counter_one = std::uint64_t{1} << 32;
std::int64_t counter_of(std::uint64_t state) noexcept {
  return static_cast<std::int32_t>(state >> 32);
}
std::uint32_t waiters_of(std::uint64_t state) noexcept {
  return static_cast<std::uint32_t>(state);
}
}  // namespace

void wait_group::add(std::int64_t delta) {
  std::uint64_t state = state_.load(std::memory_order_relaxed);
  std::uint64_t next;
  do {
    const std::int64_t v = counter_of(state) + delta;
    if (v < 0) throw usage_error("sync: negative WaitGroup counter");
    if (v > INT32_MAX) throw usage_error("sync: WaitGroup counter overflow");
    if (delta > 0 && waiters_of(state) != 0 && counter_of(state) == 0)
      throw usage_error(
          "sync: WaitGroup misuse: add called concurrently with wait");
    next = (static_cast<std::uint64_t>(v) << 32) | waiters_of(state);
  } while (!state_.compare_exchange_weak(state, next, std::memory_order_acq_rel,
                                         std::memory_order_relaxed));
  if (counter_of(next) > 0 || waiters_of(next) == 0) return;
  // The counter reached zero with waiters registered: no new waiter can
  // register now (they see zero and return), so reset and release them.
  state_.store(0, std::memory_order_release);
  for (std::uint32_t w = waiters_of(next); w > 0; --w)
    internal::sema_release(&sema_, false);
}

void wait_group::wait() { wait_slow(nullptr); }

std::error_code wait_group::wait(const context& ctx) {
  if (std::error_code e = ctx.err()) return e;
  if (wait_slow(&ctx)) return {};
  return ctx.err();
}

bool wait_group::wait_slow(const context* ctx) noexcept {
  constexpr wait_reason reason = wait_reason::sync_wait_group_wait;
  std::uint64_t state = state_.load(std::memory_order_acquire);
  for (;;) {
    if (counter_of(state) == 0) return true;
    if (state_.compare_exchange_weak(state, state + 1,
                                     std::memory_order_acq_rel,
                                     std::memory_order_acquire))
      break;
  }
  if (ctx == nullptr) {
    internal::sema_acquire(&sema_, false, reason);
    return true;
  }
  if (internal::sema_acquire_ctx(&sema_, false, reason, *ctx)) return true;
  state = state_.load(std::memory_order_relaxed);
  while (counter_of(state) > 0 && waiters_of(state) > 0) {
    if (state_.compare_exchange_weak(state, state - 1,
                                     std::memory_order_relaxed))
      return false;
  }
  internal::sema_acquire(&sema_, false, reason);  // our token is coming
  return true;
}

}  // namespace gort
