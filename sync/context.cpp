// Contexts
//
// Go's context package. A context is a chain of immutable nodes, each
// holding its parent: background is the empty chain, with_value adds a
// node carrying one typed value, and with_cancel / with_deadline add a
// cancel_node, the only kind with state. Every node knows the nearest
// cancel_node at or above it (its `canceller`), so err(), done() and the
// context-aware waits go straight to the state they need; value lookups
// walk the chain, as in Go.
//
// Cancel hooks. Whatever must react to a cancellation registers a
// cancel_hook on the canceller (sync/internal/cancel.hpp): a child
// cancel_node registers its `parent_hook` on its parent's canceller, and a
// context-aware wait registers one for as long as it sleeps. Cancelling a
// node sets err, detaches the whole hook list under the node's lock, closes
// done() and then, with no lock held, runs the hooks. A child's hook is not
// called recursively: the child goes on a work list, so cancelling a chain
// a million deep needs no stack.
//
// Hook lifetime. A hook lives in its owner's memory (a waiter's frame, a
// child's node), and the canceller touches it after dropping the lock. So
// disarm, which the owner calls before freeing the hook, removes the hook
// if it is still armed and otherwise waits for the canceller to mark it
// fired. The canceller touches a hook for the last time with that mark.
//
// Detaching. A child removes its hook from its parent when it is cancelled
// by its own cancel or deadline (and when its node is freed uncancelled),
// so a parent that lives for hours and spawns a million short-lived
// children holds none of them (Go's removeChild).
//
// Deadlines run on the runtime's timers: a cancel_node with a deadline owns
// a timer whose function cancels the node with deadline_exceeded. A node
// cancelled otherwise takes its timer out of the heap; the node's
// destructor waits out a firing under way (remove_sync).
//
// Invariants (node lock held, except where said):
//   X1. err goes from 0 to canceled or deadline_exceeded once, under the
//       lock, and never changes again; hooks are armed only while err == 0.
//   X2. A hook is in a node's list iff its state is armed; the canceller
//       moves it to firing when it detaches the list, to fired (without the
//       lock) after its last touch.
//   X3. done_ is closed exactly once: by the canceller if it existed when
//       err was set; a done() that finds err set and no done_ stores the
//       process's one closed channel (Go's closedchan).
//   X4. A cancel_node on a work list is kept alive by its parent_hook not
//       yet being fired (its destructor's disarm waits).
//   X5. settled is set (without the lock) once err is set and every
//       descendant's err is set too; a cancel() that finds err already set
//       returns only after settled. A canceller leaves its parent's hook
//       list (which may wait for the parent's canceller) only after
//       setting settled, so two cancellers never wait for each other.
//   X6. timer_live is set under the lock by the creator once the deadline
//       timer is in a heap, unless err is set by then; mark removes the
//       timer iff it finds timer_live, the creator iff it found err set.
//       Either way a cancelled node's timer leaves its heap.
//
// Lock order: a node's lock has rank leaf: hooks run, channels close and
// timers are removed after it is released.
#include <gort/context.hpp>
#include <gort/select.hpp>
#include <gort/time.hpp>

#include <mutex>
#include <string>
#include <vector>

#include "runtime/internal/rt_mutex.hpp"
#include "sched/internal/sched.hpp"
#include "sched/internal/timers.hpp"
#include "sync/internal/cancel.hpp"

namespace gort {
namespace {

class context_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "context"; }
  std::string message(int code) const override {
    switch (static_cast<errc>(code)) {
      case errc::canceled:
        return "context canceled";
      case errc::deadline_exceeded:
        return "context deadline exceeded";
      case errc::closed:
        return "use of closed network connection";
      case errc::timeout:
        return "i/o timeout";
      case errc::eof:
        return "EOF";
      case errc::not_pollable:
        return "not pollable";
      case errc::unexpected_eof:
        return "unexpected EOF";
      case errc::unknown_network:
        return "unknown network";
      case errc::bad_address:
        return "invalid address";
      case errc::no_such_host:
        return "no such host";
    }
    return "unknown gort error";
  }
};

}  // namespace

