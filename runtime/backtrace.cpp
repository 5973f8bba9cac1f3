// Backtraces
//
// The problem. A goroutine dump (Go's SIGQUIT traceback) prints, for every
// parked goroutine, where it is: the calls on its own stack. That goroutine
// is not running on any thread, so no thread-based tool (backtrace(3),
// _Unwind_Backtrace, ptrace) can walk it; all that is left of it is its
// stack and the registers jump_fcontext saved there when it switched out.
// And a dump runs while the program is sick: whatever we unwind may be
// stale or corrupt, and the dump must not fault on it.
//
// Rejected:
//   - nongnu libunwind (unw_init_local2 on a doctored ucontext). It
//     exports _Unwind_* itself, which would interpose on libgcc's and change
//     how every C++ exception in the program is unwound.
//   - libgcc's _Unwind_Backtrace for parked goroutines: it walks only the
//     calling thread, from its live registers.
//   - Walking rbp chains by hand: release builds omit the frame pointer.
//   - Switching to the goroutine to let it unwind itself: it would have to
//     be resumed, which only its owner may do, and a dump must not disturb
//     what it reports.
//
// The approach: elfutils' libdwfl, which unwinds with DWARF CFI (.eh_frame
// or .debug_frame) from any register set through a memory-read callback.
//   1. Registers. Boost 1.74's jump_fcontext (x86_64 SysV ELF,
//      jump_x86_64_sysv_elf_gas.S; checked by disassembling it in
//      libboost_context.so.1.74.0 and .a) saves, below the return address
//      its caller pushed:
//        ctx+0x00  mxcsr (4 bytes), x87 control word (2 of 4 bytes)
//        ctx+0x08  r12    ctx+0x10  r13    ctx+0x18  r14    ctx+0x20  r15
//        ctx+0x28  rbx    ctx+0x30  rbp
//        ctx+0x38  return address (into suspend, after the call)
//      and hands out rsp = ctx as the fcontext (g->ctx). No CFI covers
//      jump_fcontext, so we present the goroutine as its caller (suspend)
//      at the moment the call returns: rip = the saved return address,
//      rsp = ctx + 0x40, and the six callee-saved registers. Those are all
//      the registers CFI needs; the caller-saved ones are dead at a call.
//   2. The first pc is given to libdwfl as return address - 1, inside the
//      call instruction. libdwfl treats the first frame as an activation
//      (no pc - 1 for its CFI lookup), so the lookup lands in suspend even
//      if the call were the function's last instruction (a noreturn call),
//      and the CFI row of the call instruction describes exactly the state
//      after the call returns.
//   3. Memory. The callback reads only 8-byte aligned words inside the
//      stack bounds it is given, and fails otherwise; libdwfl then ends the
//      walk. So a garbage ctx or a corrupt stack gives a short, wrong
//      backtrace and never a fault. The callback is not instrumented by
//      ASan or TSan: it may read ASan's redzones on a corrupt walk, and a
//      waker may write a waiter record on the parked stack meanwhile (a
//      channel's hand-off); neither is a bug of the walk.
//   4. The end. A frame's sp must lie in [lo, hi) and grow from frame to
//      frame, or the walk stops before it. That drops what lies past the
//      goroutine's entry trampoline: make_fcontext leaves the trampoline's
//      caller as a label in Boost (no CFI) whose frame would sit at the top
//      of the stack, sp == hi. It also stops loops in a corrupt stack;
//      backtrace_max_frames bounds the rest.
//   5. pcs are return addresses throughout (a frame libdwfl marks as an
//      activation, i.e. interrupted by a signal, is stored as pc + 1), so
//      symbolize always looks up pc - 1, the call site.
//
// Symbolisation uses the same libdwfl session: the process's modules from
// /proc/self/maps, each ELF's symbol table for the function (demangled with
// abi::__cxa_demangle) and its DWARF line table for file:line, inlined calls
// expanded as eu-addr2line -i does. No debuginfod: a dump must never wait
// on the network, so separate debug files come only from
// /usr/lib/debug/.build-id. A module dlopen'ed after the session was built
// is found by rebuilding it, once per call, and only when dl_iterate_phdr's
// counters say the set of libraries changed, so garbage addresses do not
// rebuild it over and over.
//
// One Dwfl is not thread-safe, and its memory callback reads the current
// request, so one mutex serialises unwind_parked and symbolize. The session
// is built on first use and kept for the life of the process.
//
// unwind_here (the calling thread's own stack) uses libgcc's
// _Unwind_Backtrace instead: the stack is live and trusted, so the bounded
// reads buy nothing, and it needs neither the lock nor the session. It is
// the unwinder C++ exceptions already rely on, so it walks whatever frames
// an exception could. On a goroutine, the same sp rule (4) drops the frame
// past the trampoline.
#include "runtime/internal/backtrace.hpp"

