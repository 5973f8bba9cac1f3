// select
//
// Go's selectgo (go-runtime.md, section 10), on the channel core of
// chan/chan.cpp:
//   1. Poll order: the non-nil cases in a fresh uniformly random order
//      (inside-out Fisher-Yates), so that when several are ready each is
//      equally likely; programs rely on this.
//   2. Lock order: the same cases sorted by channel address. Every select
//      locks its channels in this one global order, so two selects over the
//      same channels cannot deadlock; a channel in several cases is locked
//      once.
//   3. Pass 1, all locked, in poll order: the first case that can complete
//      now does, through the same steps as a plain send or receive.
//   4. If none can: with a default, unlock and return -1. Otherwise pass 2
//      enqueues one sudog per case, all sharing one select_wait, and parks;
//      the park commit unlocks the channels on the far side of the switch.
//   5. A waker completes exactly one of the sudogs (C5 in chan.cpp) and
//      records it as the winner. Pass 3 relocks everything and removes the
//      other sudogs from the queues they are still in.
//
// The commit unlocks channel after channel. Once it has released one, a
// waker may ready the goroutine, which then runs pass 3 on another worker;
// but pass 3 must take every lock the commit still holds, so the select's
// frame (which the commit reads) stays alive until the commit has released
// the last lock, after which the commit touches nothing (Go's selparkcommit
// relies on the same argument).
#include <algorithm>
#include <cstdint>
#include <memory>
#include <new>
#include <type_traits>

#include <gort/errors.hpp>
#include <gort/select.hpp>
#include "chan/internal/hchan.hpp"
#include "runtime/internal/futex.hpp"
#include "sched/internal/park.hpp"

namespace gort::detail {
namespace {

// cheaprandn returns a value in [0, n). Per thread, xorshift; read through
// a function the optimiser cannot see into, so a goroutine that migrated
// uses its new thread's state (HACKING.md, thread_local).
[[gnu::noinline]] std::uint32_t cheaprandn(std::uint32_t n) noexcept {
  static thread_local std::uint64_t state = 0;
  std::uint64_t x = state;
  if (x == 0) x = reinterpret_cast<std::uintptr_t>(&state) | 1;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  state = x;
  return static_cast<std::uint32_t>(
      (static_cast<std::uint64_t>(static_cast<std::uint32_t>(x >> 32)) * n) >>
      32);
}

// The orders and sudogs of one select: on the stack for small selects.
struct select_frame {
  static constexpr int inline_cases = 8;
  scase* cases;
  int n;       // non-nil cases
  int* poll;   // n case indices, random order
  int* lock;   // n case indices, by channel address
  sudog* sgs;  // indexed by case index; constructed only by pass 2
  int poll_inline[inline_cases];
  int lock_inline[inline_cases];
  // Raw: most selects complete in pass 1 and never need their sudogs.
  alignas(sudog) unsigned char sgs_inline[inline_cases * sizeof(sudog)];
  std::unique_ptr<int[]> heap_orders;
  std::unique_ptr<sudog[]> heap_sgs;

  select_frame(scase* cs, int ncases) : cases(cs), n(0) {
    if (ncases <= inline_cases) {
      poll = poll_inline;
      lock = lock_inline;
      sgs = reinterpret_cast<sudog*>(sgs_inline);
    } else {
      heap_orders = std::make_unique<int[]>(2 * std::size_t(ncases));
      heap_sgs = std::make_unique<sudog[]>(std::size_t(ncases));
      poll = heap_orders.get();
      lock = poll + ncases;
      sgs = heap_sgs.get();
    }
    for (int i = 0; i < ncases; ++i) {
      if (cases[i].c == nullptr) continue;  // never ready
      const int j = static_cast<int>(cheaprandn(std::uint32_t(n) + 1));
      poll[n] = poll[j];
      poll[j] = i;
      ++n;
    }
    std::copy(poll, poll + n, lock);
    auto by_address = [cs](int a, int b) {
      return reinterpret_cast<std::uintptr_t>(cs[a].c) <
             reinterpret_cast<std::uintptr_t>(cs[b].c);
    };
    if (n <= inline_cases) {
      for (int i = 1; i < n; ++i)  // insertion sort: n is tiny
        for (int j = i; j > 0 && by_address(lock[j], lock[j - 1]); --j)
          std::swap(lock[j], lock[j - 1]);
    } else {
      std::sort(lock, lock + n, by_address);
    }
  }

  hchan* chan_at(int k) const noexcept { return cases[lock[k]].c; }

