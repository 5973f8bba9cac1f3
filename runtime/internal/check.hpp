// runtime/internal/check.hpp: broken invariants and fatal errors.
//
// A broken internal invariant is not the user's fault and cannot be
// recovered from: GORT_CHECK prints what failed, with the goroutine and
// worker it happened on, and aborts (Go's throw). User misuse is different:
// it throws gort::usage_error (gort/errors.hpp).
//
// Everything here is async-signal-safe: the stack-overflow report is written
// from a SIGSEGV handler, so the writer formats into a fixed buffer and calls
// write(2), never stdio or malloc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace gort::internal {

// out_buffer formats text into a fixed buffer and writes it to a file
// descriptor. Async-signal-safe. Text past the capacity is dropped.
class out_buffer {
 public:
  explicit out_buffer(int fd) noexcept : fd_(fd) {}
  ~out_buffer() { flush(); }
  out_buffer(const out_buffer&) = delete;
  out_buffer& operator=(const out_buffer&) = delete;

  out_buffer& operator<<(std::string_view s) noexcept;
  out_buffer& operator<<(const char* s) noexcept;
  out_buffer& operator<<(char c) noexcept;
  out_buffer& operator<<(std::uint64_t v) noexcept;
  out_buffer& operator<<(std::int64_t v) noexcept;
  out_buffer& operator<<(int v) noexcept { return *this << std::int64_t{v}; }
  out_buffer& operator<<(unsigned v) noexcept {
    return *this << std::uint64_t{v};
  }
  out_buffer& operator<<(const void* p) noexcept;  // 0x... hex
  void flush() noexcept;

 private:
  int fd_;
  std::size_t len_ = 0;
  char buf_[2048];
};

// fatal prints "gort: fatal error: <msg>", the current goroutine and worker,
// and aborts. Any thread, including signal handlers.
[[noreturn]] void fatal(std::string_view msg) noexcept;

// check_failed is GORT_CHECK's slow path.
[[noreturn]] void check_failed(const char* expr, const char* file,
                               int line) noexcept;

}  // namespace gort::internal

// GORT_CHECK(cond) aborts with a report if cond is false, in every build.
// Cite the invariant it checks: GORT_CHECK(n <= cap);  // I2
#define GORT_CHECK(cond)                                         \
  do {                                                           \
    if (__builtin_expect(!(cond), 0))                            \
      ::gort::internal::check_failed(#cond, __FILE__, __LINE__); \
  } while (0)

// GORT_DCHECK is GORT_CHECK in debug builds and nothing in release builds.
#ifdef NDEBUG
#define GORT_DCHECK(cond) \
  do {                    \
  } while (0 && (cond))
#else
#define GORT_DCHECK(cond) GORT_CHECK(cond)
#endif