#include <cxxabi.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <link.h>
#include <unistd.h>
#include <unwind.h>

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <ostream>

#include "runtime/internal/g.hpp"
#include "runtime/internal/stack.hpp"

namespace gort::internal {
namespace {

// x86_64 DWARF register numbers (SysV psABI, "DWARF Register Number
// Mapping").
constexpr unsigned dw_rbx = 3;
constexpr unsigned dw_rbp = 6;
constexpr unsigned dw_rsp = 7;
constexpr unsigned dw_r12 = 12;

// jump_fcontext's saved frame, in words from ctx (see 1 above).
constexpr std::size_t fc_r12 = 1;  // r12, r13, r14, r15 follow
constexpr std::size_t fc_rbx = 5;
constexpr std::size_t fc_rbp = 6;
constexpr std::size_t fc_rip = 7;
constexpr std::size_t fc_words = 8;  // rsp after the return: ctx + 0x40

// The one thread the unwinding session pretends to have.
constexpr pid_t synthetic_tid = 1;

// unwind_request is one unwind_parked call: the bounds, the registers, and
// where the pcs go.
struct unwind_request {
  std::uintptr_t lo = 0;
  std::uintptr_t hi = 0;
  Dwarf_Word r12_r15[4] = {};
  Dwarf_Word rbx = 0;
  Dwarf_Word rbp_rsp[2] = {};  // DWARF 6 and 7 are adjacent
  Dwarf_Word pc = 0;
  std::uintptr_t* pcs = nullptr;
  std::size_t max = 0;
  std::size_t n = 0;
  std::uintptr_t last_sp = 0;
};

// read_word reads the aligned word at addr if it lies inside [lo, hi).
// Uninstrumented: see 3 above.
__attribute__((no_sanitize("address", "thread", "undefined"))) bool read_word(
    std::uintptr_t lo, std::uintptr_t hi, std::uintptr_t addr,
    std::uint64_t* out) noexcept {
  if (addr % 8 != 0 || addr < lo || addr > hi || hi - addr < 8) return false;
  *out = *reinterpret_cast<const volatile std::uint64_t*>(addr);
  return true;
}

// dl_generation is dl_iterate_phdr's count of libraries loaded and
// unloaded so far.
struct dl_generation {
  unsigned long long adds = 0;
  unsigned long long subs = 0;
  bool operator==(const dl_generation&) const = default;
};

dl_generation current_dl_generation() noexcept {
  dl_generation gen;
  dl_iterate_phdr(
      [](dl_phdr_info* info, std::size_t size, void* arg) -> int {
        if (size >=
            offsetof(dl_phdr_info, dlpi_subs) + sizeof info->dlpi_subs) {
          auto* out = static_cast<dl_generation*>(arg);
          out->adds = info->dlpi_adds;
          out->subs = info->dlpi_subs;
        }
        return 1;  // the counters are global: the first object will do
      },
      &gen);
  return gen;
}

// find_local_debuginfo is the find_debuginfo callback: a module's separate
// debug file under /usr/lib/debug/.build-id, never debuginfod.
int find_local_debuginfo(Dwfl_Module* mod, void**, const char*, Dwarf_Addr,
                         const char*, const char*, GElf_Word, char**) noexcept {
  const unsigned char* bits = nullptr;
  GElf_Addr vaddr = 0;
  const int len = dwfl_module_build_id(mod, &bits, &vaddr);
  if (len < 2 || len > 64) return -1;
  char path[64 + 2 * 64];
  int at = std::snprintf(path, sizeof path, "/usr/lib/debug/.build-id/%02x/",
                         bits[0]);
  for (int i = 1; i < len; ++i) {
    at += std::snprintf(path + at, sizeof path - at, "%02x", bits[i]);
  }
  std::snprintf(path + at, sizeof path - at, ".debug");
  return open(path, O_RDONLY | O_CLOEXEC);
}

const Dwfl_Callbacks proc_callbacks = {
    .find_elf = dwfl_linux_proc_find_elf,
    .find_debuginfo = find_local_debuginfo,
    .section_address = nullptr,
    .debuginfo_path = nullptr,
};

// session is the process's one libdwfl session.
struct session {
  std::mutex mu;
  // Protected by mu:
  Dwfl* dwfl = nullptr;
  bool attached = false;  // dwfl_attach_state succeeded: unwinding works
  bool tried = false;     // a build was attempted (it may have failed)
  dl_generation gen;      // the libraries it was built with
  unwind_request* req = nullptr;  // the unwind_parked call under way
};

session& the_session() noexcept {
  static session s;  // never destroyed: dumps may run at exit
  return s;
}

pid_t next_thread(Dwfl*, void* dwfl_arg, void** thread_argp) {
  if (*thread_argp != nullptr) return 0;
  *thread_argp = dwfl_arg;
  return synthetic_tid;
}

bool get_thread(Dwfl*, pid_t tid, void* dwfl_arg, void** thread_argp) {
  if (tid != synthetic_tid) return false;
  *thread_argp = dwfl_arg;
  return true;
}

bool memory_read(Dwfl*, Dwarf_Addr addr, Dwarf_Word* result, void* dwfl_arg) {
  const unwind_request* r = static_cast<session*>(dwfl_arg)->req;
  std::uint64_t v = 0;
  if (r == nullptr || !read_word(r->lo, r->hi, addr, &v)) return false;
  *result = v;
  return true;
}

bool set_initial_registers(Dwfl_Thread* thread, void* thread_arg) {
  const unwind_request* r = static_cast<session*>(thread_arg)->req;
  if (r == nullptr) return false;
  if (!dwfl_thread_state_registers(thread, dw_rbx, 1, &r->rbx) ||
      !dwfl_thread_state_registers(thread, dw_rbp, 2, r->rbp_rsp) ||
      !dwfl_thread_state_registers(thread, dw_r12, 4, r->r12_r15)) {
    return false;
  }
  dwfl_thread_state_register_pc(thread, r->pc);
  return true;
}

const Dwfl_Thread_Callbacks thread_callbacks = {
    .next_thread = next_thread,
    .get_thread = get_thread,
    .memory_read = memory_read,
    .set_initial_registers = set_initial_registers,
    .detach = nullptr,
    .thread_detach = nullptr,
};

// build (re)creates s's session from /proc/self/maps. s.mu held.
void build(session& s) noexcept {
  if (s.dwfl != nullptr) dwfl_end(s.dwfl);
  s.dwfl = nullptr;
  s.attached = false;
  s.tried = true;
  s.gen = current_dl_generation();
  Dwfl* d = dwfl_begin(&proc_callbacks);
  if (d == nullptr) return;
  dwfl_report_begin(d);
  const bool ok = dwfl_linux_proc_report(d, getpid()) == 0;
  if (dwfl_report_end(d, nullptr, nullptr) != 0 || !ok) {
    dwfl_end(d);
    return;
  }
  s.dwfl = d;
  s.attached = dwfl_attach_state(d, nullptr, getpid(), &thread_callbacks, &s);
}

// ensure builds s's session on first use. s.mu held.
void ensure(session& s) noexcept {
  if (!s.tried) build(s);
}

// rebuild_if_libraries_changed rebuilds s's session if a library was loaded
// or unloaded since it was built, and says whether it did. s.mu held.
bool rebuild_if_libraries_changed(session& s) noexcept {
  if (current_dl_generation() == s.gen) return false;
  build(s);
  return true;
}

// on_frame records one frame of an unwind_parked walk (see 4 and 5 above).
int on_frame(Dwfl_Frame* state, void* arg) {
  auto* r = static_cast<unwind_request*>(arg);
  Dwarf_Addr pc = 0;
  bool activation = false;
  if (!dwfl_frame_pc(state, &pc, &activation)) return DWARF_CB_ABORT;
  Dwarf_Word sp = 0;
  if (dwfl_frame_reg(state, dw_rsp, &sp) != 0) return DWARF_CB_ABORT;
  if (sp < r->lo || sp >= r->hi || (r->n > 0 && sp <= r->last_sp)) {
    return DWARF_CB_ABORT;
  }
  r->last_sp = sp;
  r->pcs[r->n++] = activation ? pc + 1 : pc;
  return r->n < r->max ? DWARF_CB_OK : DWARF_CB_ABORT;
}

// here_walk is the state of an unwind_here walk.
struct here_walk {
  std::uintptr_t* pcs;
  std::size_t max;
  std::size_t n;
  int skip;           // frames still to skip (unwind_here's own)
  std::uintptr_t hi;  // the goroutine's stack top, or 0 on a thread stack
};

_Unwind_Reason_Code on_here_frame(_Unwind_Context* ctx, void* arg) {
  auto* w = static_cast<here_walk*>(arg);
  int before_insn = 0;
  const std::uintptr_t ip = _Unwind_GetIPInfo(ctx, &before_insn);
  if (ip == 0) return _URC_END_OF_STACK;
  if (w->skip > 0) {
    --w->skip;
    return _URC_NO_REASON;
  }
  if (w->hi != 0 && _Unwind_GetCFA(ctx) >= w->hi) return _URC_END_OF_STACK;
  w->pcs[w->n++] = before_insn ? ip + 1 : ip;
  return w->n < w->max ? _URC_NO_REASON : _URC_END_OF_STACK;
}

std::string demangle(const char* name) {
  int status = 0;
  char* d = abi::__cxa_demangle(name, nullptr, nullptr, &status);
  if (status != 0 || d == nullptr) return name;
  std::string out(d);
  std::free(d);
  return out;
}

// die_name is the name of the function a DIE (an inlined call) runs: its
// demangled linkage name, else its DW_AT_name qualified by the namespaces
// and types that declare it, else "".
std::string die_name(Dwarf_Die* die) {
  Dwarf_Attribute attr;
  const char* linkage =
      dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name, &attr));
  if (linkage != nullptr) return demangle(linkage);
  // The declaration: through abstract origin and specification.
  Dwarf_Die decl = *die;
  for (int hops = 0; hops < 4; ++hops) {
    Dwarf_Die next;
    if (dwarf_formref_die(dwarf_attr(&decl, DW_AT_abstract_origin, &attr),
                          &next) == nullptr &&
        dwarf_formref_die(dwarf_attr(&decl, DW_AT_specification, &attr),
                          &next) == nullptr) {
      break;
    }
    decl = next;
  }
  const char* base = dwarf_diename(&decl);
  if (base == nullptr) return "";
  std::string name;
  Dwarf_Die* scopes = nullptr;
  const int n = dwarf_getscopes_die(&decl, &scopes);
  for (int i = n - 2; i >= 1; --i) {  // [0] is decl, [n - 1] its unit
    const int tag = dwarf_tag(&scopes[i]);
    const char* scope = dwarf_diename(&scopes[i]);
    if (tag == DW_TAG_namespace) {
      name += scope != nullptr ? scope : "(anonymous namespace)";
      name += "::";
    } else if ((tag == DW_TAG_class_type || tag == DW_TAG_structure_type ||
                tag == DW_TAG_union_type) &&
               scope != nullptr) {
      name += scope;
      name += "::";
    }
  }
  std::free(scopes);
  return name + base;
}

