// Cond
//
// Go's sync.Cond, on a grant list (sync/internal/grant_list.hpp) instead
// of Go's ticket-numbered notifyList: wait joins the list while the caller
// still holds the mutex, then unlocks the mutex, then awaits. A signal
// grants the first waiter in the list, so it goes to the longest waiter and
// is never lost: a waiter that has joined but not yet parked finds itself
// granted when it comes to await. Go needs tickets because its waiter
// cannot stay queued across the unlock; a grant_waiter can, as it lives in
// the waiting party's frame until await returns.
//
// A context-aware wait that is cancelled leaves the list under its lock
// (L1, L2), so a later signal goes to a waiter that is still there; one
// granted before its context ended returns empty.
#include <gort/cond.hpp>
#include <gort/context.hpp>
#include <gort/errors.hpp>

#include "sync/internal/grant_list.hpp"

namespace gort {
namespace {

using internal::grant_list;
using internal::grant_waiter;

using internal::list_at;

}  // namespace

cond::cond() noexcept { new (list_) grant_list; }

cond::~cond() { list_at(list_).~grant_list(); }

void cond::wait(std::unique_lock<mutex>& lock) { wait_impl(lock, nullptr); }

std::error_code cond::wait(std::unique_lock<mutex>& lock, const context& ctx) {
  return wait_impl(lock, &ctx);
}

std::error_code cond::wait_impl(std::unique_lock<mutex>& lock,
                                const context* ctx) {
  if (!lock.owns_lock())
    throw usage_error("sync: Cond.Wait without holding the lock");
  if (ctx != nullptr)
    if (std::error_code e = ctx->err()) return e;
  grant_list& l = list_at(list_);
  grant_waiter w;
  {
    std::lock_guard<internal::rt_mutex> lk(l.lock);
    if (!l.join(w, ctx)) return ctx->err();
  }
  try {
    lock.unlock();
  } catch (...) {
    // Another party unlocked the mutex under us (usage_error): leave
    // without waiting, passing on a signal we may have been granted.
    internal::wake_batch batch;
    {
      std::lock_guard<internal::rt_mutex> lk(l.lock);
      if (w.outcome == grant_waiter::pending)
        l.waiting.remove(&w);
      else if (w.outcome == grant_waiter::granted)
        l.grant_first(batch);  // a signal we cannot take: pass it on
    }
    internal::disarm(w.hook);
    throw;
  }
  l.lock.lock();
  const auto outcome = l.await(w, wait_reason::sync_cond_wait);
  lock.lock();
  if (outcome == grant_waiter::cancelled) return ctx->err();
  return {};
}

void cond::signal() noexcept {
  grant_list& l = list_at(list_);
  internal::wake_batch batch;  // wakes after the lock is released
  std::lock_guard<internal::rt_mutex> lk(l.lock);
  l.grant_first(batch);
}

void cond::broadcast() noexcept {
  grant_list& l = list_at(list_);
  internal::wake_batch batch;
  std::lock_guard<internal::rt_mutex> lk(l.lock);
  while (l.grant_first(batch) != nullptr) {
  }
}

}  // namespace gort
