// Mutex
//
// Go's sync.Mutex (internal/sync/mutex.go; go-runtime.md 12.1), on the
// runtime semaphore (sync/internal/sema.hpp).
//
// The state word holds the locked bit, the woken bit (a waiter has been
// woken or a spinner is about to take the lock: unlock need not wake
// another), the starving bit, and the number of waiters above them.
//
// Normal mode. lock is one CAS when the mutex is free. Otherwise the caller
// may spin briefly (at most 4 rounds of 30 PAUSEs, and only while another
// processor is running goroutines and its own run queue is empty: spinning
// must not delay work it could run), then registers as a waiter and sleeps
// on the semaphore. unlock clears the locked bit and, if there are waiters
// and nobody is already woken, wakes one. A woken waiter competes with
// newcomers; if it loses it goes back to the front of the queue (lifo).
//
// Starvation mode. A waiter that has waited more than 1 ms sets the
// starving bit. Then unlock hands the mutex directly to the first waiter
// (semaphore hand-off: the locked bit is left for it to set), and newcomers
// neither spin nor grab but queue at the back. The waiter that gets the
// mutex ends starvation mode if it was the last waiter or waited < 1 ms.
//
// Giving up (lock(ctx), which Go lacks). A waiter whose context ends while
// it sleeps is taken out of the semaphore's queue by the context's hook,
// but it is still counted in the waiter field. Tokens and counts must stay
// paired (every sema release answers one counted waiter), so it leaves
// through abandon: if the field counts any waiter, it takes one off and
// goes (tokens are anonymous: a release meant for it will wake the next
// sleeper instead). If it was the last waiter of a starving mutex, the
// hand-off the holder's unlock makes finds nobody and stays in the
// semaphore, with the state reading just `starving`: the next lock takes
// it as a starving newcomer does, and try_lock takes it directly. If the field
// counts none, an unlock has already taken it off and released a token for it
// (normal mode: unlock set woken), so it takes that token (it is in flight, not
// waiting for a holder) and acts as the woken waiter: it takes the mutex if it
// is free, and otherwise clears woken so that the holder's unlock wakes
// somebody else.
//
// Unlock of an unlocked mutex throws usage_error, where Go aborts; the
// check is a CAS loop so that a throwing unlock leaves the state untouched.
#include <gort/context.hpp>
#include <gort/errors.hpp>
#include <gort/mutex.hpp>
#include "runtime/internal/futex.hpp"
#include "sched/internal/sched.hpp"
#include "sync/internal/sema.hpp"

