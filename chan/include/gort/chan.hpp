// gort/chan.hpp: Go's channels. chan<T> is a counted handle to a channel;
// send_chan<T> and recv_chan<T> are Go's chan<- T and <-chan T.
//
// Semantics are Go's (API.md, "Channels"):
//   - A nil channel (default-constructed handle) blocks send and recv
//     forever; close of a nil channel throws usage_error.
//   - recv on a closed channel returns the buffered values, then nullopt at
//     once. send on a closed channel throws usage_error.
//   - Waiting senders and receivers are served in FIFO order; a send to a
//     waiting receiver hands the value over directly.
//   - A send happens before the matching receive completes.
// Every call works from goroutines (which park) and from plain threads
// (which block in the kernel), in any mix.
#pragma once

#include <cstddef>
#include <iterator>
#include <optional>
#include <type_traits>
#include <utility>

#include <gort/chan_core.hpp>

namespace gort {

template <class T>
class chan;
template <class T>
class send_chan;
template <class T>
class recv_chan;

namespace detail {

// chan_handle owns one reference to a channel (or none: nil).
class chan_handle {
 public:
  chan_handle() noexcept = default;
  explicit chan_handle(hchan* c) noexcept : c_(c) {}  // adopts c's reference
  chan_handle(const chan_handle& o) noexcept : c_(o.c_) {
    if (c_ != nullptr) chan_ref(c_);
  }
  chan_handle(chan_handle&& o) noexcept : c_(std::exchange(o.c_, nullptr)) {}
  chan_handle& operator=(chan_handle o) noexcept {
    std::swap(c_, o.c_);
    return *this;
  }
  ~chan_handle() {
    if (c_ != nullptr) chan_unref(c_);
  }
  hchan* get() const noexcept { return c_; }

 private:
  hchan* c_ = nullptr;
};

// chan_access lets select and the time channels reach a handle's channel.
struct chan_access {
  template <class H>
  static hchan* get(const H& h) noexcept {
    return h.h_.get();
  }
  // take moves the reference out of a handle (an rvalue the caller owns).
  template <class H>
  static chan_handle take(H&& h) noexcept {
    return std::move(h.h_);
  }
  // share returns a new reference to c (nil stays nil).
  static chan_handle share(hchan* c) noexcept {
    if (c != nullptr) chan_ref(c);
    return chan_handle(c);
  }
  template <class T>
  static chan<T> adopt(hchan* c) noexcept {
    chan<T> ch;
    ch.h_ = chan_handle(c);
    return ch;
  }
};

template <class T>
std::optional<T> recv_value(hchan* c) {
  alignas(T) unsigned char buf[sizeof(T)];
  if (!chan_recv(c, buf)) return std::nullopt;
  T* p = std::launder(reinterpret_cast<T*>(buf));
  std::optional<T> v(std::move(*p));
  p->~T();
  return v;
}

// recv_iterator is range-for over a channel: it receives until the channel
// is closed and drained. *it yields an rvalue, so move-only T works.
template <class T>
class recv_iterator {
 public:
  using value_type = T;
  using difference_type = std::ptrdiff_t;
  using iterator_category = std::input_iterator_tag;

  recv_iterator() noexcept = default;
  explicit recv_iterator(hchan* c) : c_(c) { ++*this; }
  T&& operator*() { return std::move(*cur_); }
  recv_iterator& operator++() {
    cur_ = recv_value<T>(c_);
    return *this;
  }
  void operator++(int) { ++*this; }
  friend bool operator==(const recv_iterator& it, std::default_sentinel_t) {
    return !it.cur_.has_value();
  }

 private:
  hchan* c_ = nullptr;
  std::optional<T> cur_;
};

template <class T>
inline constexpr bool chan_element_ok =
    std::is_object_v<T> && !std::is_const_v<T> &&
    std::is_nothrow_move_constructible_v<T> &&
    std::is_nothrow_destructible_v<T>;

// chan_common is what every handle has: the reference and the queries.
class chan_common {
 public:
  // size is the number of buffered values now; capacity is fixed at make.
  // Both are 0 for the nil channel.
  std::size_t size() const noexcept { return chan_len(h_.get()); }
  std::size_t capacity() const noexcept { return chan_cap(h_.get()); }
  // nil reports whether this is the nil channel.
  bool nil() const noexcept { return h_.get() == nullptr; }

