// gort/select.hpp: Go's select statement.
//
//   std::size_t i = gort::select(
//       gort::case_recv(c1, [&](std::optional<int> v) { ... }),
//       gort::case_send(c2, value, [&] { ... }),
//       gort::case_default([&] { ... }));
//
// select blocks until one case can proceed and runs that case's handler;
// when several can, it picks one uniformly at random; case_default, if
// present, runs when none can. A case on a nil channel is never ready.
// select() with no cases blocks forever (Go's `select {}`). It returns the
// 0-based position of the case that ran among its arguments, counting
// case_default. A send case chosen on a closed channel throws usage_error,
// even when a default is present (Go panics).
//
// For a number of cases known only at run time, build a vector of
// select_case and call select(std::span<select_case>); it returns the index
// of the case that ran (Go's reflect.Select).
//
// Handlers: a case_recv handler takes std::optional<T> (nullopt: the
// channel is closed) or nothing; case_send and case_default handlers take
// nothing. Any handler may be omitted.
//
// case_send evaluates its value when the case is made, as Go does: it
// copies an lvalue of a copyable T and moves from an rvalue. An lvalue of a
// move-only T is moved from only if its case is the one chosen, so a select
// that picks another case loses nothing.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <type_traits>
#include <utility>

#include <gort/chan.hpp>
#include <gort/chan_core.hpp>

namespace gort {
namespace detail {

struct no_handler {
  template <class... A>
  void operator()(A&&...) const noexcept {}
};

// A case refers to its channel by pointer. When it was made from a
// temporary handle (case_recv(after(1s))) it also owns that handle (keep),
// so the channel lives as long as the case.
template <class T, class F>
struct recv_case {
  hchan* c;
  F f;
  alignas(T) unsigned char buf[sizeof(T)];
  chan_handle keep;

  scase core() noexcept { return scase{c, buf, false}; }
  void run(bool ok) {
    std::optional<T> v;
    if (ok) {
      T* p = std::launder(reinterpret_cast<T*>(buf));
      v.emplace(std::move(*p));
      p->~T();
    }
    if constexpr (std::is_invocable_v<F&, std::optional<T>>)
      f(std::move(v));
    else
      f();
  }
};

// V is T (the case owns its value) or T* (an lvalue of a move-only T).
template <class T, class V, class F>
struct send_case {
  hchan* c;
  V v;
  F f;
  chan_handle keep;

