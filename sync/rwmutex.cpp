// RWMutex
//
// Go's sync.RWMutex (src/sync/rwmutex.go; go-runtime.md 12.2), on the
// runtime semaphore (sync/internal/sema.hpp) and gort::mutex.
//
// The problem. Many readers may hold the lock at once, or one writer. The
// readers' path must stay cheap (one atomic add), and neither side may
// starve the other. The natural lock, "a writer waits until the reader
// count is zero", lets a stream of overlapping readers keep the count above
// zero forever: the writer never gets in.
//
// Approaches rejected. Reader preference: starves writers, as above. A
// single state word updated by CAS (readers, writer bit, waiter counts):
// every reader then retries against every other, where a fetch_add never
// retries. Per-processor reader counts (big-reader locks): reads scale, but
// the lock costs a cache line per processor and a writer must sweep them
// all; Go declined it for sync.RWMutex, and so do we. Phase-fair ticket
// locks: fair, but a reader then waits behind a writer that is only queued
// behind readers, and the code is longer than the problem. Go's algorithm
// is writer-preferring with a hand-over to readers at unlock, which bounds
// both sides' waits, and its fast paths are one atomic each.
//
// The algorithm. Two counters and two semaphores, plus a gort::mutex w_
// that serialises writers:
//
//   reader_count_  readers that hold the lock or wait for a writer, minus
//                  max_readers (2^30) while a writer has announced itself;
//                  so it is negative exactly while a writer holds the lock
//                  or waits for the readers inside.
//   reader_wait_   how many of the readers inside when a writer announced
//                  itself have yet to leave.
//   writer_sem_    the announced writer sleeps here until they have left.
//   reader_sem_    readers that arrived after the announcement sleep here.
//
//  1. lock_shared adds 1 to reader_count_. Non-negative: no writer, it is
//     in. Negative: a writer is announced; it sleeps on reader_sem_ (wait
//     reason "sync.RWMutex.RLock"), still counted in reader_count_.
//  2. lock takes w_ (another writer waits there, as "sync.Mutex.Lock", as
//     in Go), then subtracts max_readers from reader_count_: from now on
//     step 1 makes new readers wait. The old value r is the number of
//     readers inside. It adds r to reader_wait_; unless that makes zero
//     (all r already left, see step 3), it sleeps on writer_sem_ ("sync.
//     RWMutex.Lock").
//  3. unlock_shared subtracts 1 from reader_count_. If the old value was
//     negative, a writer is announced and counted this reader in its r
//     (I3); the reader subtracts 1 from reader_wait_ and, if that makes
//     zero, releases writer_sem_ once.
//  4. unlock adds max_readers back to reader_count_: new readers get in at
//     once. The new value is the number of readers that waited for this
//     writer in step 1; it releases reader_sem_ that many times, then
//     unlocks w_, so those readers are admitted before the next writer
//     announces itself (that writer counts them in its own r and waits for
//     them to leave).
//  5. try_lock_shared is step 1 as a CAS loop that gives up on a negative
//     count; try_lock is w_.try_lock() then a CAS of reader_count_ from 0
//     to -max_readers, undoing the w_ lock if that fails.
//
// Why writers are preferred. Step 2 stops new readers before the writer
// waits, so the readers it waits for are a fixed set, r, which only
// shrinks: the writer waits for at most one read critical section each.
// Readers in turn wait for at most one writer each: step 4 admits all that
// waited before w_ lets the next writer announce. The price, as in Go, is
// that read locking is not recursive: a reader that calls lock_shared again
// after a writer announced itself sleeps in step 1 behind a writer that
// waits for it in step 2.
//
// Why reader_wait_ may go negative. Between the writer's subtract and its
// add in step 2, readers of its r may already leave and decrement
// reader_wait_ (step 3). The sum is right once the add lands, and exactly
// one party brings it to zero: the writer's add (then it does not sleep) or
// the last leaving reader (then it releases writer_sem_ once). A decrement
// before the add cannot reach zero, since reader_wait_ starts at 0 (I4).
//
// Misuse. Go aborts on "Unlock of unlocked RWMutex" and "RUnlock of
// unlocked RWMutex"; we throw usage_error, and the mutex must be left as it
// was. Go detects both after its atomic add; undoing the add afterwards is
// not safe (a writer may announce itself in between, count the phantom
// reader and wait forever for it). So unlock and unlock_shared are CAS
// loops that check before they change anything. The checks are Go's: no
// writer announced (reader_count_ >= 0) for unlock; no reader holding or
// waiting (reader_count_ is 0 or -max_readers) for unlock_shared.
//
// Invariants, with fewer than max_readers readers at once:
//   I1. reader_count_ = (lock_shared calls that have added 1 and whose
//       unlock_shared has not yet subtracted it) - (max_readers if a writer
//       is announced, i.e. between its steps 2 and 4).
//   I2. At most one writer is announced, and it holds w_. Hence
//       reader_count_ < 0 iff a writer is announced.
//   I3. A reader that finds reader_count_ negative in step 3 was counted in
//       the announced writer's r: its add in step 1 precedes that writer's
//       subtract in reader_count_'s modification order, since a reader
//       whose add follows it sleeps in step 1 until that writer's step 4.
//   I4. reader_wait_ is 0 while no writer is announced, and while the
//       writer waits it is r minus the readers of r that have left.
//   I5. writer_sem_ is released at most once per writer, and only when
//       that writer sleeps on it; reader_sem_ is released once per reader
//       that slept (or is about to sleep) in step 1.
//
// Memory order. Every change of reader_count_ is an RMW, so each party sees
// the latest count. The stores of a writer happen before a reader's loads
// through unlock's release CAS and lock_shared's acquire add, or through
// reader_sem_ (sema_release after the CAS). The loads of readers happen
// before a writer's stores through unlock_shared's release CAS and the
// writer's acquire subtract (no reader left inside), or through
// reader_wait_'s acq_rel RMWs (each leaving reader's joins the release
// sequence the last one's acquire reads) and writer_sem_.
//
// Lock order: w_ is a gort::mutex held by a writer while it sleeps on
// writer_sem_; readers never take it. The semaphores' root locks (rank
// wait_queue) are held only inside sema_acquire and sema_release, never
// across a call into this file.
#include <gort/errors.hpp>
#include <gort/rwmutex.hpp>
#include <gort/wait_reason.hpp>
#include "sync/internal/sema.hpp"

