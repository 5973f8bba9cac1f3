// sync/internal/grant_list.hpp: a FIFO of parties waiting to be granted
// something (a cond's signal, a semaphore's units), which a context may
// cancel. cond and semaphore are built on it; the mutex family sleeps on
// the runtime semaphore instead (sync/internal/sema.hpp).
//
// A waiter joins the list under the list's lock, may drop the lock to do
// other work (cond::wait unlocks the user's mutex), and then awaits: it
// parks unless it has already been granted or cancelled. A granter pops
// waiters under the lock and marks them granted; it wakes, after unlocking,
// only those that have parked (one not yet parked sees the mark when it
// comes to await). A context's hook takes a still-pending waiter out.
//
// Invariants (list lock held):
//   L1. A waiter is in the list iff its outcome is pending.
//   L2. outcome leaves pending once: to granted (by a granter) or to
//       cancelled (by its context's hook), never both.
//   L3. A waiter is woken iff it has parked, once, after its outcome left
//       pending, with the lock released (HACKING.md, "Readying").
//
// Lock order: the list's lock has rank wait_queue.
#pragma once

#include <cstdint>
#include <new>
#include <system_error>

#include <gort/wait_reason.hpp>
#include "runtime/internal/rt_mutex.hpp"
#include "sched/internal/wait_queue.hpp"
#include "sync/internal/cancel.hpp"

namespace gort::internal {

struct grant_list;

struct grant_waiter : waiter {
  enum : std::uint8_t { pending, granted, cancelled };
  cancel_hook hook;
  grant_list* list = nullptr;
  std::int64_t want = 0;  // for the list's owner (a semaphore's weight)
  std::uint8_t outcome = pending;
  bool parked = false;
};

// wake_batch collects waiters to wake once the lock is released.
struct wake_batch {
  waiter_list ready;
  ~wake_batch();  // wakes them
};

struct grant_list {
  rt_mutex lock{lock_rank::wait_queue};
  waiter_list waiting;  // grant_waiters, FIFO
  // after_cancel, if set, runs under the lock after a cancelled waiter has
  // left, to grant those who may go now (a semaphore's next request).
  void (*after_cancel)(grant_list*, wake_batch&) noexcept = nullptr;
  void* owner = nullptr;  // for after_cancel

  // join arms w's hook on ctx (if any) and appends w. Lock held. Returns
  // false, leaving w out, if ctx is already done.
  bool join(grant_waiter& w, const context* ctx) noexcept;
  // grant pops the first waiter, marks it granted and adds it to `batch`
  // if it must be woken. Lock held. Returns it, or nullptr if none.
  grant_waiter* grant_first(wake_batch& batch) noexcept;
  // await parks until w's outcome leaves pending (at once if it has),
  // releasing the lock, which must be held; then disarms w's hook.
  // Returns the outcome.
  std::uint8_t await(grant_waiter& w, wait_reason reason) noexcept;
};

// cond and semaphore keep their grant_list in a 64-byte, 8-aligned array
// so that their public headers need no internal one; list_at finds it.
static_assert(sizeof(grant_list) <= 64 && alignof(grant_list) <= 8);
inline grant_list& list_at(unsigned char* storage) noexcept {
  return *std::launder(reinterpret_cast<grant_list*>(storage));
}

}  // namespace gort::internal
