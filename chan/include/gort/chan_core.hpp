// gort/chan_core.hpp: the type-erased channel core that chan<T>, select and
// the time channels are thin templates over. Not for direct use: the names
// live in gort::detail and may change. The implementation, with the design
// essay and invariants, is in chan/chan.cpp and chan/select.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <type_traits>
#include <utility>

namespace gort::detail {

// elem_ops tells the core how to move a T it only sees as bytes. A move
// always leaves the source alive (its owner destroys it), except take().
struct elem_ops {
  std::size_t size;
  std::size_t align;
  bool trivial;  // memcpy moves and no destructor: the ops below are unused
  void (*move_new)(void* dst, void* src) noexcept;  // new (dst) T(move(*src))
  void (*destroy)(void* p) noexcept;                // p->~T()
};

template <class T>
void elem_move_new(void* dst, void* src) noexcept {
  ::new (dst) T(std::move(*static_cast<T*>(src)));
}
template <class T>
void elem_destroy(void* p) noexcept {
  static_cast<T*>(p)->~T();
}

template <class T>
inline constexpr elem_ops elem_ops_for{
    sizeof(T), alignof(T),
    std::is_trivially_copyable_v<T>&& std::is_trivially_destructible_v<T>,
    &elem_move_new<T>, &elem_destroy<T>};

// hchan is the channel itself (chan/internal/hchan.hpp); user code holds it
// through a counted handle.
struct hchan;

// chan_make allocates a channel of `capacity` elements described by ops.
// Throws usage_error if the buffer cannot be sized, std::bad_alloc on OOM.
hchan* chan_make(std::size_t capacity, const elem_ops* ops);
// chan_ref adds a reference to c (non-null); chan_unref drops one and frees
// the channel with the last. Any thread.
void chan_ref(hchan* c) noexcept;
void chan_unref(hchan* c) noexcept;

// chan_send moves *v into c, blocking while c cannot take it. c == nullptr
// blocks forever. Throws usage_error("send on closed channel") if c is or
// becomes closed. *v stays alive (moved-from) for its owner to destroy.
void chan_send(hchan* c, void* v);
// chan_recv receives from c into the raw storage `dst`, blocking while c
// is empty and open. Returns true with a T constructed at dst, or false
// (dst untouched) once c is closed and drained. c == nullptr blocks forever.
bool chan_recv(hchan* c, void* dst);
// chan_close closes c, waking every waiting receiver and sender. Throws
// usage_error for a nil or closed channel.
void chan_close(hchan* c);
// chan_len and chan_cap are Go's len and cap; 0 for nil.
std::size_t chan_len(const hchan* c) noexcept;
std::size_t chan_cap(const hchan* c) noexcept;

// scase is one case of a select: a send of *elem to c, or a receive from c
// into the raw storage elem. c == nullptr: the case is never ready.
struct scase {
  hchan* c;
  void* elem;
  bool is_send;
};

// select_go runs a select over cases[0..n): if some are ready it completes
// one chosen uniformly at random; otherwise, when `block`, it waits until
// one can complete, else it returns -1 at once. Returns the index of the
// completed case; for a receive, *recv_ok says whether a value arrived
// (false: the channel was closed). Throws usage_error if the chosen case is
// a send on a closed channel. n == 0 and block: waits forever.
int select_go(scase* cases, int n, bool block, bool* recv_ok);

}  // namespace gort::detail
