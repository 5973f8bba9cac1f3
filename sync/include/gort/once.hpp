// gort/once.hpp: Go's sync.Once with std::call_once semantics.
//
//   gort::once init;
//   init.call([] { load_config(); });  // from any number of goroutines
//
// f runs once for all callers; callers that arrive while it runs wait
// (parked) until it has finished. If f throws, the exception reaches its
// caller and the once stays un-done: a later call tries again.
#pragma once

#include <atomic>
#include <mutex>
#include <utility>

#include <gort/mutex.hpp>

namespace gort {

class once {
 public:
  once() noexcept = default;
  once(const once&) = delete;
  once& operator=(const once&) = delete;

  // call runs f unless a call of this once has already completed.
  template <class F>
  void call(F&& f) {
    if (done_.load(std::memory_order_acquire)) return;  // the fast path
    std::lock_guard<mutex> lk(mu_);
    if (done_.load(std::memory_order_relaxed)) return;
    std::forward<F>(f)();  // if it throws, done_ stays false
    done_.store(true, std::memory_order_release);
  }

  // done reports whether a call has completed.
  bool done() const noexcept { return done_.load(std::memory_order_acquire); }

 private:
  std::atomic<bool> done_{false};
  mutex mu_;
};

}  // namespace gort
