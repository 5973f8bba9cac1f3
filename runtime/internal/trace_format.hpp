// runtime/internal/trace_format.hpp: the execution trace's wire format, the
// one table of event kinds shared by the writer (runtime/trace.cpp) and the
// reader (tools/trace/).
//
// A trace file is a header followed by batches, to the end of the file:
//
//   header  (32 bytes, little-endian)
//     magic        8 bytes  "GORTTRC1"
//     version      u32      trace_version
//     header_bytes u32      32
//     start_mono   u64      CLOCK_MONOTONIC ns when tracing started
//     start_tsc    u64      the time-stamp counter at the same moment
//
//   batch   (one worker's run of events; 25-byte fixed head, then events)
//     kind         u8       ev::batch
//     m            u32      the worker (M) that wrote it; batch_m_shared for
//                           the shared buffer of sysmon and plain threads
//     base_tsc     u64      time-stamp counter when the batch was opened
//     base_mono    u64      CLOCK_MONOTONIC ns read right after base_tsc
//     payload      u32      bytes of events that follow (<= max_payload)
//
//   event   (inside a batch's payload)
//     kind         u8       an ev below, never ev::batch
//     dt           varint   ticks since the previous event of the batch (the
//                           first: since base_tsc)
//     args         varint x info(kind).nargs
//     strings      (varint length <= max_string, bytes) x info(kind).nstrings
//     list         if info(kind).list: varint count <= max_list, then count
//                  varints
//
// Varints are unsigned LEB128, at most 10 bytes. Ticks become nanoseconds by
// the line through the (tsc, mono) pairs of the header and of the batches
// (the reader fits it; a trace with one pair uses 1 tick = 1 ns).
//
// Events of one worker are in order within and across its batches; batches
// of different workers interleave in the file in the order they were
// flushed, so a reader sorts by time. Goroutine ids are gort::goroutine_id()
// values; 0 means "not a goroutine" (a plain thread, a timer, the runtime).
// Processor ids are P indexes; workers are M ids as in stats() and dumps.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace gort::internal::tracefmt {

inline constexpr char magic[8] = {'G', 'O', 'R', 'T', 'T', 'R', 'C', '1'};
inline constexpr std::uint32_t trace_version = 1;
inline constexpr std::size_t header_bytes = 32;
inline constexpr std::size_t batch_head_bytes = 1 + 4 + 8 + 8 + 4;
inline constexpr std::uint32_t batch_m_shared = 0xFFFFFFFFu;
inline constexpr std::uint32_t max_payload = 1u << 20;
inline constexpr std::uint32_t max_string = 4096;
inline constexpr std::uint32_t max_list = 1024;

// sysmon_action is the first argument of ev::sysmon.
enum class sysmon_action : std::uint8_t {
  retake = 1,        // took a P back from a worker stuck in blocking()
  preempt = 2,       // set a P's preempt flag: its time slice was over
  long_running = 3,  // saw a goroutine run 10 ms without parking
};

