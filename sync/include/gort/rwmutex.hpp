// gort/rwmutex.hpp: Go's sync.RWMutex for goroutines and plain threads.
//
// A reader/writer mutual exclusion lock: any number of readers, or one
// writer. lock_shared() and lock() park a goroutine (block a plain thread)
// while they must wait. It works with std::shared_lock for readers and with
// std::lock_guard, std::unique_lock and std::scoped_lock for writers.
//
//   gort::rwmutex mu;
//   std::map<std::string, int> table;  // guarded by mu
//
//   int lookup(const std::string& k) {
//     std::shared_lock<gort::rwmutex> lk(mu);  // many readers at once
//     auto it = table.find(k);
//     return it == table.end() ? 0 : it->second;
//   }
//   void store(const std::string& k, int v) {
//     std::lock_guard<gort::rwmutex> lk(mu);  // one writer, no readers
//     table[k] = v;
//   }
//
// Writers are preferred: once a writer is waiting in lock(), new
// lock_shared() calls wait until that writer has had the mutex, so a stream
// of readers cannot starve it; and a writer's unlock() admits every reader
// that waited for it before the next writer gets in, so writers cannot
// starve readers either. The consequence, as in Go: a goroutine must not
// take the read lock recursively. If a writer arrives between its two
// lock_shared() calls, the second waits for the writer, which waits for the
// first: deadlock.
//
// It is not owned: any goroutine or thread may unlock (or unlock_shared) an
// rwmutex that another one locked, as in Go. The algorithm is in
// sync/rwmutex.cpp.
#pragma once

#include <atomic>
#include <cstdint>

#include <gort/mutex.hpp>

namespace gort {

class rwmutex {
 public:
  rwmutex() noexcept = default;
  rwmutex(const rwmutex&) = delete;
  rwmutex& operator=(const rwmutex&) = delete;

  // lock acquires the mutex for writing: it waits (parked, or blocked on a
  // plain thread) for other writers, in the order of gort::mutex, then
  // stops new readers from entering and waits for the readers inside to
  // leave. Any thread; never throws.
  void lock() noexcept {
    w_.lock();  // first, the other writers
    // Announce the writer: from here on lock_shared() waits. acquire pairs
    // with the release CAS of the last unlock_shared() before it.
    const std::int32_t r =
        reader_count_.fetch_sub(max_readers, std::memory_order_acquire);
    if (r != 0) wait_for_readers(r);
  }
  // try_lock acquires the mutex for writing if no writer holds it or waits
  // for it and no reader holds it; it never waits. Returns whether it did.
  bool try_lock() noexcept;
  // unlock releases the write lock and admits every reader that waited for
  // this writer, then lets the next writer in. Throws
  // usage_error("sync: Unlock of unlocked RWMutex") if no writer holds it,
  // leaving the mutex unchanged. (An unlock while another writer has
  // announced itself but still waits for readers is not detected, as in Go.)
  void unlock();

  // lock_shared acquires the mutex for reading: it returns at once unless a
  // writer holds the mutex or waits for it, in which case it waits (parked,
  // or blocked on a plain thread) until that writer has unlocked. Any
  // thread; never throws. Recursive read locking deadlocks if a writer
  // arrives in between (see above). At most 2^30 - 1 readers at once.
  void lock_shared() noexcept {
    // acquire pairs with the release CAS in unlock(): the writer's stores
    // happen before this reader's loads.
    if (reader_count_.fetch_add(1, std::memory_order_acquire) + 1 < 0)
      wait_for_writer();
  }
  // try_lock_shared acquires the mutex for reading if no writer holds it
  // or waits for it; it never waits. Returns whether it did.
  bool try_lock_shared() noexcept;
  // unlock_shared releases one read lock; the last reader to leave wakes a
  // writer waiting for the readers. Throws usage_error("sync: RUnlock of
  // unlocked RWMutex") if there is no reader, holding or waiting, leaving
  // the mutex unchanged. (An unlock_shared without a lock_shared while
  // other readers hold or wait is not detected, as in Go: it releases one
  // of theirs.)
  void unlock_shared() {
    // The fast path, no writer involved: one CAS. release pairs with the
    // acquire in lock() or try_lock() of the next writer.
    std::int32_t c = reader_count_.load(std::memory_order_relaxed);
    if (c > 0 &&
        reader_count_.compare_exchange_weak(c, c - 1, std::memory_order_release,
                                            std::memory_order_relaxed))
      return;
    unlock_shared_slow();
  }

  // read_locker is Go's RLocker: a BasicLockable whose lock and unlock are
  // this mutex's lock_shared and unlock_shared, for code written against
  // lock/unlock (std::lock_guard, a template taking any lock). It refers to
  // the mutex, which must outlive it; copies refer to the same mutex.
  class read_locker {
   public:
    explicit read_locker(rwmutex& m) noexcept : m_(&m) {}
    void lock() noexcept { m_->lock_shared(); }
    bool try_lock() noexcept { return m_->try_lock_shared(); }
    // Throws as unlock_shared does.
    void unlock() { m_->unlock_shared(); }

   private:
    rwmutex* m_;
  };
  // rlocker returns a read_locker for this mutex (Go's RWMutex.RLocker).
  read_locker rlocker() noexcept { return read_locker(*this); }

 private:
  // Go's rwmutexMaxReaders: a writer subtracts it from reader_count_.
  static constexpr std::int32_t max_readers = std::int32_t{1} << 30;

  void wait_for_readers(std::int32_t r) noexcept;
  void wait_for_writer() noexcept;
  void unlock_shared_slow();

  mutex w_;  // held by the writer that holds or waits for the readers
  // Readers that hold the lock or wait for a writer, minus max_readers
  // while a writer has announced itself (invariants in sync/rwmutex.cpp).
  std::atomic<std::int32_t> reader_count_{0};
  // Readers that a waiting writer still waits for.
  std::atomic<std::int32_t> reader_wait_{0};
  std::atomic<std::uint32_t> writer_sem_{0};  // the writer waits on it
  std::atomic<std::uint32_t> reader_sem_{0};  // readers wait on it
};

}  // namespace gort