namespace gort {

// Step 2, after the subtract: r readers were inside.
void rwmutex::wait_for_readers(std::int32_t r) noexcept {
  // acq_rel: acquire pairs with the leaving readers' decrements (step 3).
  if (reader_wait_.fetch_add(r, std::memory_order_acq_rel) + r != 0)
    internal::sema_acquire(&writer_sem_, false, wait_reason::sync_rwmutex_lock);
}

// Step 1, after the add found a writer announced.
void rwmutex::wait_for_writer() noexcept {
  internal::sema_acquire(&reader_sem_, false, wait_reason::sync_rwmutex_rlock);
}

bool rwmutex::try_lock() noexcept {
  if (!w_.try_lock()) return false;
  std::int32_t zero = 0;
  // acquire pairs with the release CAS of the last unlock_shared.
  if (reader_count_.compare_exchange_strong(zero, -max_readers,
                                            std::memory_order_acquire,
                                            std::memory_order_relaxed))
    return true;
  w_.unlock();  // readers inside: undo; we hold w_, so this cannot throw
  return false;
}

void rwmutex::unlock() {
  std::int32_t c = reader_count_.load(std::memory_order_relaxed);
  do {
    if (c >= 0) throw usage_error("sync: Unlock of unlocked RWMutex");
    // release pairs with lock_shared's acquire add (I1: new readers in).
  } while (!reader_count_.compare_exchange_weak(c, c + max_readers,
                                                std::memory_order_release,
                                                std::memory_order_relaxed));
  // Step 4: c + max_readers readers slept (or are about to) in step 1.
  for (std::int32_t r = c + max_readers; r > 0; --r)
    internal::sema_release(&reader_sem_, false);  // I5
  // Only now the next writer: it counts the readers just admitted (I2).
  w_.unlock();
}

bool rwmutex::try_lock_shared() noexcept {
  std::int32_t c = reader_count_.load(std::memory_order_relaxed);
  while (c >= 0) {
    // acquire pairs with unlock's release CAS.
    if (reader_count_.compare_exchange_weak(c, c + 1, std::memory_order_acquire,
                                            std::memory_order_relaxed))
      return true;
  }
  return false;  // a writer holds it or waits for the readers inside
}

void rwmutex::unlock_shared_slow() {
  std::int32_t c = reader_count_.load(std::memory_order_relaxed);
  do {
    if (c == 0 || c == -max_readers)
      throw usage_error("sync: RUnlock of unlocked RWMutex");
    // release pairs with the next writer's acquire subtract.
  } while (!reader_count_.compare_exchange_weak(
      c, c - 1, std::memory_order_release, std::memory_order_relaxed));
  if (c > 0) return;  // no writer announced
  // Step 3: a writer is announced and counted us (I3). acq_rel: the last
  // reader's decrement acquires the others' before it releases the writer.
  if (reader_wait_.fetch_sub(1, std::memory_order_acq_rel) == 1)
    internal::sema_release(&writer_sem_, false);  // I5
}

}  // namespace gort
