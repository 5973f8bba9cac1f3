// The calling thread's worker (g.hpp), read out of line (platform.md 6).
#include "runtime/internal/g.hpp"

namespace gort::internal {
namespace {
thread_local worker* tls_worker __attribute__((tls_model("initial-exec"))) =
    nullptr;
}  // namespace

[[gnu::noinline]] worker* current_worker() noexcept {
  worker** slot = &tls_worker;
  asm volatile("" : "+r"(slot));
  return *slot;
}

[[gnu::noinline]] void set_current_worker(worker* w) noexcept {
  worker** slot = &tls_worker;
  asm volatile("" : "+r"(slot));
  *slot = w;
}

}  // namespace gort::internal
