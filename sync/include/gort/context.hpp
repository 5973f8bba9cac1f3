// gort/context.hpp: Go's context package: cancellation, deadlines and
// typed values that flow down a call graph.
//
//   auto [ctx, cancel] = gort::with_timeout(gort::context::background(), 50ms);
//   gort::go([ctx = ctx] {
//     auto done = ctx.done();
//     while (gort::select(gort::case_recv(done), gort::case_default()) != 0)
//       work();  // until cancel() or the deadline; ctx.err() says which
//   });
//   cancel();  // idempotent; also cancels every context derived from ctx
//
// A context is a cheap, copyable, immutable handle. Deriving one never
// changes its parent. Cancelling one cancels all its descendants and none
// of its ancestors. A cancelled context detaches from its parent, so a
// long-lived parent does not collect dead children. The protocol is in
// sync/context.cpp.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <system_error>
#include <utility>
#include <variant>

#include <gort/chan.hpp>

namespace gort {

// errc is gort's error values: why a context ended (ctx.err() ==
// errc::canceled compiles) and the network errors of <gort/net.hpp>.
// Each message is Go's.
enum class errc {
  canceled = 1,           // "context canceled"
  deadline_exceeded = 2,  // "context deadline exceeded"
  closed = 3,             // "use of closed network connection"
  timeout = 4,            // "i/o timeout"
  eof = 5,                // "EOF"
  not_pollable = 6,       // "not pollable"
  unexpected_eof = 7,     // "unexpected EOF"
  unknown_network = 8,    // "unknown network"
  bad_address = 9,        // "invalid address"
  no_such_host = 10,      // "no such host"
};

// context_category is the category of errc codes ("context", the name it
// had before the network errors joined); its messages
// are Go's.
const std::error_category& context_category() noexcept;

// make_error_code makes errc usable as a std::error_code (found by ADL).
inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), context_category()};
}

}  // namespace gort

template <>
struct std::is_error_code_enum<gort::errc> : std::true_type {};

namespace gort {

class context;

// context_key<T> names a value of type T in a context. Keys compare by
// identity: two keys are the same key only if they are the same object, so
// a package's private key cannot collide with anyone else's. A key must
// outlive the contexts that use it (a namespace-scope key does).
template <typename T>
class context_key {
 public:
  context_key() noexcept = default;
  context_key(const context_key&) = delete;
  context_key& operator=(const context_key&) = delete;

 private:
  char identity_ = 0;  // gives the key a unique address
};

namespace detail {

class cancel_node;  // sync/context.cpp

// ctx_node is one link of a context chain. Nodes are immutable after
// construction except for a cancel_node's cancellation state.
struct ctx_node {
  virtual ~ctx_node();
  std::shared_ptr<const ctx_node> parent;
  // The nearest node at or above this one that can be cancelled; nullptr
  // if none (the chain ends at background). Kept alive by `parent` (or is
  // this node).
  cancel_node* canceller = nullptr;
  std::optional<std::chrono::steady_clock::time_point> deadline;
  const void* key = nullptr;  // value nodes: the key's address

  // value returns the value stored under `key`, if this is a value node.
  virtual const void* value() const noexcept { return nullptr; }
};

template <typename T>
struct value_node final : ctx_node {
  explicit value_node(T v) : v_(std::move(v)) {}
  const void* value() const noexcept override { return &v_; }

 private:
  T v_;
};

// ctx_access builds contexts from nodes (the with_* functions).
struct ctx_access;

}  // namespace detail

// cancel_func cancels the context it came with. Calling it more than once,
// or from several goroutines at once, is fine: the first call wins. It is
// copyable, and callable through a const reference. Keeping it alive keeps
// the context's cancellation state alive, nothing more.
class cancel_func {
 public:
  cancel_func() noexcept = default;
  void operator()() const noexcept;

 private:
  friend struct detail::ctx_access;
  std::shared_ptr<detail::cancel_node> node_;
};

// context is a handle to an immutable context. Default-constructed, it is
// background(). All members are safe to call from any goroutine or thread.
class context {
 public:
  using time_point = std::chrono::steady_clock::time_point;

