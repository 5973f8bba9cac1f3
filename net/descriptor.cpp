// Descriptors
//
// The problem. A conn is shared: one goroutine reads while another writes
// and a third closes. Closing must wake the reader and the writer, and the
// fd number must not be closed while a system call may still use it, or
// the call could land on whatever file the number names next. Two readers
// at once must not interleave their bytes' order unpredictably either.
//
// The approach is Go's internal/poll.FD and its fdMutex. One 64-bit word:
//
//   bit 0         closed
//   bit 1         the read lock          bits 3-22   references
//   bit 2         the write lock         bits 23-42  queued readers
//                                        bits 43-62  queued writers
//
// A read takes the read lock and a reference, a write the write lock and a
// reference, anything else (a deadline, an option, shutdown) a reference
// only; a second reader queues on rsema_ (the runtime semaphore: a
// goroutine parks), and unlock hands the lock to it. close() sets closed
// and takes a reference in one CAS, releases every queued party (each then
// sees closed and fails with errc::closed), evicts the poll descriptor
// (blocked waits return errc::closed) and drops its reference. Whoever
// drops the last reference of a closed descriptor destroys it: unregisters
// it from the poller, closes the fd, and releases csema_, on which close()
// waits. So:
//
//   N1. state_ changes only by CAS; references + lock holders never exceed
//       2^20 - 1 (usage_error "too many concurrent operations" beyond).
//   N2. While any operation holds a reference, the fd stays open and
//       registered; destroy runs exactly once, after the last one.
//   N3. close() returns only after destroy: the fd number is free then.
//   N4. An operation that did not get its lock or reference touches
//       nothing and fails with errc::closed.
//
// The I/O loop (io() below) is Go's: prepare (closed? deadline passed?),
// try the call, and only on EAGAIN wait on the poller and try again. An
// operation that completes without waiting spends the processor's I/O
// budget (internal::io_budget_spend), so a goroutine whose socket is
// always ready still lets the others run. A context form arms a cancel
// hook on its first wait: the hook sets the interrupt word and wakes the
// waiter, which returns ctx.err() with the bytes moved so far.
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <climits>

#include <gort/errors.hpp>
#include "net/internal/address.hpp"
#include "net/internal/descriptor.hpp"
#include "sync/internal/cancel.hpp"
#include "sync/internal/sema.hpp"

namespace gort::net {

void access::nil(const char* op) {
  throw usage_error(std::string("gort: net: ") + op + " on a nil handle");
}

}  // namespace gort::net

namespace gort::net::detail {
namespace {

using internal::poll_mode;
using internal::poll_result;

constexpr std::uint64_t m_closed = 1;
constexpr std::uint64_t m_rlock = 2;
constexpr std::uint64_t m_wlock = 4;
constexpr std::uint64_t m_ref = 1u << 3;
constexpr std::uint64_t m_ref_mask = ((std::uint64_t{1} << 20) - 1) << 3;
constexpr std::uint64_t m_rwait = std::uint64_t{1} << 23;
constexpr std::uint64_t m_rmask = ((std::uint64_t{1} << 20) - 1) << 23;
constexpr std::uint64_t m_wwait = std::uint64_t{1} << 43;
constexpr std::uint64_t m_wmask = ((std::uint64_t{1} << 20) - 1) << 43;
constexpr std::size_t max_rw = std::size_t{1} << 30;  // per call, as Go

[[noreturn]] void overflow() {
  throw usage_error(
      "gort: net: too many concurrent operations on one descriptor");
}

std::error_code sys(int e) { return {e, std::system_category()}; }

std::error_code from(poll_result r, const context* ctx) {
  switch (r) {
    case poll_result::ok:
      return {};
    case poll_result::closing:
      return errc::closed;
    case poll_result::timeout:
      return errc::timeout;
    case poll_result::not_pollable:
      return errc::not_pollable;
    case poll_result::interrupted:  // only waits with a context have one
      return ctx != nullptr ? ctx->err() : std::error_code(errc::canceled);
  }
  return errc::closed;
}

std::int64_t deadline_ns(time_point t) noexcept {
  if (t == time_point{}) return 0;
  const std::int64_t ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch())
          .count();
  return ns < 1 ? 1 : ns;  // in the past is "expired", never "none"
}

// ctx_watch arms a cancel hook on ctx at the first wait and disarms it on
// the way out: a context that ends interrupts the wait (see the essay).
class ctx_watch {
 public:
  ctx_watch(const context* ctx, internal::poll_desc* pd, poll_mode mode)
      : ctx_(ctx), pd_(pd), mode_(mode) {}
  ~ctx_watch() {
    if (armed_) internal::disarm(hook_);
  }
  ctx_watch(const ctx_watch&) = delete;
  ctx_watch& operator=(const ctx_watch&) = delete;