// module_at returns the module mapped at addr, or nullptr. dwfl_addrmodule
// alone also answers the last module for an address above every module
// (the main thread's stack), so the range is checked again.
Dwfl_Module* module_at(Dwfl* dwfl, Dwarf_Addr addr) noexcept {
  Dwfl_Module* mod = dwfl_addrmodule(dwfl, addr);
  if (mod == nullptr) return nullptr;
  Dwarf_Addr start = 0;
  Dwarf_Addr end = 0;
  dwfl_module_info(mod, nullptr, &start, &end, nullptr, nullptr, nullptr,
                   nullptr);
  return addr >= start && addr < end ? mod : nullptr;
}

// append_frames symbolises one call site (addr = pc - 1) in mod.
void append_frames(Dwfl_Module* mod, std::uintptr_t pc, Dwarf_Addr addr,
                   std::vector<frame>& out) {
  frame outer;
  outer.pc = pc;
  const char* mname = dwfl_module_info(mod, nullptr, nullptr, nullptr, nullptr,
                                       nullptr, nullptr, nullptr);
  if (mname != nullptr) outer.module = mname;
  GElf_Off off = 0;
  GElf_Sym sym;
  const char* sname =
      dwfl_module_addrinfo(mod, addr, &off, &sym, nullptr, nullptr, nullptr);
  if (sname != nullptr) {
    outer.function = demangle(sname);
    outer.offset = off + 1;
  } else {
    Dwarf_Addr bias = 0;
    if (dwfl_module_getelf(mod, &bias) != nullptr) outer.offset = pc - bias;
  }
  // The position of addr: in the innermost inlined function, if any.
  if (Dwfl_Line* line = dwfl_module_getsrc(mod, addr)) {
    int lineno = 0;
    const char* file =
        dwfl_lineinfo(line, nullptr, &lineno, nullptr, nullptr, nullptr);
    if (file != nullptr) {
      outer.file = file;
      outer.line = lineno;
    }
  }
  // Inlined calls, innermost first, as eu-addr2line -i finds them: the
  // innermost scope's chain of physical parents.
  Dwarf_Addr bias = 0;
  Dwarf_Die* cu = dwfl_module_addrdie(mod, addr, &bias);
  Dwarf_Die* scopes = nullptr;
  int nscopes = cu != nullptr ? dwarf_getscopes(cu, addr - bias, &scopes) : 0;
  Dwarf_Die innermost;
  Dwarf_Addr dwbias = 0;
  Dwarf* dw = nscopes > 0 ? dwfl_module_getdwarf(mod, &dwbias) : nullptr;
  const bool have_innermost =
      dw != nullptr &&
      dwarf_offdie(dw, dwarf_dieoffset(&scopes[0]), &innermost) != nullptr;
  std::free(scopes);
  scopes = nullptr;
  nscopes = have_innermost ? dwarf_getscopes_die(&innermost, &scopes) : 0;
  Dwarf_Files* files = nullptr;
  if (nscopes > 1 && dwarf_getsrcfiles(cu, &files, nullptr) == 0) {
    for (int i = 0; i < nscopes - 1; ++i) {
      Dwarf_Die* die = &scopes[i];
      if (dwarf_tag(die) != DW_TAG_inlined_subroutine) continue;
      frame in;
      in.pc = pc;
      in.function = die_name(die);
      in.file = outer.file;
      in.line = outer.line;
      in.module = outer.module;
      in.inlined = true;
      out.push_back(std::move(in));
      // The caller's position: this inlined call's site.
      Dwarf_Attribute attr;
      Dwarf_Word v = 0;
      const char* file = nullptr;
      if (dwarf_formudata(dwarf_attr(die, DW_AT_call_file, &attr), &v) == 0) {
        file = dwarf_filesrc(files, v, nullptr, nullptr);
      }
      outer.file = file != nullptr ? file : "";
      outer.line =
          dwarf_formudata(dwarf_attr(die, DW_AT_call_line, &attr), &v) == 0
              ? static_cast<int>(v)
              : 0;
    }
  }
  std::free(scopes);
  out.push_back(std::move(outer));
}

}  // namespace

