// Fatal errors and broken invariants: async-signal-safe output.
#include "runtime/internal/check.hpp"

#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "runtime/internal/g.hpp"
#include "runtime/internal/trace.hpp"

namespace gort::internal {

out_buffer& out_buffer::operator<<(std::string_view s) noexcept {
  for (char c : s) *this << c;
  return *this;
}

out_buffer& out_buffer::operator<<(const char* s) noexcept {
  return *this << std::string_view(s != nullptr ? s : "(null)");
}

out_buffer& out_buffer::operator<<(char c) noexcept {
  if (len_ == sizeof buf_) flush();
  buf_[len_++] = c;
  return *this;
}

out_buffer& out_buffer::operator<<(std::uint64_t v) noexcept {
  char tmp[24];
  int n = 0;
  do {
    tmp[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n > 0) *this << tmp[--n];
  return *this;
}

out_buffer& out_buffer::operator<<(std::int64_t v) noexcept {
  if (v < 0) {
    *this << '-';
    return *this << (~static_cast<std::uint64_t>(v) + 1);
  }
  return *this << static_cast<std::uint64_t>(v);
}

out_buffer& out_buffer::operator<<(const void* p) noexcept {
  auto v = reinterpret_cast<std::uintptr_t>(p);
  *this << "0x";
  char tmp[16];
  int n = 0;
  do {
    tmp[n++] = "0123456789abcdef"[v & 15];
    v >>= 4;
  } while (v != 0);
  while (n > 0) *this << tmp[--n];
  return *this;
}

void out_buffer::flush() noexcept {
  std::size_t off = 0;
  while (off < len_) {
    ssize_t n = ::write(fd_, buf_ + off, len_ - off);
    if (n <= 0) break;
    off += static_cast<std::size_t>(n);
  }
  len_ = 0;
}

namespace {

void describe_current(out_buffer& out) noexcept {
  worker* w = current_worker();
  if (w == nullptr) {
    out << "on a plain thread\n";
    return;
  }
  out << "on worker M" << w->id;
  if (w->curg != nullptr) {
    const g* gp = w->curg;
    out << ", goroutine " << gp->id << " (created at " << gp->site.file_name()
        << ':' << std::uint64_t{gp->site.line()} << ")";
  } else {
    out << ", scheduler context";
  }
  out << '\n';
}

}  // namespace

void fatal(std::string_view msg) noexcept {
  {
    out_buffer out(2);
    out << "gort: fatal error: " << msg << "\n";
    describe_current(out);
  }
  trace::on_fatal();
  std::abort();
}

void check_failed(const char* expr, const char* file, int line) noexcept {
  {
    out_buffer out(2);
    out << "gort: fatal error: internal check failed: " << expr << "\n\tat "
        << file << ':' << line << "\n";
    describe_current(out);
  }
  trace::on_fatal();
  std::abort();
}

}  // namespace gort::internal