  // before_wait returns the interrupt word to wait with, after arming the
  // hook; false if the context has ended already.
  bool before_wait() noexcept {
    if (ctx_ == nullptr || armed_) return true;
    hook_.owner = this;
    hook_.fn = [](internal::cancel_hook* h) noexcept {
      auto* self = static_cast<ctx_watch*>(h->owner);
      self->word_.store(1, std::memory_order_seq_cst);
      internal::poll_wake(self->pd_, self->mode_);
    };
    armed_ = internal::arm(*ctx_, hook_);
    return armed_;
  }
  const std::atomic<std::uint32_t>* word() const noexcept {
    return ctx_ != nullptr ? &word_ : nullptr;
  }

 private:
  const context* ctx_;
  internal::poll_desc* pd_;
  poll_mode mode_;
  bool armed_ = false;
  std::atomic<std::uint32_t> word_{0};
  internal::cancel_hook hook_;
};

}  // namespace

// op holds the read lock, the write lock or a reference for one operation.
class netfd::op {
 public:
  enum kind { read, write, ref };
  op(netfd* fd, kind k) : fd_(fd), k_(k) {
    ok_ = k == ref ? fd->incref() : fd->rwlock(k == read);
  }
  ~op() {
    if (!ok_) return;
    if (k_ == ref ? fd_->decref() : fd_->rwunlock(k_ == read)) fd_->destroy();
  }
  op(const op&) = delete;
  op& operator=(const op&) = delete;
  explicit operator bool() const noexcept { return ok_; }

 private:
  netfd* fd_;
  kind k_;
  bool ok_;
};

netfd::netfd(int fd, internal::poll_desc* pd, fd_kind kind, bool owns) noexcept
    : fd_(fd), pd_(pd), kind_(kind), owns_(owns) {}

netfd::~netfd() {
  // The last handle is gone, so no operation runs (each holds a handle).
  if ((state_.load(std::memory_order_acquire) & m_closed) == 0) {
    internal::poll_evict(pd_);
    destroy();
  }
}

bool netfd::incref() {
  std::uint64_t old = state_.load(std::memory_order_relaxed);
  for (;;) {
    if (old & m_closed) return false;
    const std::uint64_t nw = old + m_ref;
    if ((nw & m_ref_mask) == 0) overflow();
    if (state_.compare_exchange_weak(old, nw, std::memory_order_acq_rel))
      return true;
  }
}

bool netfd::decref() noexcept {
  std::uint64_t old = state_.load(std::memory_order_relaxed);
  for (;;) {
    const std::uint64_t nw = old - m_ref;
    if (state_.compare_exchange_weak(old, nw, std::memory_order_acq_rel))
      return (nw & (m_closed | m_ref_mask)) == m_closed;
  }
}

bool netfd::rwlock(bool read) {
  const std::uint64_t bit = read ? m_rlock : m_wlock;
  const std::uint64_t wait = read ? m_rwait : m_wwait;
  const std::uint64_t mask = read ? m_rmask : m_wmask;
  auto* sema = read ? &rsema_ : &wsema_;
  std::uint64_t old = state_.load(std::memory_order_relaxed);
  for (;;) {
    if (old & m_closed) return false;
    std::uint64_t nw;
    if ((old & bit) == 0) {
      nw = (old | bit) + m_ref;
      if ((nw & m_ref_mask) == 0) overflow();
    } else {
      nw = old + wait;
      if ((nw & mask) == 0) overflow();
    }
    if (!state_.compare_exchange_weak(old, nw, std::memory_order_acq_rel))
      continue;
    if ((old & bit) == 0) return true;
    internal::sema_acquire(sema, false, wait_reason::semacquire);
    old = state_.load(std::memory_order_relaxed);  // the waker took our wait
  }
}