namespace gort {
namespace {

constexpr std::int64_t starvation_threshold_ns = 1'000'000;
constexpr int active_spin = 4;
constexpr int active_spin_cnt = 30;

// can_spin is Go's sync_runtime_canSpin: a few rounds, only on a goroutine
// whose processor has nothing else queued, while some other processor is
// running (the holder may be about to unlock).
bool can_spin(int iter) noexcept {
  if (iter >= active_spin) return false;
  internal::p* pp = internal::current_p();
  if (pp == nullptr || !internal::runq_empty(pp)) return false;
  const internal::sched_t& s = internal::sched();
  const int procs = s.gomaxprocs.load(std::memory_order_relaxed);
  return procs > s.npidle.load(std::memory_order_relaxed) +
                     s.nmspinning.load(std::memory_order_relaxed) + 1;
}

void do_spin() noexcept {
  for (int i = 0; i < active_spin_cnt; ++i) __builtin_ia32_pause();
}

}  // namespace

bool mutex::try_lock() noexcept {
  std::int32_t old = state_.load(std::memory_order_relaxed);
  if (old == starving) return try_take_handoff();
  if ((old & (locked | starving)) != 0) return false;
  return state_.compare_exchange_strong(
      old, old | locked, std::memory_order_acquire, std::memory_order_relaxed);
}

bool mutex::try_take_handoff() noexcept {
  // Starving, unlocked and nobody counted: the last waiter gave up (see
  // abandon) and the hand-off meant for it sits in the semaphore. Taking
  // that token is taking the mutex.
  if (!internal::sema_try_acquire(&sema_)) return false;  // still in flight
  std::int32_t old = state_.load(std::memory_order_relaxed);
  for (;;) {
    std::int32_t next = old | locked;
    if ((old >> waiter_shift) == 0) next &= ~starving;
    if (state_.compare_exchange_weak(old, next, std::memory_order_acquire,
                                     std::memory_order_relaxed))
      return true;
  }
}

std::error_code mutex::lock(const context& ctx) {
  if (std::error_code e = ctx.err()) return e;
  std::int32_t zero = 0;
  if (state_.compare_exchange_strong(zero, locked, std::memory_order_acquire,
                                     std::memory_order_relaxed))
    return {};
  if (lock_slow(&ctx)) return {};
  return ctx.err();
}

bool mutex::abandon() noexcept {
  std::int32_t old = state_.load(std::memory_order_relaxed);
  while ((old >> waiter_shift) != 0) {
    if (state_.compare_exchange_weak(old, old - (1 << waiter_shift),
                                     std::memory_order_relaxed))
      return false;
  }
  // An unlock counted us out and released a token for us: take it, and
  // with it the woken role (starving cannot be set while woken is).
  internal::sema_acquire(&sema_, false, wait_reason::sync_mutex_lock);
  old = state_.load(std::memory_order_relaxed);
  for (;;) {
    const bool take = (old & locked) == 0;
    const std::int32_t next = (take ? old | locked : old) & ~woken;
    if (state_.compare_exchange_weak(old, next, std::memory_order_acquire,
                                     std::memory_order_relaxed))
      return take;
  }
}

bool mutex::lock_slow(const context* ctx) noexcept {
  std::int64_t wait_start = 0;
  bool is_starving = false;
  bool awoke = false;
  int iter = 0;
  std::int32_t old = state_.load(std::memory_order_relaxed);
  for (;;) {
    // Spin while locked, not starving, and spinning makes sense; tell
    // unlock (woken) not to wake a sleeper meanwhile.
    if ((old & (locked | starving)) == locked && can_spin(iter)) {
      if (!awoke && (old & woken) == 0 && (old >> waiter_shift) != 0 &&
          state_.compare_exchange_weak(old, old | woken,
                                       std::memory_order_relaxed))
        awoke = true;
      do_spin();
      ++iter;
      old = state_.load(std::memory_order_relaxed);
      continue;
    }
    std::int32_t next = old;
    if ((old & starving) == 0) next |= locked;  // starving: do not grab
    if ((old & (locked | starving)) != 0) next += 1 << waiter_shift;
    if (is_starving && (old & locked) != 0) next |= starving;
    if (awoke) next &= ~woken;  // we were the woken one; clear it
    if (!state_.compare_exchange_weak(old, next, std::memory_order_acquire,
                                      std::memory_order_relaxed))
      continue;                                         // old reloaded
    if ((old & (locked | starving)) == 0) return true;  // took it: the CAS
    const bool lifo = wait_start != 0;  // waited before: front of queue
    if (wait_start == 0) wait_start = internal::monotonic_ns();
    if (ctx == nullptr)
      internal::sema_acquire(&sema_, lifo, wait_reason::sync_mutex_lock);
    else if (!internal::sema_acquire_ctx(&sema_, lifo,
                                         wait_reason::sync_mutex_lock, *ctx))
      return abandon();
    is_starving = is_starving || internal::monotonic_ns() - wait_start >
                                     starvation_threshold_ns;
    old = state_.load(std::memory_order_relaxed);
    if ((old & starving) != 0) {
      // Handed to us: the locked bit is ours to set, and we are no longer
      // a waiter. Leave starvation mode if we are the last or were quick.
      std::int32_t delta = locked - (1 << waiter_shift);
      if (!is_starving || (old >> waiter_shift) == 1) delta -= starving;
      state_.fetch_add(delta, std::memory_order_acquire);
      return true;
    }
    awoke = true;
    iter = 0;
  }
}

void mutex::unlock() {
  std::int32_t old = state_.load(std::memory_order_relaxed);
  std::int32_t next;
  do {
    if ((old & locked) == 0)
      throw usage_error("sync: unlock of unlocked mutex");
    next = old - locked;
  } while (!state_.compare_exchange_weak(old, next, std::memory_order_release,
                                         std::memory_order_relaxed));
  if (next != 0) unlock_slow(next);
}

void mutex::unlock_slow(std::int32_t state) noexcept {
  if ((state & starving) != 0) {
    // Hand the mutex to the first waiter; it sets the locked bit.
    internal::sema_release(&sema_, true);
    return;
  }
  std::int32_t old = state;
  for (;;) {
    // Nobody to wake, or someone already woken, locked or starving it.
    if ((old >> waiter_shift) == 0 || (old & (locked | woken | starving)) != 0)
      return;
    const std::int32_t next = (old - (1 << waiter_shift)) | woken;
    if (state_.compare_exchange_weak(old, next, std::memory_order_relaxed)) {
      internal::sema_release(&sema_, false);
      return;
    }
  }
}

}  // namespace gort
