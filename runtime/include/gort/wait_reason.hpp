// gort/wait_reason.hpp: why a goroutine is parked.
#pragma once

#include <cstdint>
#include <string_view>

namespace gort {

// wait_reason says why a goroutine is parked. The strings are Go's, so a
// dump reads like a Go traceback. Each park site has its own reason; a
// reason is never reused for a different site (the Go runtime's rule).
enum class wait_reason : std::uint8_t {
  none,                  // not parked
  chan_receive,          // "chan receive"
  chan_send,             // "chan send"
  chan_receive_nil,      // "chan receive (nil chan)"
  chan_send_nil,         // "chan send (nil chan)"
  select,                // "select"
  select_no_cases,       // "select (no cases)"
  sleep,                 // "sleep"
  sync_mutex_lock,       // "sync.Mutex.Lock"
  sync_rwmutex_rlock,    // "sync.RWMutex.RLock"
  sync_rwmutex_lock,     // "sync.RWMutex.Lock"
  sync_cond_wait,        // "sync.Cond.Wait"
  sync_wait_group_wait,  // "sync.WaitGroup.Wait"
  sync_once,             // "sync.Once.Do"
  semacquire,            // "semacquire"
  exit_syscall,          // "blocking" (left blocking() and waits for a P)
  internal_wait,         // "wait" (gort's own test and benchmark support)
  io_wait,               // "IO wait" (a socket or pipe, on the poller)
  count_,
};

// to_string returns Go's words for r ("chan receive", "sleep", ...).
// Any thread may call it; it does not allocate.
std::string_view to_string(wait_reason r) noexcept;

}  // namespace gort