const std::error_category& context_category() noexcept {
  static const context_category_impl category;
  return category;
}

namespace detail {

// A chain of a million contexts must not be freed by a million nested
// destructor calls (a goroutine's stack is small): unlink the parents this
// node alone holds, one at a time.
ctx_node::~ctx_node() {
  std::shared_ptr<const ctx_node> up = std::move(parent);
  while (up != nullptr && up.use_count() == 1) {
    // The node is ours alone; detach its parent before it dies.
    auto next = std::move(const_cast<ctx_node&>(*up).parent);
    up = std::move(next);
  }
}

chan<std::monostate> closed_chan();  // below

class cancel_node final : public ctx_node {
 public:
  cancel_node() noexcept { canceller = this; }
  ~cancel_node() override;

  // cancel cancels this node and its descendants with `code`; if
  // `detach`, it also leaves its parent's hook list. Any thread.
  void cancel(errc code, bool detach) noexcept;
  // adopt arms parent_hook on the parent's canceller, or, if the parent is
  // already cancelled, cancels this node with the parent's error.
  void adopt();
  // prepare_timer sets the deadline timer up, before the node is shared;
  // start_timer then adds it to a heap (deadline set, in the future).
  void prepare_timer() noexcept;
  void start_timer();
  // done returns the (possibly new) done channel.
  recv_chan<std::monostate> done();

  std::atomic<int> err{0};                // X1; read without the lock
  std::atomic<std::uint32_t> settled{0};  // X5
  internal::rt_mutex lock{internal::lock_rank::leaf};
  internal::cancel_hook* hooks = nullptr;  // X2
  chan<std::monostate> done_;              // X3
  internal::cancel_hook parent_hook;       // on the parent's canceller
  internal::timer timer;
  bool has_timer = false;   // set before the node is shared
  bool timer_live = false;  // X6

 private:
  // mark sets err and detaches the hooks; returns false if already
  // cancelled. Hooks that are children go on `work`; the others run.
  bool mark(errc code, std::vector<cancel_node*>& work) noexcept;
};

}  // namespace detail

namespace internal {
namespace {

using detail::cancel_node;

void child_hook_fn(cancel_hook*) noexcept {
  // Never called: cancel_node::mark recognises child hooks by this address
  // and queues the child instead of recursing.
}

cancel_node* child_of(cancel_hook* h) noexcept {
  return static_cast<cancel_node*>(h->owner);
}

bool arm_on(cancel_node* n, cancel_hook& h) noexcept {
  std::lock_guard<rt_mutex> lk(n->lock);
  if (n->err.load(std::memory_order_relaxed) != 0) return false;  // X1
  h.node = n;
  h.prev = nullptr;
  h.next = n->hooks;
  if (n->hooks != nullptr) n->hooks->prev = &h;
  n->hooks = &h;
  h.state.store(cancel_hook::armed, std::memory_order_relaxed);
  return true;
}

}  // namespace

void wait_until(const std::atomic<std::uint32_t>& word,
                std::uint32_t value) noexcept {
  for (int i = 0; word.load(std::memory_order_acquire) != value; ++i) {
    if (i < 64)
      __builtin_ia32_pause();
    else
      gort::yield();
  }
}

bool arm(const context& ctx, cancel_hook& h) noexcept {
  const auto& n = detail::ctx_access::node(ctx);
  if (n == nullptr || n->canceller == nullptr) return true;
  return arm_on(n->canceller, h);
}

void disarm(cancel_hook& h) noexcept {
  if (h.state.load(std::memory_order_acquire) == cancel_hook::idle) return;
  cancel_node* n = h.node;
  {
    std::lock_guard<rt_mutex> lk(n->lock);
    switch (h.state.load(std::memory_order_relaxed)) {
      case cancel_hook::armed:
        if (h.prev != nullptr)
          h.prev->next = h.next;
        else
          n->hooks = h.next;
        if (h.next != nullptr) h.next->prev = h.prev;
        h.state.store(cancel_hook::idle, std::memory_order_relaxed);
        return;
      case cancel_hook::idle:  // a concurrent disarm got there first
        return;
      default:
        break;
    }
  }
  wait_until(h.state, cancel_hook::fired);  // X2: the canceller has it
  h.state.store(cancel_hook::idle, std::memory_order_relaxed);
}

}  // namespace internal

