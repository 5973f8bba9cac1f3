// gort/time.hpp: Go's time channels: after, tick, timer and ticker, on the
// runtime's per-processor timers.
//
// A time channel delivers steady_clock::time_point values. As in Go 1.23:
//   - its size() and capacity() are 0, though it holds one undelivered
//     value internally, so a timer that fires with no receiver waiting does
//     not lose its value;
//   - a ticker whose receiver is slow drops ticks instead of queueing them;
//   - after stop() or reset() returns, no value from before the call is
//     received;
//   - a time channel that nothing refers to any more stops its timer, so an
//     abandoned after(1h) costs nothing for an hour.
#pragma once

#include <chrono>

#include <gort/chan.hpp>
#include <gort/sched.hpp>

namespace gort {

namespace detail {
// time_chan_make makes a time channel whose timer first fires at `when`
// and then every `period` (0: once). time_chan_stop and time_chan_reset
// are Timer.Stop and Timer.Reset / Ticker.Reset: they return whether the
// timer was pending. Any thread.
hchan* time_chan_make(time_point when, std::chrono::nanoseconds period);
bool time_chan_stop(hchan* c) noexcept;
bool time_chan_reset(hchan* c, time_point when,
                     std::chrono::nanoseconds period) noexcept;
}  // namespace detail

// after delivers the time once, after d (Go's time.After). d <= 0 fires at
// once.
recv_chan<time_point> after(std::chrono::nanoseconds d);

// tick delivers the time every d, dropping ticks for a slow receiver (Go's
// time.Tick). d <= 0 returns the nil channel, as Go does.
recv_chan<time_point> tick(std::chrono::nanoseconds d);

// timer is Go's time.Timer: it delivers the time once on c() after d.
class timer {
 public:
  // Starts the timer. d <= 0 fires at once.
  explicit timer(std::chrono::nanoseconds d);
  // stop prevents the timer from firing. Returns true if it stopped a
  // pending timer, false if the timer had already fired or been stopped.
  // As in Go 1.23, a timer whose value is still waiting in c() counts as
  // pending (c() is synchronous to the program): stop discards the value
  // and returns true. After it returns, c() delivers nothing from before
  // the call.
  bool stop() noexcept;
  // reset makes the timer fire after d from now, discarding a value not yet
  // received. Returns true if the timer was pending.
  bool reset(std::chrono::nanoseconds d) noexcept;
  // c is the channel the time is delivered on.
  const recv_chan<time_point>& c() const noexcept { return c_; }

 private:
  recv_chan<time_point> c_;
};

// ticker is Go's time.Ticker: it delivers the time on c() every d, and
// drops ticks for a slow receiver. Throws usage_error if d <= 0.
class ticker {
 public:
  explicit ticker(std::chrono::nanoseconds d);
  // stop turns the ticker off; no tick from before the call is delivered
  // after it. Returns true if the ticker was running.
  bool stop() noexcept;
  // reset stops the ticker and restarts it with period d (usage_error if
  // d <= 0). The next tick arrives d from now.
  void reset(std::chrono::nanoseconds d);
  const recv_chan<time_point>& c() const noexcept { return c_; }

 private:
  recv_chan<time_point> c_;
};

}  // namespace gort