 protected:
  chan_common() noexcept = default;
  friend struct chan_access;
  chan_handle h_;
};

// recv_side and send_side are the two directions, mixed into the handles
// that may use them (D is the handle's own type).
template <class D, class T>
class recv_side {
 public:
  // recv blocks for a value; nullopt once the channel is closed and
  // drained. Nil: blocks forever.
  std::optional<T> recv() const { return recv_value<T>(ch()); }
  // Range-for: receives until closed and drained.
  recv_iterator<T> begin() const { return recv_iterator<T>(ch()); }
  std::default_sentinel_t end() const noexcept { return {}; }

 private:
  hchan* ch() const noexcept {
    return chan_access::get(static_cast<const D&>(*this));
  }
};

template <class D, class T>
class send_side {
 public:
  // send blocks until a receiver takes v (unbuffered) or v is buffered.
  // Throws usage_error("send on closed channel"). Nil: blocks forever.
  void send(T v) const { chan_send(ch(), &v); }
  // close wakes every waiting receiver and sender (senders throw). Throws
  // usage_error("close of nil channel" / "close of closed channel").
  void close() const { chan_close(ch()); }

 private:
  hchan* ch() const noexcept {
    return chan_access::get(static_cast<const D&>(*this));
  }
};

}  // namespace detail

// chan<T> is a handle to a channel of T. Copies refer to the same channel
// and == compares identity. Default-constructed: the nil channel. T must be
// nothrow-move-constructible (values move under the channel's lock); it may
// be move-only.
template <class T>
class chan : public detail::chan_common,
             public detail::recv_side<chan<T>, T>,
             public detail::send_side<chan<T>, T> {
  static_assert(detail::chan_element_ok<T>,
                "gort::chan<T>: T must be a non-const object type with a "
                "noexcept move constructor and destructor");

 public:
  using value_type = T;
  chan() noexcept = default;
  friend bool operator==(const chan& a, const chan& b) noexcept {
    return a.h_.get() == b.h_.get();
  }
};

// send_chan<T> is a send-only view (Go's chan<- T): send, close, size and
// capacity. A chan<T> converts to it; it does not convert back.
template <class T>
class send_chan : public detail::chan_common,
                  public detail::send_side<send_chan<T>, T> {
 public:
  using value_type = T;
  send_chan() noexcept = default;
  send_chan(const chan<T>& c) noexcept  // NOLINT: implicit, as in Go
      : chan_common(c) {}
  friend bool operator==(const send_chan& a, const send_chan& b) noexcept {
    return a.h_.get() == b.h_.get();
  }
};

// recv_chan<T> is a receive-only view (Go's <-chan T): recv, range-for,
// size and capacity. A chan<T> converts to it; it does not convert back.
template <class T>
class recv_chan : public detail::chan_common,
                  public detail::recv_side<recv_chan<T>, T> {
 public:
  using value_type = T;
  recv_chan() noexcept = default;
  recv_chan(const chan<T>& c) noexcept  // NOLINT: implicit, as in Go
      : chan_common(c) {}
  friend bool operator==(const recv_chan& a, const recv_chan& b) noexcept {
    return a.h_.get() == b.h_.get();
  }
};

// make_chan returns a new channel with room for `capacity` buffered values;
// 0 (the default) is unbuffered: a send completes only when a receiver has
// taken the value. Throws usage_error if capacity * sizeof(T) overflows.
template <class T>
chan<T> make_chan(std::size_t capacity = 0) {
  return detail::chan_access::adopt<T>(
      detail::chan_make(capacity, &detail::elem_ops_for<T>));
}

}  // namespace gort