// The table: X(name, code, nargs, nstrings, list, "argument names").
// Codes are part of the format: never renumber, only append.
#define GORT_TRACE_EVENTS(X)                                                \
  X(batch, 0, 0, 0, false, "")                                              \
  /* site: a spawn site's id and where it is (strings: file, function). */  \
  X(site, 1, 2, 2, false, "site line")                                      \
  /* A worker took (start) or let go of (stop) processor proc. */           \
  X(proc_start, 2, 1, 0, false, "proc")                                     \
  X(proc_stop, 3, 1, 0, false, "proc")                                      \
  /* go(): goroutine goid created at site by goroutine parent. */           \
  X(go_create, 4, 3, 0, false, "goid site parent")                          \
  /* goid starts or resumes running on proc. */                             \
  X(go_start, 5, 2, 0, false, "goid proc")                                  \
  /* goid yielded and went back to a run queue. */                          \
  X(go_stop, 6, 1, 0, false, "goid")                                        \
  /* goid parked; reason is a gort::wait_reason. */                         \
  X(go_park, 7, 2, 0, false, "goid reason")                                 \
  /* goroutine by (0: a plain thread or a timer) readied goid. */           \
  X(go_unpark, 8, 2, 0, false, "goid by")                                   \
  X(go_end, 9, 1, 0, false, "goid")                                         \
  /* thief took count goroutines from victim's run queue. */                \
  X(steal, 10, 3, 0, false, "thief victim count")                           \
  /* The worker began looking for work to steal, holding proc. */           \
  X(m_spin, 11, 1, 0, false, "proc")                                        \
  /* The worker went to sleep (it holds no processor). */                   \
  X(m_park, 12, 0, 0, false, "")                                            \
  /* The worker woke up and holds proc. */                                  \
  X(m_wake, 13, 1, 0, false, "proc")                                        \
  /* Running on proc, the worker fired count timers of heap's processor. */ \
  X(timer_fire, 14, 3, 0, false, "proc heap count")                         \
  /* goid entered blocking() and left proc to others. */                    \
  X(blocking_begin, 15, 2, 0, false, "goid proc")                           \
  X(blocking_end, 16, 1, 0, false, "goid")                                  \
  /* Sysmon did action (sysmon_action) to proc. */                          \
  X(sysmon, 17, 2, 0, false, "action proc")                                 \
  /* A GORT_SCHEDTRACE line's numbers; the list is each P's run queue. */   \
  X(sched, 18, 6, 0, true,                                                  \
    "gomaxprocs idleprocs threads spinning idlethreads runqueue")           \
  /* maxprocs changed to n. */                                              \
  X(procs, 19, 1, 0, false, "n")                                            \
  /* A poll of the network poller (blocking: 1 if it could block) found     \
     events and made readied goroutines runnable. */                        \
  X(netpoll, 20, 3, 0, false, "blocking events readied")                    \
  /* goid is about to park on fd, waiting to read (mode 'r') or write. */   \
  X(io_wait, 21, 3, 0, false, "goid fd mode")

enum class ev : std::uint8_t {
#define GORT_TRACE_ENUM(id, code, nargs, nstrings, list, args) id = code,
  GORT_TRACE_EVENTS(GORT_TRACE_ENUM)
#undef GORT_TRACE_ENUM
      count_
};

struct ev_info {
  std::string_view name;
  std::uint8_t nargs;
  std::uint8_t nstrings;
  bool list;
  std::string_view arg_names;  // space-separated, nargs of them
};

inline constexpr ev_info ev_table[] = {
#define GORT_TRACE_INFO(id, code, nargs, nstrings, list, args) \
  {#id, nargs, nstrings, list, args},
    GORT_TRACE_EVENTS(GORT_TRACE_INFO)
#undef GORT_TRACE_INFO
};

#define GORT_TRACE_CHECK(id, code, nargs, nstrings, list, args)           \
  static_assert(static_cast<std::size_t>(ev::id) < std::size(ev_table) && \
                    ev_table[code].name == #id,                           \
                "trace event codes must be dense and in table order");
GORT_TRACE_EVENTS(GORT_TRACE_CHECK)
#undef GORT_TRACE_CHECK

// info returns the table entry of k, which must be < ev::count_.
constexpr const ev_info& info(ev k) noexcept {
  return ev_table[static_cast<std::size_t>(k)];
}

// max_varint is the longest encoding of a 64-bit varint.
inline constexpr std::size_t max_varint = 10;

// put_varint writes v at p and returns the byte after it.
inline std::uint8_t* put_varint(std::uint8_t* p, std::uint64_t v) noexcept {
  while (v >= 0x80) {
    *p++ = static_cast<std::uint8_t>(v) | 0x80;
    v >>= 7;
  }
  *p++ = static_cast<std::uint8_t>(v);
  return p;
}

}  // namespace gort::internal::tracefmt