bool netfd::rwunlock(bool read) noexcept {
  const std::uint64_t bit = read ? m_rlock : m_wlock;
  const std::uint64_t wait = read ? m_rwait : m_wwait;
  const std::uint64_t mask = read ? m_rmask : m_wmask;
  std::uint64_t old = state_.load(std::memory_order_relaxed);
  for (;;) {
    std::uint64_t nw = (old & ~bit) - m_ref;
    if (old & mask) nw -= wait;
    if (!state_.compare_exchange_weak(old, nw, std::memory_order_acq_rel))
      continue;
    if (old & mask) internal::sema_release(read ? &rsema_ : &wsema_, false);
    return (nw & (m_closed | m_ref_mask)) == m_closed;
  }
}

void netfd::destroy() noexcept {
  internal::poll_close(pd_);
  if (owns_) ::close(fd_);
  if (!unlink_path.empty()) ::unlink(unlink_path.c_str());
  internal::sema_release(&csema_, false);
}

std::error_code netfd::close() {
  std::uint64_t old = state_.load(std::memory_order_relaxed);
  for (;;) {
    if (old & m_closed) return errc::closed;
    std::uint64_t nw = ((old | m_closed) + m_ref) & ~(m_rmask | m_wmask);
    if ((nw & m_ref_mask) == 0) overflow();
    if (state_.compare_exchange_weak(old, nw, std::memory_order_acq_rel)) break;
  }
  for (; old & m_rmask; old -= m_rwait) internal::sema_release(&rsema_, false);
  for (; old & m_wmask; old -= m_wwait) internal::sema_release(&wsema_, false);
  internal::poll_evict(pd_);
  if (decref()) destroy();
  internal::sema_acquire(&csema_, false, wait_reason::semacquire);  // N3
  return {};
}

int netfd::fd() const noexcept {
  return (state_.load(std::memory_order_acquire) & m_closed) ? -1 : fd_;
}

template <typename Call>
std::error_code netfd::io(poll_mode mode, const context* ctx, Call&& call,
                          std::size_t* n) {
  if (ctx != nullptr)
    if (std::error_code e = ctx->err()) return e;
  if (poll_result r = internal::poll_prepare(pd_, mode); r != poll_result::ok)
    return from(r, ctx);
  ctx_watch watch(ctx, pd_, mode);
  bool waited = false;
  for (;;) {
    const ssize_t got = call();
    if (got >= 0) {
      *n = static_cast<std::size_t>(got);
      if (!waited) internal::io_budget_spend();
      return {};
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN) return sys(errno);
    if (!watch.before_wait()) return from(poll_result::interrupted, ctx);
    waited = true;
    if (poll_result r = internal::poll_wait(pd_, mode, watch.word());
        r != poll_result::ok)
      return from(r, ctx);
  }
}

io_result netfd::read(std::span<std::byte> buf, const context* ctx) {
  op guard(this, op::read);
  if (!guard) return {0, errc::closed};
  if (buf.empty()) return {};
  const std::size_t len = std::min(buf.size(), max_rw);
  std::size_t n = 0;
  std::error_code err = io(
      poll_mode::read, ctx,
      [&] {
        return kind_ == fd_kind::file ? ::read(fd_, buf.data(), len)
                                      : ::recv(fd_, buf.data(), len, 0);
      },
      &n);
  if (!err && n == 0 && kind_ != fd_kind::datagram) err = errc::eof;
  return {n, err};
}

io_result netfd::write(std::span<const std::byte> buf, const context* ctx) {
  op guard(this, op::write);
  if (!guard) return {0, errc::closed};
  std::size_t done = 0;
  do {  // a datagram (even an empty one) is one call
    const std::size_t len = std::min(buf.size() - done, max_rw);
    const std::byte* p = buf.data() + done;
    std::size_t n = 0;
    std::error_code err = io(
        poll_mode::write, ctx,
        [&] {
          return kind_ == fd_kind::file ? ::write(fd_, p, len)
                                        : ::send(fd_, p, len, MSG_NOSIGNAL);
        },
        &n);
    done += n;
    if (err) return {done, err};
    if (n == 0 && len > 0) return {done, errc::unexpected_eof};
  } while (done < buf.size());
  return {done, {}};
}

