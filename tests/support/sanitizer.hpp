// tests/support/sanitizer.hpp: whether the test binary runs under a
// sanitizer, so that stress tests can scale their counts down.
#pragma once

#include <cstddef>

namespace gort_test {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool under_sanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
inline constexpr bool under_sanitizer = true;
#else
inline constexpr bool under_sanitizer = false;
#endif
#else
inline constexpr bool under_sanitizer = false;
#endif

// under_tsan: ThreadSanitizer in particular. It keeps one context per
// fiber and dies past 8,128 live threads and fibers ("Thread limit
// exceeded"), so tests that keep many goroutines alive at once stay below.
#if defined(__SANITIZE_THREAD__)
inline constexpr bool under_tsan = true;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
inline constexpr bool under_tsan = true;
#else
inline constexpr bool under_tsan = false;
#endif
#else
inline constexpr bool under_tsan = false;
#endif

// scaled returns `release` in a plain build and `sanitized` under a
// sanitizer.
//
// Example:
//   constexpr std::size_t n = gort_test::scaled(1'000'000, 100'000);
constexpr std::size_t scaled(std::size_t release,
                             std::size_t sanitized) noexcept {
  return under_sanitizer ? sanitized : release;
}

// scaled with a third count for TSan, where creating a goroutine (a TSan
// fiber) costs about a millisecond: `release`, `sanitized` under ASan,
// `tsan` under TSan.
constexpr std::size_t scaled(std::size_t release, std::size_t sanitized,
                             std::size_t tsan) noexcept {
  return under_tsan ? tsan : scaled(release, sanitized);
}

}  // namespace gort_test