std::size_t unwind_parked(const void* ctx, const void* lo, const void* hi,
                          std::uintptr_t* pcs, std::size_t max) noexcept {
  max = std::min(max, backtrace_max_frames);
  if (pcs == nullptr || max == 0) return 0;
  unwind_request r;
  r.lo = reinterpret_cast<std::uintptr_t>(lo);
  r.hi = reinterpret_cast<std::uintptr_t>(hi);
  r.pcs = pcs;
  r.max = max;
  const auto c = reinterpret_cast<std::uintptr_t>(ctx);
  if (c < r.lo || c > r.hi || r.hi - c < fc_words * 8) return 0;
  std::uint64_t w[fc_words];
  for (std::size_t i = 0; i < fc_words; ++i) {
    if (!read_word(r.lo, r.hi, c + 8 * i, &w[i])) return 0;
  }
  if (w[fc_rip] == 0) return 0;
  for (std::size_t i = 0; i < 4; ++i) r.r12_r15[i] = w[fc_r12 + i];
  r.rbx = w[fc_rbx];
  r.rbp_rsp[0] = w[fc_rbp];
  r.rbp_rsp[1] = c + fc_words * 8;
  r.pc = w[fc_rip] - 1;  // inside the call (see 2 above)

  session& s = the_session();
  std::lock_guard<std::mutex> lock(s.mu);
  ensure(s);
  for (bool retried = false;; retried = true) {
    if (s.dwfl == nullptr || !s.attached) return 0;
    r.n = 0;
    s.req = &r;
    const int rc = dwfl_getthread_frames(s.dwfl, synthetic_tid, on_frame, &r);
    s.req = nullptr;
    // A walk that failed may have met a library loaded since the session
    // was built: rebuild and walk again, once.
    if (rc != -1 || retried || !rebuild_if_libraries_changed(s)) break;
  }
  return r.n;
}

