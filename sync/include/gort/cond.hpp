// gort/cond.hpp: Go's sync.Cond for goroutines and plain threads.
//
//   gort::mutex mu;
//   gort::cond ready;
//   std::deque<job> q;
//   // consumer
//   std::unique_lock lk(mu);
//   ready.wait(lk, [&] { return !q.empty(); });
//   // producer
//   { std::lock_guard g(mu); q.push_back(j); }
//   ready.signal();
//
// A waiter joins the cond's queue while it still holds the mutex, so a
// signal or broadcast made after the waiter's wait() began (in the mutex's
// order) is never lost. signal wakes the longest waiter (FIFO); broadcast
// wakes all. As in Go, wakeups are not spurious, but another party may run
// between the signal and the waiter's relock: check the condition in a loop
// (or use wait(lock, pred)). The protocol is in sync/internal/grant_list.hpp.
#pragma once

#include <mutex>
#include <system_error>

#include <gort/mutex.hpp>

namespace gort {

class context;

class cond {
 public:
  cond() noexcept;
  ~cond();
  cond(const cond&) = delete;
  cond& operator=(const cond&) = delete;

  // wait atomically releases lock's mutex and waits for a signal or
  // broadcast, then locks the mutex again before returning. Throws
  // usage_error("sync: Cond.Wait without holding the lock") if lock does
  // not own its mutex.
  void wait(std::unique_lock<mutex>& lock);
  // wait(lock, pred) is `while (!pred()) wait(lock);`.
  template <class Pred>
  void wait(std::unique_lock<mutex>& lock, Pred pred) {
    while (!pred()) wait(lock);
  }
  // wait(lock, ctx) is wait(lock) that gives up if ctx ends first: empty
  // when signalled, else ctx.err() (at once if ctx is already done). The
  // mutex is locked again on return either way, and a cancelled waiter
  // leaves the queue, so it consumes no signal meant for another.
  std::error_code wait(std::unique_lock<mutex>& lock, const context& ctx);

  // signal wakes the longest-waiting waiter, if any. The caller need not
  // hold the mutex. Any thread; never blocks.
  void signal() noexcept;
  // broadcast wakes every waiter. Any thread; never blocks.
  void broadcast() noexcept;

 private:
  std::error_code wait_impl(std::unique_lock<mutex>& lock, const context* ctx);

  // A grant_list (sync/internal/grant_list.hpp), kept here so that a cond
  // needs no allocation; sync/cond.cpp checks that it fits.
  alignas(8) unsigned char list_[64];
};

}  // namespace gort