read_from_result netfd::read_from(std::span<std::byte> buf) {
  read_from_result res;
  op guard(this, op::read);
  if (!guard) {
    res.err = errc::closed;
    return res;
  }
  sockaddr_storage from{};
  socklen_t len = 0;
  res.err = io(
      poll_mode::read, nullptr,
      [&] {
        len = sizeof from;
        return ::recvfrom(fd_, buf.data(), std::min(buf.size(), max_rw), 0,
                          reinterpret_cast<sockaddr*>(&from), &len);
      },
      &res.n);
  if (!res.err) res.from = format_address(reinterpret_cast<sockaddr*>(&from));
  res.n = std::min(res.n, buf.size());
  return res;
}

io_result netfd::write_to(std::span<const std::byte> buf, const sockaddr* to,
                          socklen_t len) {
  op guard(this, op::write);
  if (!guard) return {0, errc::closed};
  std::size_t n = 0;
  std::error_code err = io(
      poll_mode::write, nullptr,
      [&] {
        return ::sendto(fd_, buf.data(), buf.size(), MSG_NOSIGNAL, to, len);
      },
      &n);
  return {n, err};
}

std::error_code netfd::accept(int* out, const context* ctx) {
  *out = -1;
  op guard(this, op::read);
  if (!guard) return errc::closed;
  for (;;) {
    std::size_t n = 0;
    std::error_code err = io(
        poll_mode::read, ctx,
        [&] {
          int c =
              ::accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (c >= 0) *out = c;
          return static_cast<ssize_t>(c >= 0 ? 0 : -1);
        },
        &n);
    // The peer reset while queued: take the next one (Go's accept).
    if (err == std::errc::connection_aborted) continue;
    return err;
  }
}

std::error_code netfd::connect(const sockaddr* to, socklen_t len,
                               const context* ctx) {
  op guard(this, op::write);
  if (!guard) return errc::closed;
  for (;;) {
    if (::connect(fd_, to, len) == 0) return {};
    if (errno == EINTR) continue;
    if (errno == EISCONN) return {};
    if (errno != EINPROGRESS && errno != EALREADY) return sys(errno);
    break;
  }
  if (ctx != nullptr)
    if (std::error_code e = ctx->err()) return e;
  ctx_watch watch(ctx, pd_, poll_mode::write);
  if (!watch.before_wait()) return from(poll_result::interrupted, ctx);
  for (;;) {
    if (poll_result r =
            internal::poll_wait(pd_, poll_mode::write, watch.word());
        r != poll_result::ok)
      return from(r, ctx);
    int soerr = 0;
    socklen_t sl = sizeof soerr;
    if (::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
      return sys(errno);
    if (soerr == EINPROGRESS || soerr == EALREADY || soerr == EINTR) continue;
    if (soerr == EISCONN) return {};
    if (soerr != 0) return sys(soerr);
    // Writable and no error can be a spurious wake: confirm.
    sockaddr_storage peer{};
    socklen_t pl = sizeof peer;
    if (::getpeername(fd_, reinterpret_cast<sockaddr*>(&peer), &pl) == 0)
      return {};
    if (errno != ENOTCONN) return sys(errno);
  }
}

std::error_code netfd::wait(poll_mode mode, time_point deadline) {
  op guard(this, op::ref);
  if (!guard) return errc::closed;
  internal::poll_set_deadline(pd_, deadline_ns(deadline), mode);
  return from(internal::poll_wait(pd_, mode, nullptr), nullptr);
}

std::error_code netfd::set_deadline(time_point t, poll_mode mode) {
  op guard(this, op::ref);
  if (!guard) return errc::closed;
  internal::poll_set_deadline(pd_, deadline_ns(t), mode);
  return {};
}

std::error_code netfd::shutdown(int how) {
  op guard(this, op::ref);
  if (!guard) return errc::closed;
  return ::shutdown(fd_, how) == 0 ? std::error_code() : sys(errno);
}

std::error_code netfd::set_option(int level, int name, int value) {
  op guard(this, op::ref);
  if (!guard) return errc::closed;
  return ::setsockopt(fd_, level, name, &value, sizeof value) == 0
             ? std::error_code()
             : sys(errno);
}

}  // namespace gort::net::detail
