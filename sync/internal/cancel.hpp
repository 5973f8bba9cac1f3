// sync/internal/cancel.hpp: hooks that a context calls when it is cancelled.
//
// Everything that reacts to a context's cancellation is a cancel_hook on
// the nearest cancellable node of the context's chain: a child context
// (which then cancels itself) and every context-aware wait (which then
// takes its waiter out of the queue it sleeps in). The protocol, and why
// a hook's owner may not free it while it fires, is in sync/context.cpp.
#pragma once

#include <atomic>
#include <cstdint>

#include <gort/context.hpp>

namespace gort::internal {

// cancel_hook is registered on at most one context at a time. It lives in
// its owner's memory (a waiter's frame, a child context's node).
struct cancel_hook {
  enum : std::uint32_t { idle = 0, armed = 1, firing = 2, fired = 3 };

  // fn runs once, on the cancelling thread, with no lock held, after the
  // context's err() is set. It must not block.
  void (*fn)(cancel_hook* self) noexcept = nullptr;
  void* owner = nullptr;  // for fn: the object the hook belongs to

  // Protected by the owning node's lock:
  cancel_hook* prev = nullptr;
  cancel_hook* next = nullptr;
  detail::cancel_node* node = nullptr;  // where it is armed, if anywhere
  // idle -> armed (arm), armed -> idle (disarm), armed -> firing (the
  // canceller detaches it, under the lock), firing -> fired (fn returned;
  // a release store, after which the canceller never touches the hook).
  std::atomic<std::uint32_t> state{idle};
};

// arm registers h (idle, fn set) on ctx, to fire when ctx is cancelled.
// Returns false, leaving h idle, if ctx is already cancelled. A ctx that
// can never be cancelled (background and values over it) arms nothing and
// returns true. Any thread.
bool arm(const context& ctx, cancel_hook& h) noexcept;

// wait_until waits (spinning, then yielding) until word == value; for
// marks that another thread sets soon, in a bounded number of steps.
void wait_until(const std::atomic<std::uint32_t>& word,
                std::uint32_t value) noexcept;

// disarm unregisters h. If its fn is already running, disarm waits until it
// has returned, so on return h may be freed. Any thread; idempotent.
void disarm(cancel_hook& h) noexcept;

}  // namespace gort::internal
