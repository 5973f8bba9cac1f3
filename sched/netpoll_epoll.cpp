// The epoll backend of the network poller (sched/internal/netpoll_backend.hpp;
// Go's netpoll_epoll.go).
//
// Every descriptor is registered once with EPOLLIN|EPOLLOUT|EPOLLRDHUP|
// EPOLLET: edge triggering makes an idle direction free and no epoll_ctl is
// ever needed per wait, and the wait words of sched/netpoll.cpp keep an
// edge that arrives while nobody waits. The wake-up descriptor is an
// eventfd registered level-triggered under key_wake; a CAS on `wake_sent`
// lets one write stand for any number of wake() calls until a blocking
// poll reads it (one syscall costs about 1.2 us here, netpoll.md 4.3).
//
// The blocking poll uses epoll_pwait2, whose timeout is a timespec, so
// timers keep the microsecond precision that the futex sleeper had (a ms
// epoll_wait would make every sub-millisecond sleep last 1 ms:
// golang/go#44343). Kernels without it (ENOSYS, before 5.11) get
// epoll_wait, with the timeout rounded up to a millisecond.
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <ctime>

#include "runtime/internal/check.hpp"
#include "sched/internal/netpoll_backend.hpp"

namespace gort::internal::backend {
namespace {

int epfd = -1;
int wakefd = -1;
std::atomic<bool> wake_sent{false};
std::atomic<bool> have_pwait2{true};

int wait_events(epoll_event* evs, std::int64_t timeout_ns) noexcept {
  if (timeout_ns > 0 && have_pwait2.load(std::memory_order_relaxed)) {
    timespec ts{static_cast<time_t>(timeout_ns / 1'000'000'000),
                static_cast<long>(timeout_ns % 1'000'000'000)};
    int n = ::epoll_pwait2(epfd, evs, max_events, &ts, nullptr);
    if (n >= 0 || errno != ENOSYS) return n;
    have_pwait2.store(false, std::memory_order_relaxed);
  }
  int ms = -1;
  if (timeout_ns == 0) {
    ms = 0;
  } else if (timeout_ns > 0) {
    const std::int64_t m = (timeout_ns + 999'999) / 1'000'000;
    ms = m > 1'000'000'000 ? 1'000'000'000 : static_cast<int>(m);
  }
  return ::epoll_wait(epfd, evs, max_events, ms);
}

}  // namespace

int init() noexcept {
  epfd = ::epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) return errno;
  wakefd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wakefd < 0) return errno;
  epoll_event ev{};
  ev.events = EPOLLIN;  // level-triggered: stays readable until read
  ev.data.u64 = key_wake;
  if (::epoll_ctl(epfd, EPOLL_CTL_ADD, wakefd, &ev) != 0) return errno;
  return 0;
}

int add(int fd, std::uint64_t key) noexcept {
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.u64 = key;
  return ::epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) == 0 ? 0 : errno;
}

void remove(int fd) noexcept {
  epoll_event ev{};  // non-null for kernels before 2.6.9
  (void)::epoll_ctl(epfd, EPOLL_CTL_DEL, fd, &ev);
}

int poll(std::int64_t timeout_ns, event* out, bool* woken) noexcept {
  epoll_event evs[max_events];
  *woken = false;
  int n;
  for (;;) {
    n = wait_events(evs, timeout_ns);
    if (n >= 0) break;
    GORT_CHECK(errno == EINTR);
    if (timeout_ns >= 0) return 0;  // a timed poll: the caller recomputes
  }
  int k = 0;
  for (int i = 0; i < n; ++i) {
    const std::uint32_t e = evs[i].events;
    if (evs[i].data.u64 == key_wake) {
      if (timeout_ns != 0) {  // only a blocking poll consumes the wake-up
        std::uint64_t v;
        (void)!::read(wakefd, &v, sizeof v);
        wake_sent.store(false, std::memory_order_seq_cst);
        *woken = true;
      }
      continue;
    }
    out[k].key = evs[i].data.u64;
    out[k].readable = (e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0;
    out[k].writable = (e & (EPOLLOUT | EPOLLHUP | EPOLLERR)) != 0;
    if (out[k].readable || out[k].writable) ++k;
  }
  return k;
}

bool wake() noexcept {
  bool expect = false;
  if (!wake_sent.compare_exchange_strong(expect, true,
                                         std::memory_order_seq_cst))
    return false;  // one is in flight
  const std::uint64_t one = 1;
  for (;;) {
    if (::write(wakefd, &one, sizeof one) == sizeof one) return true;
    if (errno == EINTR) continue;
    GORT_CHECK(errno == EAGAIN);  // the counter is non-zero already: fine
    return true;
  }
}

}  // namespace gort::internal::backend