namespace detail {

using internal::cancel_hook;

cancel_node::~cancel_node() {
  // The timer first: a firing under way disarms parent_hook itself.
  if (has_timer) internal::timer_heap::remove_sync(&timer);
  internal::disarm(parent_hook);
}

bool cancel_node::mark(errc code, std::vector<cancel_node*>& work) noexcept {
  cancel_hook* list;
  chan<std::monostate> to_close;
  bool stop_timer;
  {
    std::lock_guard<internal::rt_mutex> lk(lock);
    if (err.load(std::memory_order_relaxed) != 0) return false;
    err.store(static_cast<int>(code), std::memory_order_release);  // X1
    list = hooks;
    hooks = nullptr;
    for (cancel_hook* h = list; h != nullptr; h = h->next)
      h->state.store(cancel_hook::firing, std::memory_order_relaxed);  // X2
    to_close = done_;                                                  // X3
    stop_timer = timer_live;                                           // X6
  }
  if (stop_timer) internal::timer_heap::remove(&timer);
  if (!to_close.nil()) to_close.close();
  while (list != nullptr) {
    cancel_hook* h = list;
    list = h->next;  // h may be freed once fired
    if (h->fn == &internal::child_hook_fn) {
      work.push_back(internal::child_of(h));  // fired after it is done: X4
    } else {
      h->fn(h);
      h->state.store(cancel_hook::fired, std::memory_order_release);
    }
  }
  return true;
}

void cancel_node::cancel(errc code, bool detach) noexcept {
  std::vector<cancel_node*> work;
  if (!mark(code, work)) {
    // Another canceller got here first: return once it has finished this
    // subtree, so that after any cancel() every descendant is cancelled
    // (Go's cancel holds the node's mutex throughout).
    internal::wait_until(settled, 1);
    return;
  }
  // Breadth-first over the subtree; work only grows (X4: each node in it
  // stays alive until its hook is marked fired, at the end).
  for (std::size_t i = 0; i < work.size(); ++i) {
    cancel_node* child = work[i];
    if (!child->mark(code, work))  // its own cancel or deadline is under way
      internal::wait_until(child->settled, 1);
  }
  for (cancel_node* child : work) {
    child->settled.store(1, std::memory_order_release);  // X5
    child->parent_hook.state.store(cancel_hook::fired,
                                   std::memory_order_release);
  }
  settled.store(1, std::memory_order_release);
  // Last: leaving the parent may wait for the parent's canceller, which
  // may be waiting for `settled` above.
  if (detach) internal::disarm(parent_hook);
}

void cancel_node::adopt() {
  parent_hook.fn = &internal::child_hook_fn;
  parent_hook.owner = this;
  if (parent == nullptr || parent->canceller == nullptr) return;
  cancel_node* up = parent->canceller;
  if (!internal::arm_on(up, parent_hook))
    cancel(static_cast<errc>(up->err.load(std::memory_order_acquire)), false);
}

void cancel_node::prepare_timer() noexcept {
  timer.fn = [](void* arg, std::uint64_t) noexcept {
    static_cast<cancel_node*>(arg)->cancel(errc::deadline_exceeded, true);
  };
  timer.arg = this;
  has_timer = true;
}

void cancel_node::start_timer() {
  internal::ensure_started();
  const std::int64_t when = internal::to_ns(*deadline);
  if (internal::timer_add(&timer, when)) internal::note_timer_added(when);
  bool cancelled;
  {
    std::lock_guard<internal::rt_mutex> lk(lock);
    cancelled = err.load(std::memory_order_relaxed) != 0;
    timer_live = !cancelled;  // X6
  }
  // Cancelled (by the parent) before the timer was live: mark did not
  // remove it, so we do.
  if (cancelled) internal::timer_heap::remove(&timer);
}

recv_chan<std::monostate> cancel_node::done() {
  for (;;) {
    // The closed channel is made outside the lock (closing takes the
    // channel's lock, which ranks below ours).
    chan<std::monostate> closed;
    if (err.load(std::memory_order_acquire) != 0) closed = closed_chan();
    std::lock_guard<internal::rt_mutex> lk(lock);
    if (done_.nil()) {
      if (err.load(std::memory_order_relaxed) == 0)
        done_ = make_chan<std::monostate>();  // X3: mark will close it
      else if (!closed.nil())
        done_ = closed;  // X3: already closed
      else
        continue;  // cancelled since we looked: fetch the closed one
    }
    return done_;
  }
}

}  // namespace detail

