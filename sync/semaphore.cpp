// Weighted semaphore
//
// Go's golang.org/x/sync/semaphore, with the grant list of
// sync/internal/grant_list.hpp in place of its list of ready channels. All
// state is under the list's lock: `cur` units are taken out of `size`, and
// the list holds the requests that did not fit, oldest first.
//
// acquire takes its units at once only if they fit *and* nobody is queued:
// jumping the queue would let small requests starve a large one. release
// gives the units back and grants from the head while the head fits; it
// stops at the first request that does not fit (Go's notifyWaiters), which
// is what makes the semaphore fair to large requests.
//
// A request whose context ends leaves the list (grant_list's hook). If it
// was the head, the requests behind it may fit now, so the hook's
// after_cancel grants them. A request granted before its context ended
// keeps its units and returns empty.
//
// Invariants (list lock held):
//   S1. 0 <= cur <= size.
//   S2. If the list is non-empty, its head does not fit: size - cur < want.
#include <gort/context.hpp>
#include <gort/errors.hpp>
#include <gort/semaphore.hpp>

#include <mutex>

#include "sync/internal/grant_list.hpp"

namespace gort {
namespace {

using internal::grant_list;
using internal::grant_waiter;
using internal::wake_batch;

using internal::list_at;

// grant_fitting grants queued requests from the head while the head fits.
// The list's lock held.
void grant_fitting(grant_list& l, std::int64_t size, std::int64_t& cur,
                   wake_batch& batch) noexcept {
  while (!l.waiting.empty()) {
    auto* w = static_cast<grant_waiter*>(l.waiting.head);
    if (size - cur < w->want) break;  // S2: FIFO, no overtaking
    cur += w->want;
    l.grant_first(batch);
  }
}

}  // namespace

semaphore::semaphore(std::int64_t n) : size_(n) {
  if (n < 0) throw usage_error("semaphore: negative size");
  auto* l = new (list_) grant_list;
  l->owner = this;
  l->after_cancel = [](grant_list* gl, wake_batch& batch) noexcept {
    auto* s = static_cast<semaphore*>(gl->owner);
    grant_fitting(*gl, s->size_, s->cur_, batch);
  };
}

semaphore::~semaphore() { list_at(list_).~grant_list(); }

void semaphore::acquire(std::int64_t n) { acquire_impl(nullptr, n); }

std::error_code semaphore::acquire(const context& ctx, std::int64_t n) {
  return acquire_impl(&ctx, n);
}

std::error_code semaphore::acquire_impl(const context* ctx, std::int64_t n) {
  if (n < 0) throw usage_error("semaphore: acquire of a negative count");
  if (ctx != nullptr)
    if (std::error_code e = ctx->err()) return e;
  if (n > size_) {
    // It can never fit: wait for the context alone (Go does the same).
    if (ctx == nullptr || ctx->done().nil())
      throw usage_error("semaphore: acquire of more than the size");
    ctx->done().recv();
    return ctx->err();
  }
  grant_list& l = list_at(list_);
  l.lock.lock();
  if (size_ - cur_ >= n && l.waiting.empty()) {
    cur_ += n;
    l.lock.unlock();
    return {};
  }
  grant_waiter w;
  w.want = n;
  if (!l.join(w, ctx)) {
    l.lock.unlock();
    return ctx->err();
  }
  if (l.await(w, wait_reason::semacquire) == grant_waiter::cancelled)
    return ctx->err();
  return {};
}

bool semaphore::try_acquire(std::int64_t n) {
  if (n < 0) throw usage_error("semaphore: acquire of a negative count");
  grant_list& l = list_at(list_);
  std::lock_guard<internal::rt_mutex> lk(l.lock);
  if (size_ - cur_ < n || !l.waiting.empty()) return false;
  cur_ += n;
  return true;
}

void semaphore::release(std::int64_t n) {
  if (n < 0) throw usage_error("semaphore: release of a negative count");
  grant_list& l = list_at(list_);
  wake_batch batch;  // wakes after the lock is released
  std::lock_guard<internal::rt_mutex> lk(l.lock);
  if (n > cur_) throw usage_error("semaphore: released more than held");
  cur_ -= n;  // S1
  grant_fitting(l, size_, cur_, batch);
}

}  // namespace gort