  scase core() noexcept {
    if constexpr (std::is_pointer_v<V>)
      return scase{c, v, true};
    else
      return scase{c, &v, true};
  }
  void run(bool) { f(); }
};

template <class F>
struct default_case {
  F f;
  void run(bool) { f(); }
};

template <class C>
inline constexpr bool is_default_case = false;
template <class F>
inline constexpr bool is_default_case<default_case<F>> = true;

template <class C>
inline constexpr bool is_select_case = false;
template <class T, class F>
inline constexpr bool is_select_case<recv_case<T, F>> = true;
template <class T, class V, class F>
inline constexpr bool is_select_case<send_case<T, V, F>> = true;
template <class F>
inline constexpr bool is_select_case<default_case<F>> = true;

template <class T, class V>
using send_storage =
    std::conditional_t<std::is_lvalue_reference_v<V> &&
                           !std::is_const_v<std::remove_reference_t<V>> &&
                           !std::is_copy_constructible_v<T> &&
                           std::is_same_v<std::remove_cvref_t<V>, T>,
                       T*, T>;

template <class T, class V, class F>
auto make_send_case(hchan* c, V&& v, F f, chan_handle keep) {
  using S = send_storage<T, V>;
  if constexpr (std::is_pointer_v<S>)
    return send_case<T, S, F>{c, &v, std::move(f), std::move(keep)};
  else
    return send_case<T, S, F>{c, T(std::forward<V>(v)), std::move(f),
                              std::move(keep)};
}

// keep_if_temporary returns the reference of a temporary handle (moved, so
// free) and nothing for an lvalue, which its owner keeps alive.
template <class H>
chan_handle keep_if_temporary(H&& h) noexcept {
  if constexpr (std::is_rvalue_reference_v<H&&>)
    return chan_access::take(std::move(h));
  else
    return {};
}

template <class H, template <class> class... Kinds>
inline constexpr bool is_handle_of = false;
template <class T, template <class> class K, template <class> class... Kinds>
inline constexpr bool is_handle_of<K<T>, K, Kinds...> = true;
template <class H, template <class> class K, template <class> class... Kinds>
inline constexpr bool is_handle_of<H, K, Kinds...> = is_handle_of<H, Kinds...>;

// The handles a case may receive from, and send on.
template <class H>
concept recv_handle = is_handle_of<std::remove_cvref_t<H>, chan, recv_chan>;
template <class H>
concept send_handle = is_handle_of<std::remove_cvref_t<H>, chan, send_chan>;
template <class H>
using elem_of = typename std::remove_cvref_t<H>::value_type;

}  // namespace detail

// case_recv is a receive case on c (a chan<T> or recv_chan<T>). The
// handler takes std::optional<T> (nullopt: c is closed and drained) or
// nothing.
template <class H, class F = detail::no_handler>
requires detail::recv_handle<H>
auto case_recv(H&& c, F f = {}) {
  return detail::recv_case<detail::elem_of<H>, F>{
      detail::chan_access::get(c),
      std::move(f),
      {},
      detail::keep_if_temporary(std::forward<H>(c))};
}

namespace detail {
// A value case_send accepts: anything T is made from, or an lvalue T (which
// a move-only T is moved from only if its case is chosen).
template <class T, class V>
concept sendable = std::is_constructible_v<T, V&&> || std::is_same_v<V, T&>;
}  // namespace detail

// case_send is a send case of v on c (a chan<T> or send_chan<T>); the
// handler takes nothing.
template <class H, class V, class F = detail::no_handler>
requires detail::send_handle<H> && detail::sendable<detail::elem_of<H>, V>
auto case_send(H&& c, V&& v, F f = {}) {
  detail::hchan* ch = detail::chan_access::get(c);
  return detail::make_send_case<detail::elem_of<H>>(
      ch, std::forward<V>(v), std::move(f),
      detail::keep_if_temporary(std::forward<H>(c)));
}

// case_default runs when no other case is ready.
template <class F = detail::no_handler>
detail::default_case<F> case_default(F f = {}) {
  return {std::move(f)};
}

// select runs one of its cases, as described at the top of this file.
template <class... Cases>
requires(detail::is_select_case<std::remove_cvref_t<Cases>>&&...) std::size_t
    select(Cases&&... cs) {
  constexpr std::size_t ndefault =
      (std::size_t{0} + ... +
       (detail::is_default_case<std::remove_cvref_t<Cases>> ? 1 : 0));
  static_assert(ndefault <= 1, "gort::select: at most one case_default");
  constexpr std::size_t n = sizeof...(Cases) - ndefault;
  bool ok = false;
  if constexpr (sizeof...(Cases) == 0) {  // Go's select {}: never returns
    detail::select_go(nullptr, 0, true, &ok);
    __builtin_unreachable();
  } else {
    detail::scase sc[n > 0 ? n : 1];
    std::size_t pos_of[n > 0 ? n : 1];
    std::size_t default_pos = 0;
    std::size_t k = 0;
    std::size_t arg = 0;
    auto collect = [&](auto& c) {
      if constexpr (detail::is_default_case<std::remove_cvref_t<decltype(c)>>) {
        default_pos = arg;
      } else {
        sc[k] = c.core();
        pos_of[k++] = arg;
      }
      ++arg;
    };
    (collect(cs), ...);
    const int r =
        detail::select_go(sc, static_cast<int>(n), ndefault == 0, &ok);
    const std::size_t pos = r < 0 ? default_pos : pos_of[r];
    arg = 0;
    auto dispatch = [&](auto& c) {
      if (arg++ == pos) c.run(ok);
    };
    (dispatch(cs), ...);
    return pos;
  }
}

// select_case is one case of a run-time list: made from any case_recv,
// case_send or case_default, which it keeps (with its value) until the
// select has run.
class select_case {
 public:
  template <class C>
  requires detail::is_select_case<std::remove_cvref_t<C>> select_case(
      C&& c)  // NOLINT: implicit, so a list reads like the cases
      : impl_(std::make_unique<model<std::remove_cvref_t<C>>>(
            std::forward<C>(c))) {}

 private:
  friend std::size_t select(std::span<select_case> cases);
  struct concept_t {
    virtual ~concept_t() = default;
    virtual bool is_default() const noexcept = 0;
    virtual detail::scase core() noexcept = 0;
    virtual void run(bool ok) = 0;
  };
  template <class C>
  struct model final : concept_t {
    // A list may outlive the statements that made its cases: every case
    // holds a reference to its channel.
    explicit model(C from) : c(std::move(from)) {
      if constexpr (!detail::is_default_case<C>)
        if (c.keep.get() == nullptr) c.keep = detail::chan_access::share(c.c);
    }
    bool is_default() const noexcept override {
      return detail::is_default_case<C>;
    }
    detail::scase core() noexcept override {
      if constexpr (detail::is_default_case<C>)
        return {};
      else
        return c.core();
    }
    void run(bool ok) override { c.run(ok); }
    C c;
  };
  std::unique_ptr<concept_t> impl_;
};

// select over a run-time list: as the variadic form, returning the index in
// `cases` of the case that ran. At most one case_default (usage_error).
std::size_t select(std::span<select_case> cases);

}  // namespace gort
