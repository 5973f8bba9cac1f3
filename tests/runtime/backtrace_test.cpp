// tests/runtime/backtrace_test.cpp: backtraces of a parked goroutine taken
// from its saved context, of the calling stack, of garbage, and the
// traceback text.
//
// Line numbers need DWARF: the release preset builds without -g, so there
// the tests check function names only and say so; the asan and tsan presets
// (RelWithDebInfo) check files and lines too.
#include "runtime/internal/backtrace.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <iostream>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "gort/chan.hpp"
#include "gort/sched.hpp"
#include "runtime/internal/g.hpp"
#include "runtime/internal/stack.hpp"
#include "sched/internal/latch.hpp"
#include "sched/internal/sched.hpp"
#include "support/sanitizer.hpp"
#include "support/seed.hpp"
#include "support/watchdog.hpp"

namespace gort::internal {
namespace {

// The lines the probes call from, written by the probe goroutine before
// it parks (read after its status says waiting: release/acquire).
struct probe_lines {
  int inner = 0;
  int outer = 0;
};
probe_lines lines;

[[gnu::noipa]] int backtrace_probe_inner(const chan<int>& ch) {
  lines.inner = __LINE__ + 1;
  const std::optional<int> v = ch.recv();
  return v.value_or(-1) + 1;
}

[[gnu::noipa]] int backtrace_probe_outer(const chan<int>& ch,
                                         std::atomic<std::uint64_t>& id) {
  id.store(goroutine_id(), std::memory_order_release);
  lines.outer = __LINE__ + 1;
  const int r = backtrace_probe_inner(ch);
  return r + 1;  // not a tail call: this frame stays on the stack
}

[[gnu::noipa]] std::size_t here_probe_inner(std::uintptr_t* pcs,
                                            std::size_t max) {
  const std::size_t n = unwind_here(pcs, max);
  asm volatile("" ::: "memory");  // not a tail call
  return n;
}

[[gnu::noipa]] std::size_t here_probe_outer(std::uintptr_t* pcs,
                                            std::size_t max) {
  const std::size_t n = here_probe_inner(pcs, max);
  asm volatile("" ::: "memory");
  return n;
}

// has_line_info says whether this test binary has DWARF line tables.
bool has_line_info() {
  const auto pc = reinterpret_cast<std::uintptr_t>(&here_probe_inner) + 1;
  const std::vector<frame> f = symbolize(&pc, 1);
  return !f.empty() && !f.back().file.empty();
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// index_of returns the first frame at or after `from` whose function
// contains `name` (and is not an inlined call), or -1.
int index_of(const std::vector<frame>& frames, const std::string& name,
             int from = 0) {
  for (int i = from; i < static_cast<int>(frames.size()); ++i) {
    if (!frames[i].inlined &&
        frames[i].function.find(name) != std::string::npos)
      return i;
  }
  return -1;
}

std::string render(const std::vector<frame>& frames) {
  std::ostringstream out;
  write_frames(out, frames);
  return out.str();
}

// find_g returns the G with goroutine id `id` (allgs never shrinks).
g* find_g(std::uint64_t id) {
  for (g* gp = sched().allgs.load(std::memory_order_acquire); gp != nullptr;
       gp = gp->allg_next) {
    if (gp->id == id) return gp;
  }
  return nullptr;
}

TEST(backtrace_test, parked_goroutine_shows_its_calls_from_its_saved_context) {
  const bool want_lines = has_line_info();
  if (!want_lines) {
    std::cout << "[   note   ] no DWARF line info in this build: checking "
                 "function names only\n";
  }
  run([&] {
    chan<int> ch = make_chan<int>();
    std::atomic<std::uint64_t> id{0};
    latch done(1);
    go([&] {
      backtrace_probe_outer(ch, id);
      done.count_down();
    });
    ASSERT_TRUE(gort_test::eventually(
        [&] { return id.load(std::memory_order_acquire) != 0; }));
    g* gp = find_g(id.load(std::memory_order_acquire));
    ASSERT_NE(gp, nullptr);
    const bool parked = gort_test::eventually([&] {
      return gp->status.load(std::memory_order_acquire) == gstatus::waiting &&
             gp->reason.load(std::memory_order_relaxed) ==
                 wait_reason::chan_receive;
    });
    EXPECT_TRUE(parked);

    std::vector<std::uintptr_t> pcs(backtrace_max_frames);
    std::size_t n = 0;
    if (parked) {
      n = unwind_parked(gp->ctx, gp->stack->usable_lo(), gp->stack->hi(),
                        pcs.data(), pcs.size());
    }
    const std::vector<frame> frames = symbolize(pcs.data(), n);
    const std::string text = render(frames);
    std::cout << "parked goroutine " << gp->id << " [chan receive]:\n" << text;

    EXPECT_GE(n, 4u);
    const int inner = index_of(frames, "backtrace_probe_inner");
    const int outer = index_of(frames, "backtrace_probe_outer");
    EXPECT_GE(inner, 0) << text;
    EXPECT_GT(outer, inner) << "inner, then outer\n" << text;
    // Where it parked (Go shows gopark), and where its stack begins: the
    // walk stops at the entry trampoline, dropping what lies past it.
    ASSERT_FALSE(frames.empty());
    EXPECT_NE(frames.front().function.find("suspend"), std::string::npos)
        << text;
    EXPECT_NE(frames.back().function.find("trampoline"), std::string::npos)
        << text;
    if (want_lines && inner >= 0 && outer >= 0) {
      EXPECT_TRUE(ends_with(frames[inner].file, "runtime/backtrace_test.cpp"))
          << text;
      EXPECT_EQ(frames[inner].line, lines.inner) << text;
      EXPECT_TRUE(ends_with(frames[outer].file, "runtime/backtrace_test.cpp"))
          << text;
      EXPECT_EQ(frames[outer].line, lines.outer) << text;
    }

    ch.send(1);
    done.wait();
  });
}

TEST(backtrace_test, unwind_here_finds_its_callers) {
  std::vector<std::uintptr_t> pcs(backtrace_max_frames);
  const std::size_t n = here_probe_outer(pcs.data(), pcs.size());
  const std::vector<frame> frames = symbolize(pcs.data(), n);
  const std::string text = render(frames);
  ASSERT_FALSE(frames.empty());
  // pcs[0] is in unwind_here's caller: unwind_here's own frame is skipped.
  const int inner = index_of(frames, "here_probe_inner");
  const int outer = index_of(frames, "here_probe_outer");
  const int body = index_of(frames, "unwind_here_finds_its_callers");
  EXPECT_EQ(inner, 0) << text;
  EXPECT_GT(outer, inner) << text;
  EXPECT_GT(body, outer) << text;
  EXPECT_EQ(index_of(frames, "gort::internal::unwind_here("), -1) << text;
  if (has_line_info()) {
    EXPECT_TRUE(ends_with(frames[inner].file, "runtime/backtrace_test.cpp"))
        << text;
  }
  // A cut: max bounds the count.
  EXPECT_EQ(here_probe_outer(pcs.data(), 2), 2u);
  EXPECT_EQ(unwind_here(pcs.data(), 0), 0u);
}

TEST(backtrace_test, unwind_here_on_a_goroutine_stops_at_its_trampoline) {
  std::vector<frame> frames;
  run([&] {
    std::vector<std::uintptr_t> pcs(backtrace_max_frames);
    const std::size_t n = here_probe_outer(pcs.data(), pcs.size());
    frames = symbolize(pcs.data(), n);
  });
  const std::string text = render(frames);
  ASSERT_FALSE(frames.empty());
  EXPECT_EQ(index_of(frames, "here_probe_inner"), 0) << text;
  EXPECT_NE(frames.back().function.find("trampoline"), std::string::npos)
      << text;
}

// A ctx into a buffer of random words, some of them plausible (addresses
// inside the buffer, code addresses): a short, wrong backtrace, no fault,
// and no read outside the buffer (ASan would see one past the array).
TEST(backtrace_test, garbage_context_gives_a_short_backtrace_and_no_fault) {
  std::mt19937_64 rng(gort_test::test_seed());
  constexpr std::size_t words = 512;
  alignas(16) std::uint64_t buf[words];
  const auto base = reinterpret_cast<std::uint64_t>(buf);
  const std::uint64_t code[] = {
      reinterpret_cast<std::uint64_t>(&here_probe_inner),
      reinterpret_cast<std::uint64_t>(&backtrace_probe_outer),
      reinterpret_cast<std::uint64_t>(&unwind_here),
      reinterpret_cast<std::uint64_t>(&::write),
  };
  std::uintptr_t pcs[backtrace_max_frames];
  const std::size_t rounds = gort_test::scaled(2000, 300);
  for (std::size_t round = 0; round < rounds; ++round) {
    for (std::uint64_t& w : buf) {
      switch (rng() % 4) {
        case 0:
          w = rng();
          break;
        case 1:
          w = base + 8 * (rng() % words);
          break;
        case 2:
          w = code[rng() % std::size(code)] + rng() % 512;
          break;
        default:
          w = rng() % 4096;
          break;
      }
    }
    const std::size_t at = rng() % words;
    const std::size_t n =
        unwind_parked(buf + at, buf, buf + words, pcs, std::size(pcs));
    ASSERT_LE(n, backtrace_max_frames);
    if (at + 8 > words) {
      EXPECT_EQ(n, 0u) << "the saved frame is not inside";
    }
    (void)symbolize(pcs, n);
  }
  // A ctx outside the bounds, or no room for pcs: nothing is read.
  EXPECT_EQ(unwind_parked(buf + words, buf, buf + words, pcs, 64), 0u);
  EXPECT_EQ(unwind_parked(buf, buf + 1, buf + words, pcs, 64), 0u);
  EXPECT_EQ(unwind_parked(nullptr, buf, buf + words, pcs, 64), 0u);
  EXPECT_EQ(unwind_parked(buf, buf, buf + words, pcs, 0), 0u);
  EXPECT_EQ(unwind_parked(buf, buf, buf + words, nullptr, 64), 0u);
}

TEST(backtrace_test, symbolize_leaves_unknown_addresses_unknown) {
  int local = 0;
  const std::uintptr_t pcs[] = {0, reinterpret_cast<std::uintptr_t>(&local)};
  const std::vector<frame> frames = symbolize(pcs, std::size(pcs));
  ASSERT_EQ(frames.size(), 2u);
  for (const frame& f : frames) {
    EXPECT_TRUE(f.function.empty());
    EXPECT_TRUE(f.file.empty());
    EXPECT_TRUE(f.module.empty());
    EXPECT_EQ(f.line, 0);
  }
  EXPECT_EQ(render(frames), "?\n\t?:0\n?\n\t?:0\n");
}

TEST(backtrace_test, write_frames_prints_go_traceback_shape) {
  std::vector<frame> frames(5);
  frames[0] = {
      0x1001, "std::vector<int>::at", "/usr/include/vector", 7, 0, "/bin/app",
      true};
  frames[1] = {
      0x1001, "main::worker(int)", "/src/main.cpp", 42, 0x1d, "/bin/app",
      false};
  frames[2] = {0x2000, "memcpy", "", 0, 0x40, "/lib/libc.so.6", false};
  frames[3] = {0x3000, "", "", 0, 0x2a31, "/lib/libfoo.so", false};
  frames[4] = {0x4000, "", "", 0, 0, "", false};
  EXPECT_EQ(render(frames),
            "std::vector<int>::at\n"
            "\t/usr/include/vector:7\n"
            "main::worker(int)\n"
            "\t/src/main.cpp:42 +0x1d\n"
            "memcpy\n"
            "\t?:0\n"
            "/lib/libfoo.so+0x2a31\n"
            "\t?:0\n"
            "?\n"
            "\t?:0\n");
}

}  // namespace
}  // namespace gort::internal