__attribute__((noinline)) std::size_t unwind_here(std::uintptr_t* pcs,
                                                  std::size_t max) noexcept {
  here_walk w{pcs, std::min(max, backtrace_max_frames), 0, 1, 0};
  if (pcs == nullptr || w.max == 0) return 0;
  if (worker* wk = current_worker();
      wk != nullptr && wk->curg != nullptr && wk->curg->stack != nullptr) {
    const stack_desc* st = wk->curg->stack;
    const char* sp = static_cast<const char*>(__builtin_frame_address(0));
    if (sp >= st->usable_lo() && sp < st->hi()) {
      w.hi = reinterpret_cast<std::uintptr_t>(st->hi());
    }
  }
  _Unwind_Backtrace(on_here_frame, &w);
  return w.n;
}

std::vector<frame> symbolize(const std::uintptr_t* pcs, std::size_t n) {
  std::vector<frame> out;
  out.reserve(n);
  session& s = the_session();
  std::lock_guard<std::mutex> lock(s.mu);
  ensure(s);
  bool rebuilt = false;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uintptr_t pc = pcs[i];
    Dwfl_Module* mod = nullptr;
    if (pc != 0 && s.dwfl != nullptr) {
      mod = module_at(s.dwfl, pc - 1);
      if (mod == nullptr && !rebuilt) {
        rebuilt = true;
        if (rebuild_if_libraries_changed(s) && s.dwfl != nullptr) {
          mod = module_at(s.dwfl, pc - 1);
        }
      }
    }
    if (mod == nullptr) {
      frame f;
      f.pc = pc;
      out.push_back(std::move(f));
      continue;
    }
    append_frames(mod, pc, pc - 1, out);
  }
  return out;
}

void write_frames(std::ostream& out, const std::vector<frame>& frames) {
  for (const frame& f : frames) {
    if (!f.function.empty()) {
      out << f.function;
    } else if (!f.module.empty()) {
      out << f.module << "+0x" << std::hex << f.offset << std::dec;
    } else {
      out << '?';
    }
    out << "\n\t";
    if (f.file.empty()) {
      out << "?:0\n";
      continue;
    }
    out << f.file << ':' << f.line;
    if (!f.function.empty() && !f.inlined) {
      out << " +0x" << std::hex << f.offset << std::dec;
    }
    out << '\n';
  }
}

}  // namespace gort::internal
