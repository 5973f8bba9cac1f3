// Grant lists: the protocol and invariants are in sync/internal/grant_list.hpp.
#include "sync/internal/grant_list.hpp"

#include <mutex>

namespace gort::internal {
namespace {

void on_cancel(cancel_hook* h) noexcept {
  auto* w = static_cast<grant_waiter*>(h->owner);
  grant_list* l = w->list;
  wake_batch batch;  // declared first: wakes after the lock is released
  std::lock_guard<rt_mutex> lk(l->lock);
  if (w->outcome != grant_waiter::pending) return;  // granted first
  l->waiting.remove(w);                             // L1
  w->outcome = grant_waiter::cancelled;
  if (w->parked) batch.ready.push_back(w);  // L3
  if (l->after_cancel != nullptr) l->after_cancel(l, batch);
}

}  // namespace

wake_batch::~wake_batch() {
  while (waiter* w = ready.pop_front()) wake(*w);
}

bool grant_list::join(grant_waiter& w, const context* ctx) noexcept {
  w.list = this;
  w.hook.fn = &on_cancel;
  w.hook.owner = &w;
  // Arming takes the context's lock (rank leaf) under ours: allowed.
  if (ctx != nullptr && !arm(*ctx, w.hook)) return false;
  waiting.push_back(&w);
  return true;
}

grant_waiter* grant_list::grant_first(wake_batch& batch) noexcept {
  auto* w = static_cast<grant_waiter*>(waiting.pop_front());
  if (w == nullptr) return nullptr;
  w->outcome = grant_waiter::granted;  // L2
  if (w->parked) batch.ready.push_back(w);
  return w;
}

std::uint8_t grant_list::await(grant_waiter& w, wait_reason reason) noexcept {
  if (w.outcome == grant_waiter::pending) {
    w.parked = true;
    block(w, lock, reason);  // releases the lock
  } else {
    lock.unlock();
  }
  disarm(w.hook);
  return w.outcome;
}

}  // namespace gort::internal