  context() noexcept = default;

  // background is the root: never cancelled, no deadline, no values.
  static context background() noexcept { return context(); }

  // done returns a channel that is closed when this context is cancelled
  // or its deadline passes; for background (and chains of values over it)
  // it is a nil channel, on which a receive waits forever, as in Go.
  recv_chan<std::monostate> done() const;

  // err is empty while the context is live, then errc::canceled or
  // errc::deadline_exceeded: the first cause wins and never changes.
  std::error_code err() const noexcept;

  // deadline is when this context will be cancelled by its deadline (its
  // own or an ancestor's, whichever is earlier), or nullopt.
  std::optional<time_point> deadline() const noexcept {
    if (node_ == nullptr) return std::nullopt;
    return node_->deadline;
  }

  // value returns the value stored under key by the nearest with_value in
  // this context's chain, or nullptr. The pointer lives as long as any
  // context derived from that with_value.
  template <typename T>
  const T* value(const context_key<T>& key) const noexcept {
    for (const detail::ctx_node* n = node_.get(); n != nullptr;
         n = n->parent.get())
      if (n->key == &key) return static_cast<const T*>(n->value());
    return nullptr;
  }

 private:
  friend struct detail::ctx_access;
  explicit context(std::shared_ptr<const detail::ctx_node> n) noexcept
      : node_(std::move(n)) {}

  std::shared_ptr<const detail::ctx_node> node_;  // nullptr: background
};

// with_cancel returns a child of parent and the function that cancels it.
// The child is cancelled when cancel() is called or when parent is,
// whichever is first; if parent is already cancelled, so is the child.
std::pair<context, cancel_func> with_cancel(const context& parent);

// with_deadline is with_cancel, and the child also cancels itself with
// errc::deadline_exceeded at `d`, on the runtime's timers. A deadline
// already past cancels at once; a deadline later than the parent's is the
// parent's (a child never outlives its parent's deadline).
std::pair<context, cancel_func> with_deadline(
    const context& parent, std::chrono::steady_clock::time_point d);

// with_timeout is with_deadline(parent, now + d).
template <typename Rep, typename Period>
std::pair<context, cancel_func> with_timeout(
    const context& parent, std::chrono::duration<Rep, Period> d) {
  // Saturating now + d, for any Rep and Period (hours::max() included).
  using seconds = std::chrono::duration<double>;
  const auto now = std::chrono::steady_clock::now();
  if (d <= d.zero()) return with_deadline(parent, now);
  if (seconds(d) >= seconds(context::time_point::max() - now))
    return with_deadline(parent, context::time_point::max());
  return with_deadline(
      parent,
      now + std::chrono::duration_cast<context::time_point::duration>(d));
}

namespace detail {
struct ctx_access {
  static context wrap(std::shared_ptr<const ctx_node> n) noexcept {
    return context(std::move(n));
  }
  static const std::shared_ptr<const ctx_node>& node(
      const context& c) noexcept {
    return c.node_;
  }
  static cancel_func make_cancel(std::shared_ptr<cancel_node> n) noexcept {
    cancel_func f;
    f.node_ = std::move(n);
    return f;
  }
};
}  // namespace detail

// with_value returns a child of parent that carries v under key; lookups
// through it and its descendants find v (the nearest with_value wins).
template <typename T, typename V>
context with_value(const context& parent, const context_key<T>& key, V&& v) {
  auto n = std::make_shared<detail::value_node<T>>(T(std::forward<V>(v)));
  const auto& p = detail::ctx_access::node(parent);
  if (p != nullptr) {
    n->canceller = p->canceller;
    n->deadline = p->deadline;
  }
  n->parent = p;
  n->key = &key;
  return detail::ctx_access::wrap(std::move(n));
}

// sleep pauses the caller for d, or until ctx is done, whichever is first.
// Returns empty if the whole d passed, else ctx.err().
std::error_code sleep(const context& ctx, std::chrono::nanoseconds d);

}  // namespace gort