void cancel_func::operator()() const noexcept {
  if (node_ != nullptr) node_->cancel(errc::canceled, true);
}

recv_chan<std::monostate> context::done() const {
  if (node_ == nullptr || node_->canceller == nullptr) return {};
  return node_->canceller->done();
}

std::error_code context::err() const noexcept {
  if (node_ == nullptr || node_->canceller == nullptr) return {};
  const int e = node_->canceller->err.load(std::memory_order_acquire);
  if (e == 0) return {};
  return static_cast<errc>(e);
}

namespace {

std::shared_ptr<detail::cancel_node> new_child(const context& parent) {
  auto n = std::make_shared<detail::cancel_node>();
  n->parent = detail::ctx_access::node(parent);
  if (n->parent != nullptr) n->deadline = n->parent->deadline;
  return n;
}

}  // namespace

namespace detail {

// closed_chan is the channel a context cancelled before anyone asked for
// done() hands out: closed once, shared, never freed.
chan<std::monostate> closed_chan() {
  static const chan<std::monostate>* const c = [] {
    auto* ch = new chan<std::monostate>(make_chan<std::monostate>());
    ch->close();
    return ch;
  }();
  return *c;
}

}  // namespace detail

namespace {

std::pair<context, cancel_func> pair_of(
    std::shared_ptr<detail::cancel_node> n) {
  return {detail::ctx_access::wrap(n), detail::ctx_access::make_cancel(n)};
}

}  // namespace

std::pair<context, cancel_func> with_cancel(const context& parent) {
  auto n = new_child(parent);
  n->adopt();
  return pair_of(std::move(n));
}

std::pair<context, cancel_func> with_deadline(const context& parent,
                                              context::time_point d) {
  const auto inherited = parent.deadline();
  if (inherited && *inherited <= d) return with_cancel(parent);
  auto n = new_child(parent);
  n->deadline = d;
  const bool past = std::chrono::steady_clock::now() >= d;
  const bool timed = !past && d != context::time_point::max();
  if (timed) n->prepare_timer();  // before adopt shares the node
  n->adopt();
  if (past)
    n->cancel(errc::deadline_exceeded, true);
  else if (timed)
    n->start_timer();
  return pair_of(std::move(n));
}

std::error_code sleep(const context& ctx, std::chrono::nanoseconds d) {
  if (auto e = ctx.err()) return e;
  if (d <= std::chrono::nanoseconds::zero()) return {};
  recv_chan<std::monostate> done = ctx.done();
  if (done.nil()) {  // never cancelled
    gort::sleep(d);
    return {};
  }
  if (select(case_recv(std::move(done)), case_recv(after(d))) == 0)
    return ctx.err();
  return {};
}

}  // namespace gort
