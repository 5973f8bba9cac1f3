// Stacks
//
// The problem. A goroutine needs a stack of its own, and C++ cannot move a
// stack (raw pointers into it are everywhere and there are no stack maps),
// so unlike Go's 2 KiB stacks that grow by copying, a gort stack has a fixed
// size, chosen once (GORT_STACK_SIZE, 64 KiB by default). Three forces pull
// on it:
//   1. Scale. A million parked goroutines must fit. Virtual space is cheap
//      (64 GiB of a 128 TiB address space), resident memory is not: a parked
//      goroutine should cost about one touched page.
//   2. Overflow must be reported, naming the goroutine, never a bare
//      SIGSEGV. The classic answer is a PROT_NONE guard page below each
//      stack, but each guard splits a mapping in two, and vm.max_map_count
//      (65530 by default) stops that at about 32k stacks (platform.md 2.1).
//   3. Speed. mmap + mprotect + munmap cost 4-8 us per stack; a free-list
//      pop costs under a nanosecond.
//
// Rejected:
//   - A guard page for every stack: ENOMEM past ~32k goroutines.
//   - Raising vm.max_map_count: needs root, and CI machines keep 65530.
//   - No guard at all: overflow silently corrupts the neighbouring stack.
//   - malloc'd stacks: no guard possible, and malloc touches headers.
//
// The approach.
//   1. Stacks are carved from slabs of 64, each slab one mmap with
//      MAP_NORESERVE | MAP_STACK and MADV_NOHUGEPAGE (a huge page would make
//      every stack 2 MiB resident; platform.md 2.4). Unguarded neighbours
//      merge into one VMA, so slabs cost no map count.
//   2. Guard pages while the budget lasts: the budget is half of what
//      vm.max_map_count leaves after a reserve for the rest of the process,
//      so a program with fewer live goroutines than that (about 28k on a
//      default system) gets a guard under every stack. The first
//      eager_guards stacks get theirs when carved. Past those, an mprotect
//      (which splits a VMA under the mm write lock, stalling page faults on
//      every other core) would sit on the critical path of a burst of new
//      goroutines, so sysmon adds the guards instead, to stacks resting in
//      the global pool (stack_scavenge); a burst's stacks run unguarded
//      (step 3) until they come back. A stack keeps its guard for life, so
//      the stacks the pools reuse most are the guarded ones.
//   3. Every switch away from a goroutine checks that sp is above a red
//      zone at the bottom of its stack. An unguarded stack also has a canary:
//      its lowest usable word must still be zero. The canary is never
//      written: a fresh or DONTNEED'd page reads as zero, so checking it
//      costs no resident page, where writing a pattern would touch a second
//      page per stack and double a parked goroutine's RSS. A violation is
//      reported as an overflow naming the goroutine. For unguarded stacks
//      this is how overflow is caught: late (at the next switch) but
//      reported, never silent.
//   4. A guard-page hit raises SIGSEGV; the handler runs on the worker's
//      alternate signal stack, finds the running goroutine, and if the fault
//      address lies in or just below its stack, prints the report and exits
//      with status 2. Other faults go to the previous handler.
//   5. Free stacks are pooled per P (sched) and globally (here) and reused
//      without a syscall, hot ones first. Freeing never makes a syscall:
//      sysmon's scavenger (stack_scavenge) keeps the global pool's dirty
//      stacks at pool_keep_dirty and returns the pages of the coldest rest
//      with MADV_DONTNEED (platform.md 2.3: MADV_FREE would not lower RSS),
//      address-sorted so that neighbours in a slab cost one madvise. Only
//      stacks that rested through a whole scavenge window (1 s: the fewest
//      dirty stacks seen in it) go back, so a program that runs a burst of
//      goroutines again and again reuses warm stacks instead of faulting
//      fresh pages each time. A burst of exits pays no madvise on its
//      critical path, and an idle program holds no more than the bound once
//      a window has passed (sysmon does not sleep for good before).
//
// Invariants:
//   S1. A stack is in exactly one place: a per-P cache, the global pool, or
//       bound to one goroutine.
//   S2. A stack on the clean list has dirty == false; one on the dirty list
//       has dirty == true.
#include "runtime/internal/stack.hpp"

#include <signal.h>
#include <sys/mman.h>
#include <sys/ucontext.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "runtime/internal/check.hpp"
#include "runtime/internal/futex.hpp"
#include "runtime/internal/g.hpp"
#include "runtime/internal/rt_mutex.hpp"
#include "runtime/internal/trace.hpp"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define GORT_ASAN 1
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define GORT_ANY_SANITIZER 1
#endif
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define GORT_VALGRIND 1
#endif

