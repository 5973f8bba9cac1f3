// sched/internal/netpoll_backend.hpp: the readiness backend under the
// network poller (sched/netpoll.cpp). One implementation today, epoll
// (sched/netpoll_epoll.cpp, the only file that includes <sys/epoll.h>);
// the interface is readiness-shaped (register once, poll, wake) so that an
// io_uring backend of multishot polls can replace it behind the same calls
// (netpoll.md section 3.4).
#pragma once

#include <cstdint>

namespace gort::internal::backend {

// A key names one registration: {slot, generation} of a poll descriptor.
// key_wake is reserved for the backend's own wake-up descriptor.
inline constexpr std::uint64_t key_wake = ~std::uint64_t{0};

struct event {
  std::uint64_t key = 0;
  bool readable = false;  // IN, RDHUP, HUP or ERR
  bool writable = false;  // OUT, HUP or ERR
};

inline constexpr int max_events = 128;  // per poll, as Go

// init creates the poll instance and its wake-up descriptor (both
// CLOEXEC). Returns 0 or the errno; called once, under the poller's init.
int init() noexcept;

// add registers fd under key for both directions, edge-triggered, once
// for the life of the registration. Returns 0 or the errno (EPERM: a
// regular file or directory).
int add(int fd, std::uint64_t key) noexcept;

// remove unregisters fd. Must be called before the fd is closed.
void remove(int fd) noexcept;

// poll waits for events: timeout_ns < 0 blocks until an event or wake(),
// 0 does not block, > 0 waits at most that long (nanosecond precision
// where the kernel has epoll_pwait2). Stores at most max_events events in
// out and returns how many (0 on timeout or EINTR). A blocking poll
// consumes a pending wake(); a non-blocking one never does, so that it
// cannot eat the wake-up meant for the blocked poller. *woken says
// whether a wake() ended this poll.
int poll(std::int64_t timeout_ns, event* out, bool* woken) noexcept;

// wake makes a blocked poll() return. Coalesced: while one wake-up is in
// flight, more are free. Returns true if this call wrote one.
bool wake() noexcept;

}  // namespace gort::internal::backend
