// runtime/internal/backtrace.hpp: backtraces of a parked goroutine's stack
// (taken from its saved context) and of the calling thread's, and their
// symbolisation, for goroutine dumps (Go's SIGQUIT traceback).
//
// See "Backtraces" at the top of runtime/backtrace.cpp for the design:
// elfutils' libdwfl unwinds a parked goroutine from the registers
// jump_fcontext saved on its stack, reading only inside that stack, and
// symbolises every address; libgcc's _Unwind_Backtrace walks the caller's
// own stack.
//
// A pc in this interface is a return address: the instruction after the
// call that frame made, so that its call site is pc - 1. The unwinders
// normalise the rare exception (a frame interrupted by a signal) to that
// shape too, as Go's runtime.Callers does, so symbolize() needs no flags.
// None of this is async-signal-safe: it allocates and takes a mutex.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace gort::internal {

// backtrace_max_frames bounds every unwind: deeper stacks are cut there.
inline constexpr std::size_t backtrace_max_frames = 64;

// frame is one symbolised call: a function and the position in it. Empty
// strings and zeros mean "unknown". A pc whose call site lies in code
// inlined into its function gives several frames, innermost first, all
// with that pc: one per inlined call (inlined = true) and last the function
// that holds the code (Go's traceback does the same).
struct frame {
  std::uintptr_t pc = 0;  // the return address, as unwound
  std::string function;   // demangled; empty if no symbol covers pc - 1
  std::string file;       // source file of pc - 1; empty without line info
  int line = 0;           // its line; 0 without line info
  // pc's offset from the start of `function` when that is known (Go's
  // "+0x1d"), otherwise pc's address inside `module`'s ELF file (what
  // addr2line -e module takes), otherwise 0.
  std::uintptr_t offset = 0;
  std::string module;    // the file mapped at pc - 1; empty if none
  bool inlined = false;  // an inlined call; the next frame is its caller
};

// unwind_parked stores in pcs[0..n) the return addresses of the goroutine
// parked with saved fcontext `ctx` (g->ctx) on the stack [lo, hi)
// (g->stack->usable_lo() .. hi()), innermost first, and returns n <=
// min(max, backtrace_max_frames). The first pc is in gort's suspend (where
// the goroutine called jump_fcontext), the last in its entry trampoline.
// Reads memory only inside [lo, hi) (the saved frame too: a ctx outside it
// gives 0), so a stale or garbage ctx yields a short, wrong backtrace,
// never a fault. Any thread, including a goroutine; the goroutine must not
// run until it returns (the caller's duty: it is parked, and stays so).
// Serialised with symbolize() by one mutex.
std::size_t unwind_parked(const void* ctx, const void* lo, const void* hi,
                          std::uintptr_t* pcs, std::size_t max) noexcept;

// unwind_here stores in pcs[0..n) the return addresses of the calling
// thread's stack, starting with unwind_here's caller's frame (pcs[0] is in
// the function that called unwind_here), and returns n <= min(max,
// backtrace_max_frames). On a goroutine it stops at the entry trampoline.
// Any thread or goroutine; takes no lock.
std::size_t unwind_here(std::uintptr_t* pcs, std::size_t max) noexcept;

// symbolize describes pcs[0..n) (return addresses, as the unwinders give
// them), in order: at least one frame per pc, more where its call site is
// inlined code and the module has DWARF (see frame). The first call loads the
// process's modules (/proc/self/maps); an address in no module reloads them
// once per call if a library was dlopen'ed since. Never uses the network
// (debuginfod): separate debug files are looked for only under
// /usr/lib/debug/.build-id. Any thread.
std::vector<frame> symbolize(const std::uintptr_t* pcs, std::size_t n);

// write_frames prints frames in the shape of Go's traceback, two lines each:
//   function
//   \tfile:line +0xoffset
// with "?" for an unknown function (or "module+0xaddress" when only the
// module is known) and "?:0" for an unknown position; the offset is
// omitted there and on inlined frames.
void write_frames(std::ostream& out, const std::vector<frame>& frames);

}  // namespace gort::internal