namespace gort::internal {
namespace {

constexpr std::size_t page = 4096;
constexpr std::size_t slab_stacks = 64;
constexpr std::size_t pool_keep_dirty = 256;
// A dirty stack must rest this long before its pages go back ("Stacks", 5).
constexpr std::int64_t scavenge_window_ns = 1'000'000'000;
constexpr std::size_t eager_guards = 1024;
constexpr std::size_t altstack_bytes = 64 * 1024;

std::size_t g_size = 0;
std::atomic<std::size_t> g_guard_budget{0};
std::atomic<std::size_t> g_allocated{0};
std::atomic<std::size_t> g_guarded{0};

// The global pool. Protected by pool_lock.
rt_mutex pool_lock{lock_rank::stack_pool};
stack_desc* dirty_head = nullptr;  // most recently freed first
stack_desc* clean_head = nullptr;
std::size_t clean_count = 0;
// Written under pool_lock, read without it by the scavenger's fast check.
std::atomic<std::size_t> dirty_count{0};

struct sigaction g_prev_segv;
struct sigaction g_prev_bus;

std::size_t read_max_map_count() noexcept {
  std::FILE* f = std::fopen("/proc/sys/vm/max_map_count", "r");
  if (f == nullptr) return 65530;
  unsigned long v = 65530;
  if (std::fscanf(f, "%lu", &v) != 1) v = 65530;
  std::fclose(f);
  return v;
}

std::uint64_t* canary_of(const stack_desc* s) noexcept {
  return reinterpret_cast<std::uint64_t*>(s->usable_lo());
}

// try_guard gives s a guard page if the budget allows. s must not be in
// use by a goroutine (carving, or resting in the pool under sysmon).
bool try_guard(stack_desc* s) noexcept {
  std::size_t budget = g_guard_budget.load(std::memory_order_relaxed);
  while (budget > 0 && !g_guard_budget.compare_exchange_weak(
                           budget, budget - 1, std::memory_order_relaxed)) {
  }
  if (budget == 0) return false;
  if (mprotect(s->lo, page, PROT_NONE) != 0) {
    g_guard_budget.store(0, std::memory_order_relaxed);  // map count hit
    return false;
  }
  s->guarded = true;
  g_guarded.fetch_add(1, std::memory_order_relaxed);
  return true;
}

// carve_slab maps a new slab and returns its stacks as a list.
stack_desc* carve_slab(std::size_t* count) noexcept {
  const std::size_t bytes = g_size * slab_stacks;
  void* mem =
      mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
           MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
  if (mem == MAP_FAILED) fatal("out of memory: cannot map goroutine stacks");
  madvise(mem, bytes, MADV_NOHUGEPAGE);
  auto* descs = new stack_desc[slab_stacks];
  auto* base = static_cast<char*>(mem);
  for (std::size_t i = 0; i < slab_stacks; ++i) {
    stack_desc& s = descs[i];
    s.lo = base + i * g_size;
    s.size = g_size;
    if (g_allocated.load(std::memory_order_relaxed) + i < eager_guards)
      try_guard(&s);
#ifdef GORT_VALGRIND
    s.valgrind_id = VALGRIND_STACK_REGISTER(s.usable_lo(), s.hi());
#endif
    s.next = i + 1 < slab_stacks ? &descs[i + 1] : nullptr;
  }
  g_allocated.fetch_add(slab_stacks, std::memory_order_relaxed);
  *count = slab_stacks;
  return descs;
}

void write_report(const g* gp, const stack_desc* s, const char* how) noexcept {
  out_buffer out(2);
  out << "gort: fatal error: stack overflow\n\n";
  if (gp != nullptr) {
    // The header and the spawn site in the goroutine dump's format
    // (sched/dump.cpp); no backtrace: the stack is what overflowed, and
    // this runs in a signal handler.
    out << "goroutine " << gp->id << " [running]:\n" << how << "\n";
    if (s != nullptr) {
      out << "(stack: " << std::uint64_t{s->size - s->guard_bytes()}
          << " usable bytes of " << std::uint64_t{s->size}
          << "; raise GORT_STACK_SIZE" << (s->guarded ? "" : "; no guard page")
          << ")\n";
    }
    worker* w = current_worker();
    if (w != nullptr) out << "(on worker M" << w->id << ")\n";
    out << "created by " << gp->site.function_name() << "\n\t"
        << gp->site.file_name() << ':' << std::uint64_t{gp->site.line()}
        << "\n";
  }
  out.flush();
  trace::on_fatal();
}

void chain(int sig, siginfo_t* info, void* uctx,
           const struct sigaction& prev) noexcept {
  if ((prev.sa_flags & SA_SIGINFO) != 0 && prev.sa_sigaction != nullptr) {
    prev.sa_sigaction(sig, info, uctx);
    return;
  }
  if (prev.sa_handler != SIG_DFL && prev.sa_handler != SIG_IGN &&
      prev.sa_handler != nullptr) {
    prev.sa_handler(sig);
    return;
  }
  // Default action: reinstall it and return, so the fault repeats and the
  // kernel delivers it for real (core dump and all).
  signal(sig, SIG_DFL);
}

void on_fault(int sig, siginfo_t* info, void* uctx) {
  worker* w = current_worker();
  g* gp = w != nullptr ? w->curg : nullptr;
  if (gp != nullptr && gp->stack != nullptr) {
    auto* addr = static_cast<char*>(info->si_addr);
    const stack_desc* s = gp->stack;
    // In the guard page, or within one more stack size below it (a large
    // frame may jump over the guard).
    if (addr < s->usable_lo() + page && addr + s->size >= s->lo) {
      write_report(gp, s, "hit the guard page below its stack");
      _exit(2);
    }
    // An unguarded stack: the goroutine ran down through its neighbours
    // (contiguous slabs: possibly hundreds of megabytes) until it hit a
    // guard page or something unmapped. Its sp is then below its own stack,
    // where a running goroutine's sp never is otherwise. (The 1 GiB bound
    // only keeps code that switched to a stack of its own out.)
    const auto* sp = reinterpret_cast<const char*>(
        static_cast<ucontext_t*>(uctx)->uc_mcontext.gregs[REG_RSP]);
    if (sp < s->usable_lo() && static_cast<std::size_t>(s->usable_lo() - sp) <
                                   (std::size_t{1} << 30)) {
      write_report(gp, s, "ran past the bottom of its stack");
      _exit(2);
    }
  }
  chain(sig, info, uctx, sig == SIGSEGV ? g_prev_segv : g_prev_bus);
}

}  // namespace

std::size_t default_stack_size() noexcept {
#ifdef GORT_ANY_SANITIZER
  return 256 * 1024;
#else
  return 64 * 1024;
#endif
}

void stack_init(std::size_t size) noexcept {
  g_size = (size + page - 1) / page * page;
  if (g_size < 4 * page) g_size = 4 * page;
  const std::size_t maps = read_max_map_count();
  const std::size_t reserve = 8192;  // the rest of the process's mappings
  g_guard_budget.store(maps > 2 * reserve ? (maps - reserve) / 2 : 0,
                       std::memory_order_relaxed);
}

std::size_t stack_size() noexcept { return g_size; }

void stack_set_guard_budget(std::size_t n) noexcept {
  g_guard_budget.store(n, std::memory_order_relaxed);
}

stack_desc* stack_alloc() noexcept {
  {
    std::lock_guard<rt_mutex> lk(pool_lock);
    stack_desc** head = dirty_head != nullptr ? &dirty_head : &clean_head;
    if (*head != nullptr) {
      stack_desc* s = *head;
      *head = s->next;
      if (s->dirty) {
        dirty_count.fetch_sub(1, std::memory_order_relaxed);
      } else {
        --clean_count;
      }
      s->next = nullptr;
      return s;
    }
  }
  std::size_t n = 0;
  stack_desc* first = carve_slab(&n);
  stack_desc* rest = first->next;
  first->next = nullptr;
  if (rest != nullptr) {
    stack_desc* tail = rest;
    while (tail->next != nullptr) tail = tail->next;
    std::lock_guard<rt_mutex> lk(pool_lock);
    tail->next = clean_head;
    clean_head = rest;
    clean_count += n - 1;
  }
  return first;
}

void stack_free_batch(stack_desc* head, std::size_t n) noexcept {
  if (head == nullptr) return;
  stack_desc* tail = head;
  while (tail->next != nullptr) tail = tail->next;
  std::lock_guard<rt_mutex> lk(pool_lock);
  tail->next = dirty_head;  // all came from goroutines: dirty (S2)
  dirty_head = head;
  dirty_count.fetch_add(n, std::memory_order_relaxed);
}

// guard_resting gives guard pages to up to `max` unguarded stacks resting
// on the clean list, while the budget lasts ("Stacks", step 2). The stacks
// are taken off the list for the mprotect calls, so the lock is not held
// across syscalls.
std::size_t guard_resting(std::size_t max) noexcept {
  if (g_guard_budget.load(std::memory_order_relaxed) == 0) return 0;
  stack_desc* taken = nullptr;
  std::size_t n = 0;
  {
    std::lock_guard<rt_mutex> lk(pool_lock);
    stack_desc** link = &clean_head;
    while (*link != nullptr && n < max) {
      stack_desc* s = *link;
      if (s->guarded) {
        link = &s->next;
        continue;
      }
      *link = s->next;
      s->next = taken;
      taken = s;
      ++n;
    }
    clean_count -= n;
  }
  if (taken == nullptr) return 0;
  std::size_t guarded = 0;
  stack_desc* tail = taken;
  for (stack_desc* s = taken; s != nullptr; s = s->next) {
    if (try_guard(s)) ++guarded;
    tail = s;
  }
  std::lock_guard<rt_mutex> lk(pool_lock);
  tail->next = clean_head;
  clean_head = taken;
  clean_count += n;
  return guarded;
}

bool stack_scavenge() noexcept {
  guard_resting(256);
  // Only stacks that rested through a whole window are returned: the
  // smallest dirty count seen in the window (sysmon's thread only).
  static std::int64_t window_start = 0;
  static std::size_t window_min = SIZE_MAX;
  const std::size_t dirty = dirty_count.load(std::memory_order_relaxed);
  if (dirty < window_min) window_min = dirty;
  const std::int64_t now = monotonic_ns();
  if (now - window_start < scavenge_window_ns) return dirty > pool_keep_dirty;
  const std::size_t rested = window_min;
  window_start = now;
  window_min = SIZE_MAX;
  if (rested <= pool_keep_dirty) return dirty > pool_keep_dirty;
  std::size_t release = rested - pool_keep_dirty;
  stack_desc* cold;
  std::size_t n = 0;
  {
    std::lock_guard<rt_mutex> lk(pool_lock);
    // Stacks may have been taken since: never keep fewer than the bound.
    const std::size_t now_dirty = dirty_count.load(std::memory_order_relaxed);
    if (now_dirty <= pool_keep_dirty) return false;
    release = std::min(release, now_dirty - pool_keep_dirty);
    // The list is most recently freed first: keep the head, cut the tail.
    stack_desc* keep_tail = dirty_head;
    for (std::size_t i = 1; i < now_dirty - release; ++i)
      keep_tail = keep_tail->next;
    cold = keep_tail->next;
    keep_tail->next = nullptr;
    for (stack_desc* s = cold; s != nullptr; s = s->next) ++n;
    dirty_count.fetch_sub(n, std::memory_order_relaxed);
  }
  // Sort by address, then madvise each run of neighbours once.
  std::vector<stack_desc*> v;
  v.reserve(n);
  for (stack_desc* s = cold; s != nullptr; s = s->next) v.push_back(s);
  std::sort(v.begin(), v.end(), [](const stack_desc* a, const stack_desc* b) {
    return a->lo < b->lo;
  });
  for (std::size_t i = 0; i < v.size();) {
    std::size_t j = i + 1;
    while (j < v.size() && v[j]->lo == v[j - 1]->hi()) ++j;
    madvise(v[i]->lo, static_cast<std::size_t>(v[j - 1]->hi() - v[i]->lo),
            MADV_DONTNEED);
    i = j;
  }
  for (std::size_t i = 0; i + 1 < v.size(); ++i) v[i]->next = v[i + 1];
  for (stack_desc* s : v) s->dirty = false;  // S2
  std::lock_guard<rt_mutex> lk(pool_lock);
  v.back()->next = clean_head;
  clean_head = v.front();
  clean_count += n;
  return dirty_count.load(std::memory_order_relaxed) > pool_keep_dirty;
}

void stack_prepare(stack_desc* s) noexcept {
#ifdef GORT_ASAN
  // Frames that never returned (the entry trampoline of the previous
  // goroutine) leave poisoned red zones behind.
  ASAN_UNPOISON_MEMORY_REGION(s->usable_lo(), s->size - s->guard_bytes());
#endif
  // A nonzero canary means the stack's last owner wrote into its bottom
  // word and ended before a switch could see it; clear it for the next.
  if (!s->guarded && *canary_of(s) != 0) *canary_of(s) = 0;
  s->dirty = true;
}

void stack_overflow_at_switch(const stack_desc* s, bool sp_ok) noexcept {
  worker* w = current_worker();
  write_report(w != nullptr ? w->curg : nullptr, s,
               sp_ok ? "overwrote the bottom of its stack (seen at a switch)"
                     : "ran past the bottom of its stack (seen at a switch)");
  _exit(2);
}

void install_overflow_handler() noexcept {
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_fault;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGSEGV, &sa, &g_prev_segv);
  sigaction(SIGBUS, &sa, &g_prev_bus);
}

void thread_overflow_setup(void** altstack) noexcept {
  void* mem = mmap(nullptr, altstack_bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (mem == MAP_FAILED) return;  // no report on overflow, but no crash
  stack_t ss;
  std::memset(&ss, 0, sizeof ss);
  ss.ss_sp = mem;
  ss.ss_size = altstack_bytes;
  if (sigaltstack(&ss, nullptr) != 0) {
    munmap(mem, altstack_bytes);
    return;
  }
  *altstack = mem;
}

}  // namespace gort::internal