  void lock_all() noexcept {
    for (int k = 0; k < n; ++k)
      if (k == 0 || chan_at(k) != chan_at(k - 1)) chan_at(k)->lock.lock();
  }
  // unlock_all releases in lock order; see the essay for why reading the
  // frame between unlocks is safe.
  void unlock_all() noexcept {
    hchan* last = nullptr;
    for (int k = 0; k < n; ++k) {
      hchan* c = chan_at(k);
      if (c == last) continue;
      if (last != nullptr) last->lock.unlock();
      last = c;
    }
    if (last != nullptr) last->lock.unlock();
  }
};

bool select_commit(internal::g*, void* frame) noexcept {
  static_cast<select_frame*>(frame)->unlock_all();
  return true;
}

// try_case completes case i if it can, with every channel locked. Returns
// true if it did; then the channels are unlocked and any partner woken.
bool try_case(select_frame& f, int i, bool* recv_ok) {
  scase& cs = f.cases[i];
  hchan* c = cs.c;
  sudog* partner = nullptr;
  if (cs.is_send) {
    if (c->closed) {
      f.unlock_all();
      throw_closed_send();
    }
    if ((partner = dequeue(c->recvq)) != nullptr) {
      send_to(c, partner, cs.elem);
    } else if (c->qcount.load(std::memory_order_relaxed) < c->cap) {
      buf_put(c, cs.elem);
    } else {
      return false;
    }
  } else {
    if ((partner = dequeue(c->sendq)) != nullptr) {
      recv_from(c, partner, cs.elem);
      *recv_ok = true;
    } else if (c->qcount.load(std::memory_order_relaxed) > 0) {
      buf_take(c, cs.elem);
      *recv_ok = true;
    } else if (c->closed) {
      *recv_ok = false;
    } else {
      return false;
    }
  }
  f.unlock_all();
  if (partner != nullptr) wake_sudog(partner);
  return true;
}

}  // namespace

int select_go(scase* cases, int n, bool block, bool* recv_ok) {
  select_frame f(cases, n);
  if (f.n == 0) {
    if (!block) return -1;
    block_forever(n == 0 ? wait_reason::select_no_cases : wait_reason::select);
  }
  f.lock_all();
  for (int k = 0; k < f.n; ++k)  // pass 1
    if (try_case(f, f.poll[k], recv_ok)) return f.poll[k];
  if (!block) {
    f.unlock_all();
    return -1;
  }

  // Pass 2: wait on every channel at once.
  select_wait sw;
  internal::g* gp = internal::current_g();
  for (int k = 0; k < f.n; ++k) {
    const int i = f.lock[k];
    static_assert(std::is_trivially_destructible_v<sudog>);
    sudog& sg = *::new (&f.sgs[i]) sudog;
    sg.gp = gp;
    sg.sel = &sw;
    sg.index = i;
    sg.data = cases[i].elem;
    (cases[i].is_send ? cases[i].c->sendq : cases[i].c->recvq).push_back(&sg);
  }
  if (gp != nullptr) {
    internal::park(wait_reason::select, &select_commit, &f);
  } else {
    internal::plain_asleep_in();  // D2: the winning waker counts us out
    f.unlock_all();
    internal::plain_wait_nudge();
    while (sw.woken.load(std::memory_order_acquire) == 0)
      internal::futex_wait(&sw.woken, 0);
  }

  // Pass 3: drop the sudogs that did not win.
  sudog* won = sw.winner;
  f.lock_all();
  for (int k = 0; k < f.n; ++k) {
    const int i = f.lock[k];
    sudog* sg = &f.sgs[i];
    if (sg == won) continue;
    waiter_list& q = cases[i].is_send ? cases[i].c->sendq : cases[i].c->recvq;
    if (q.contains(sg)) q.remove(sg);
  }
  f.unlock_all();
  if (cases[won->index].is_send) {
    if (!won->success) throw_closed_send();  // woken by close
  } else {
    *recv_ok = won->success;
  }
  return won->index;
}

}  // namespace gort::detail

namespace gort {

std::size_t select(std::span<select_case> cases) {
  std::unique_ptr<detail::scase[]> sc(new detail::scase[cases.size()]);
  std::unique_ptr<std::size_t[]> pos_of(new std::size_t[cases.size()]);
  int n = 0;
  std::size_t default_pos = cases.size();
  for (std::size_t i = 0; i < cases.size(); ++i) {
    if (cases[i].impl_->is_default()) {
      if (default_pos != cases.size())
        throw usage_error("select: more than one case_default");
      default_pos = i;
      continue;
    }
    sc[n] = cases[i].impl_->core();
    pos_of[n++] = i;
  }
  bool ok = false;
  const int r =
      detail::select_go(sc.get(), n, default_pos == cases.size(), &ok);
  const std::size_t pos = r < 0 ? default_pos : pos_of[r];
  cases[pos].impl_->run(ok);
  return pos;
}

}  // namespace gort
