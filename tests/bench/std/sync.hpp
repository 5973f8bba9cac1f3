// tests/bench/std/sync.hpp: the std::thread baselines of gort's sync and
// context types, with gort's API (../shared/API.md, "sync", "context"), so
// that one workload loop (sync_work.hpp) runs on either: the sync anchors
// (anchors/<w>.cpp, built as gort_<w> and std_<w>) and bm_sync.cpp.
//
// Each is what a program that has only the standard library would write:
//
//   gort              stdsync
//   mutex             std::mutex
//   rwmutex           std::shared_mutex (a pthread rwlock)
//   cond              cond: a std::condition_variable named as gort's
//   wait_group        wait_group: a counter under a std::mutex, one
//                     std::condition_variable
//   pool<T>           pool<T>: a std::vector of free objects under one
//                     std::mutex (no per-thread caches)
//   semaphore         semaphore: weighted and FIFO like gort's (and Go's
//                     x/sync semaphore.Weighted): a std::mutex, and a queue
//                     of waiters each on its own std::condition_variable
//   context,          context, with_cancel: a std::stop_source per context,
//   with_cancel       tied to its parent's by a std::stop_callback that is
//                     destroyed (unregistered) when the child is cancelled
//
// Every call blocks its OS thread, as the baselines run one thread per
// goroutine of the gort side.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <stdexcept>
#include <stop_token>
#include <system_error>
#include <utility>
#include <vector>

namespace stdsync {

using mutex = std::mutex;
using rwmutex = std::shared_mutex;

// cond is std::condition_variable with gort::cond's names.
class cond {
 public:
  void wait(std::unique_lock<std::mutex>& lk) { cv_.wait(lk); }
  template <class Pred>
  void wait(std::unique_lock<std::mutex>& lk, Pred pred) {
    cv_.wait(lk, std::move(pred));
  }
  void signal() noexcept { cv_.notify_one(); }
  void broadcast() noexcept { cv_.notify_all(); }

 private:
  std::condition_variable cv_;
};

// wait_group is Go's WaitGroup. The last done() wakes the waiters while it
// holds the mutex, so a wait() cannot return (and its caller destroy the
// wait_group) before done() has stopped touching it.
class wait_group {
 public:
  void add(std::int64_t delta) {
    std::lock_guard lk(mu_);
    if (count_ + delta < 0)
      throw std::logic_error("sync: negative WaitGroup counter");
    count_ += delta;
    if (count_ == 0) zero_.notify_all();
  }
  void done() { add(-1); }
  void wait() {
    std::unique_lock lk(mu_);
    zero_.wait(lk, [&] { return count_ == 0; });
  }

 private:
  std::mutex mu_;
  std::condition_variable zero_;
  std::int64_t count_ = 0;
};

// pool is a free list under one mutex; get() makes an object when it is
// empty.
template <class T>
class pool {
 public:
  template <class F>
  explicit pool(F make) : make_(std::move(make)) {}
  T get() {
    {
      std::lock_guard lk(mu_);
      if (!free_.empty()) {
        T v = std::move(free_.back());
        free_.pop_back();
        return v;
      }
    }
    return make_();
  }
  void put(T v) {
    std::lock_guard lk(mu_);
    free_.push_back(std::move(v));
  }

 private:
  std::function<T()> make_;
  std::mutex mu_;
  std::vector<T> free_;
};

// semaphore is weighted and FIFO: an acquire that does not fit, or that
// finds others waiting, queues behind them; release hands the room to the
// waiters at the front, in order, while they fit.
class semaphore {
 public:
  explicit semaphore(std::int64_t n) : size_(n) {}
  void acquire(std::int64_t n = 1) {
    std::unique_lock lk(mu_);
    if (size_ - cur_ >= n && waiters_.empty()) {
      cur_ += n;
      return;
    }
    waiter w;
    w.n = n;
    waiters_.push_back(&w);
    w.cv.wait(lk, [&] { return w.ready; });
  }
  bool try_acquire(std::int64_t n = 1) {
    std::lock_guard lk(mu_);
    if (size_ - cur_ < n || !waiters_.empty()) return false;
    cur_ += n;
    return true;
  }
  void release(std::int64_t n = 1) {
    std::lock_guard lk(mu_);
    cur_ -= n;
    if (cur_ < 0) throw std::logic_error("semaphore: released more than held");
    while (!waiters_.empty() && size_ - cur_ >= waiters_.front()->n) {
      waiter* w = waiters_.front();
      waiters_.pop_front();
      cur_ += w->n;
      w->ready = true;
      w->cv.notify_one();  // under the lock: w lives on its waiter's stack
    }
  }

 private:
  struct waiter {
    std::int64_t n = 0;
    bool ready = false;
    std::condition_variable cv;
  };
  const std::int64_t size_;
  std::int64_t cur_ = 0;
  std::mutex mu_;
  std::deque<waiter*> waiters_;
};

class context;
class cancel_func;
std::pair<context, cancel_func> with_cancel(const context& parent);

// context is a copyable handle, as gort::context. background() has no stop
// state: it is never cancelled and children of it register nowhere.
class context {
 public:
  static context background() { return context(); }
  std::error_code err() const {
    if (st_ && st_->src.stop_requested())
      return std::make_error_code(std::errc::operation_canceled);
    return {};
  }

 private:
  friend class cancel_func;
  friend std::pair<context, cancel_func> with_cancel(const context& parent);

  // forward cancels the child it was made for when the parent is
  // cancelled.
  struct forward {
    std::stop_source child;
    void operator()() noexcept { child.request_stop(); }
  };
  struct state {
    std::stop_source src;
    std::mutex mu;                                    // guards link
    std::optional<std::stop_callback<forward>> link;  // on the parent
  };
  std::shared_ptr<state> st_;
};

// cancel_func cancels its context (idempotent, any thread) and unhooks it
// from its parent, as Go's cancel removes the child from the parent.
class cancel_func {
 public:
  void operator()() const {
    st_->src.request_stop();
    std::lock_guard lk(st_->mu);
    st_->link.reset();
  }

 private:
  friend std::pair<context, cancel_func> with_cancel(const context& parent);
  std::shared_ptr<context::state> st_;
};

inline std::pair<context, cancel_func> with_cancel(const context& parent) {
  auto st = std::make_shared<context::state>();
  if (parent.st_)
    st->link.emplace(parent.st_->src.get_token(),
                     context::forward{st->src});  // runs now if cancelled
  context ctx;
  ctx.st_ = st;
  cancel_func cancel;
  cancel.st_ = std::move(st);
  return {std::move(ctx), std::move(cancel)};
}

}  // namespace stdsync
