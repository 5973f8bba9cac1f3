// runtime/internal/stack.hpp: goroutine stacks.
//
// See "Stacks" at the top of runtime/stack.cpp for the design: fixed-size
// stacks carved from slabs, guard pages while vm.max_map_count allows them,
// a canary checked at every switch beyond that, per-P caches that reuse a
// stack without a syscall, and a scavenger that returns the pages of
// stacks past the global cache bound.
#pragma once

#include <cstddef>
#include <cstdint>

namespace gort::internal {

// stack_desc describes one stack. Descriptors are allocated with their slab
// and never freed, like Gs.
struct stack_desc {
  char* lo = nullptr;    // lowest address of the mapping (the guard page)
  std::size_t size = 0;  // whole size, guard included
  bool guarded = false;  // lo .. lo+page is PROT_NONE
  bool dirty = false;    // pages may be resident (not DONTNEED'd since use)
  unsigned valgrind_id = 0;
  stack_desc* next = nullptr;  // free list link (owned by the list)

  char* usable_lo() const noexcept { return lo + guard_bytes(); }
  char* hi() const noexcept { return lo + size; }
  // The guard page is reserved in every stack, guarded or not, so that all
  // stacks have the same usable size.
  static constexpr std::size_t guard_bytes() noexcept { return 4096; }
};

// stack_init sets the stack size (rounded up to pages) and the guard budget
// from /proc/sys/vm/max_map_count. Called once, before any allocation.
void stack_init(std::size_t size) noexcept;

// stack_set_guard_budget sets how many more guard pages may be added (the
// budget stack_init derives from vm.max_map_count). Tests set it to 0 to
// get unguarded stacks deterministically.
void stack_set_guard_budget(std::size_t n) noexcept;

// stack_size returns the configured stack size in bytes.
std::size_t stack_size() noexcept;

// default_stack_size is the size used when GORT_STACK_SIZE is unset: 64 KiB,
// four times that under a sanitizer (whose frames are larger).
std::size_t default_stack_size() noexcept;

// stack_alloc returns a free stack from the global pool, or from a new slab.
// Any thread. Never returns nullptr (an mmap failure is fatal).
stack_desc* stack_alloc() noexcept;

// stack_free_batch returns a list of n stacks (linked by next) to the
// global pool, as dirty. Never makes a syscall. Any thread.
void stack_free_batch(stack_desc* head, std::size_t n) noexcept;

// stack_scavenge returns to the kernel (MADV_DONTNEED) the pages of the
// global pool's dirty stacks beyond its bound that rested through a whole
// scavenge window, coldest first. Returns true while dirty stacks beyond the
// bound remain, i.e. while the caller should come back. Sysmon calls it on
// every tick. Sysmon's thread only.
bool stack_scavenge() noexcept;

// stack_prepare readies a stack for a new goroutine: clears a tripped canary
// under ASan, unpoisons it. Called on the stack's first use by a goroutine.
void stack_prepare(stack_desc* s) noexcept;

// stack_check verifies, at a switch, that the running goroutine has not
// overflowed: sp is above the red zone and, on an unguarded stack, the canary
// (its bottom word) is still zero. On failure
// it prints the overflow report and exits with status 2.
inline void stack_check(const stack_desc* s, const void* sp) noexcept;
[[noreturn]] void stack_overflow_at_switch(const stack_desc* s,
                                           bool sp_ok) noexcept;

// install_overflow_handler installs the SIGSEGV/SIGBUS handler that turns a
// guard-page hit into a report naming the goroutine. Once per process.
void install_overflow_handler() noexcept;

// thread_overflow_setup gives the calling worker thread an alternate signal
// stack, so the handler can run when the goroutine's stack is exhausted.
void thread_overflow_setup(void** altstack) noexcept;

inline constexpr std::size_t stack_red_zone = 256;

inline void stack_check(const stack_desc* s, const void* sp) noexcept {
  const bool sp_ok =
      static_cast<const char*>(sp) >= s->usable_lo() + stack_red_zone;
  if (__builtin_expect(
          sp_ok && (s->guarded || *reinterpret_cast<const std::uint64_t*>(
                                      s->usable_lo()) == 0),
          1))
    return;
  stack_overflow_at_switch(s, sp_ok);
}

}  // namespace gort::internal
