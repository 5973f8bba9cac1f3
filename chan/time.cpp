// Time channels
//
// after, tick, timer and ticker are channels of capacity one whose value
// is put there by a runtime timer (sched/internal/timers.hpp), as in Go
// 1.23. The timer's function runs on whichever worker runs that heap's
// expired timers (two workers at once, for a ticker whose firing outlasts
// its period); it takes the channel's lock and delivers the time to a
// waiting receiver, or into the one-slot buffer, or drops it when the slot
// is still full (a slow ticker receiver loses ticks; it never gets a pile).
//
// Stale values. stop and reset, under the channel's lock, advance the
// channel's generation (time_state::gen) and empty the slot. A firing that
// was already past the heap when they ran carries the old generation as its
// seq and is dropped when it gets the lock, so after stop or reset returns
// no value from before the call is received. The timer is removed from and
// re-added to its heap under the channel's lock too, so concurrent stops and
// resets of one timer serialise.
//
// Lifetime. The timer holds no reference to its channel: when the last
// handle goes, chan_unref removes the timer and waits out a firing under
// way (remove_sync) before freeing, so an abandoned after(1h) is freed at
// once instead of an hour later.
//
// Lock order: the channel's lock, then the timer heap's (rank timers);
// note_timer_added, which may take the scheduler's lock, runs after both.
#include <gort/errors.hpp>
#include <gort/time.hpp>
#include "chan/internal/hchan.hpp"
#include "runtime/internal/futex.hpp"
#include "sched/internal/sched.hpp"
#include "sched/internal/timers.hpp"

namespace gort::detail {
namespace {

void time_fire(void* arg, std::uint64_t seq) noexcept {
  auto* c = static_cast<hchan*>(arg);
  sudog* partner = nullptr;
  c->lock.lock();
  // Read under the lock: two workers may fire one ticker at once (a thief
  // runs another P's timers), and the ticks must still come out in order.
  time_point now = std::chrono::steady_clock::now();
  if (seq == c->time->gen) {
    if ((partner = dequeue(c->recvq)) != nullptr)
      send_to(c, partner, &now);
    else if (c->qcount.load(std::memory_order_relaxed) == 0)
      buf_put(c, &now);
    // else: the slot is full and the tick is dropped.
  }
  c->lock.unlock();
  if (partner != nullptr) wake_sudog(partner);
}

// disarm empties the slot and stops the timer; c's lock held. Returns
// whether the timer was pending: still in its heap, or fired with its value
// not yet received (Go 1.23: the channel is synchronous to the program, so
// an undelivered value is a timer that has not fired; Stop drains it and
// reports true).
bool disarm(hchan* c) noexcept {
  ++c->time->gen;
  const bool undelivered = c->qcount.load(std::memory_order_relaxed) > 0;
  c->qcount.store(0, std::memory_order_relaxed);  // time_point: trivial
  c->sendx = c->recvx = 0;
  return internal::timer_heap::remove(&c->time->t) || undelivered;
}

// arm starts the timer for `when` and `period`; c's lock held. Returns
// whether the caller must call note_timer_added after unlocking.
bool arm(hchan* c, std::int64_t when, std::int64_t period) noexcept {
  internal::timer& t = c->time->t;
  t.seq = c->time->gen;
  t.period = period;
  return internal::timer_add(&t, when);
}

}  // namespace

hchan* time_chan_make(time_point when, std::chrono::nanoseconds period) {
  internal::ensure_started();
  hchan* c = chan_make(1, &elem_ops_for<time_point>);
  c->time = new time_state;
  c->time->t.fn = &time_fire;
  c->time->t.arg = c;
  const std::int64_t w = internal::to_ns(when);
  bool note;
  {
    std::lock_guard<internal::rt_mutex> lk(c->lock);
    note = arm(c, w, period.count());
  }
  if (note) internal::note_timer_added(w);
  return c;
}

bool time_chan_stop(hchan* c) noexcept {
  std::lock_guard<internal::rt_mutex> lk(c->lock);
  return disarm(c);
}

bool time_chan_reset(hchan* c, time_point when,
                     std::chrono::nanoseconds period) noexcept {
  const std::int64_t w = internal::to_ns(when);
  bool pending;
  bool note;
  {
    std::lock_guard<internal::rt_mutex> lk(c->lock);
    pending = disarm(c);
    note = arm(c, w, period.count());
  }
  if (note) internal::note_timer_added(w);
  return pending;
}

}  // namespace gort::detail

namespace gort {
namespace {

using std::chrono::nanoseconds;

recv_chan<time_point> adopt(detail::hchan* c) {
  return detail::chan_access::adopt<time_point>(c);
}

// deadline is now + d, clamped: d <= 0 is now, and a d past the clock's
// range is "never" (time_point::max, which no timer reaches).
time_point deadline(nanoseconds d) {
  const time_point now = std::chrono::steady_clock::now();
  if (d <= nanoseconds::zero()) return now;
  if (d >= time_point::max() - now) return time_point::max();
  return now + d;
}

void check_interval(nanoseconds d, const char* what) {
  if (d <= nanoseconds::zero())
    throw usage_error(std::string("non-positive interval for ") + what);
}

}  // namespace

recv_chan<time_point> after(nanoseconds d) {
  return adopt(detail::time_chan_make(deadline(d), nanoseconds::zero()));
}

recv_chan<time_point> tick(nanoseconds d) {
  if (d <= nanoseconds::zero()) return {};
  return adopt(detail::time_chan_make(deadline(d), d));
}

timer::timer(nanoseconds d)
    : c_(adopt(detail::time_chan_make(deadline(d), nanoseconds::zero()))) {}

bool timer::stop() noexcept {
  return detail::time_chan_stop(detail::chan_access::get(c_));
}

bool timer::reset(nanoseconds d) noexcept {
  return detail::time_chan_reset(detail::chan_access::get(c_), deadline(d),
                                 nanoseconds::zero());
}

ticker::ticker(nanoseconds d) {
  check_interval(d, "ticker");
  c_ = adopt(detail::time_chan_make(deadline(d), d));
}

bool ticker::stop() noexcept {
  return detail::time_chan_stop(detail::chan_access::get(c_));
}

void ticker::reset(nanoseconds d) {
  check_interval(d, "ticker::reset");
  detail::time_chan_reset(detail::chan_access::get(c_), deadline(d), d);
}

}  // namespace gort
