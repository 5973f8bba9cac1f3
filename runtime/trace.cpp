// Execution trace
//
// The problem. A trace must record every scheduling decision (millions a
// second) without changing what it records: no lock, no syscall and no
// shared cache line per event, and tracing compiled in but off must cost
// nothing measurable. It must also survive the program: a deadlock or a
// fatal error is exactly when the last events matter most.
//
// The approach (Go's v2 tracer, runtime/trace2*.go, much simplified):
//   1. Each worker (M) owns a writer with a 64 KiB chunk. An event is a kind
//      byte, a varint time delta in time-stamp-counter ticks (rdtsc: ~12 ns
//      here, against ~28 ns for clock_gettime) and varint arguments,
//      appended by the owner alone; a release store of the chunk's
//      `committed` length publishes it. Per M rather than per P, as Go's v2
//      tracer: a worker writes events while it holds no P (parking,
//      blocking(), waking), and an M never runs on two threads.
//   2. Sysmon and plain threads share one more writer under a lock
//      (g_shared_lock): they emit rarely.
//   3. A full chunk is sealed (its batch head gets the payload length) and
//      handed to the sink under g_lock, once per 64 KiB:
//        - file: a queue that a flusher thread writes out, so workers never
//          make the write(2);
//        - ring (the flight recorder): a list of the most recent chunks,
//          whose oldest is recycled when the list is over its budget.
//   4. Collectors (stop, a flight-recorder dump, a fatal error) take
//      g_lock, then read each writer's current chunk up to its committed
//      length, while the owner may go on appending past it: the bytes they
//      read are never written again in this trace (C2).
//   5. Each start advances the generation g_gen. A writer whose chunk is of
//      an older generation starts a fresh one at its next event, so a chunk
//      never mixes two traces, and an event racing with stop is dropped,
//      never misfiled.
// A dump writes the header, the chunks, the partial chunks (each as one
// writev, so that concurrent writers to one file interleave only whole
// batches) and one batch with every spawn site, and allocates nothing: it
// runs on fatal-error paths.
//
// Invariants:
//   C1. A writer's `cur` changes only under g_lock, by the writer's owner
//       (the M, or a holder of g_shared_lock for the shared writer).
//   C2. data[0, committed) of a chunk of the current generation is final.
//   C3. A chunk is in exactly one place: a writer's cur, the file queue, the
//       ring, or the free list (all under g_lock).
// Lock order: g_shared_lock (rank trace_writer) < g_lock (rank trace_sink).
#include "runtime/internal/trace.hpp"

#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>
#include <x86intrin.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include <gort/errors.hpp>
#include "runtime/internal/check.hpp"
#include "runtime/internal/futex.hpp"
#include "runtime/internal/g.hpp"
#include "runtime/internal/rt_mutex.hpp"

namespace gort::internal::trace {

std::atomic<bool> g_enabled{false};

namespace {

using namespace tracefmt;

constexpr std::size_t chunk_bytes = 64 * 1024;
constexpr std::size_t site_cache = 64;

struct chunk {
  chunk* next = nullptr;
  std::uint64_t gen = 0;  // under g_lock
  std::atomic<std::uint32_t> committed{0};
  std::uint64_t last_tsc = 0;  // owner only
  alignas(64) std::uint8_t data[chunk_bytes];
};

struct cached_site {
  const char* file = nullptr;
  const char* fn = nullptr;
  std::uint32_t line = 0;
  std::uint64_t gen = 0;
  std::uint64_t id = 0;
};

struct writer {
  explicit writer(std::uint32_t m_id) : m(m_id) {}
  std::uint32_t m;
  chunk* cur = nullptr;     // C1
  writer* next = nullptr;   // the registry, under g_lock
  bool registered = false;  // under g_lock
  cached_site sites[site_cache];
};

struct site_rec {
  const char* file;
  const char* fn;
  std::uint32_t line;
  std::uint32_t column;
  std::uint64_t id;
};

enum class sink { none, file, ring };

rt_mutex g_shared_lock{lock_rank::trace_writer};
rt_mutex g_lock{lock_rank::trace_sink};
std::mutex g_ctl;  // serialises start and stop (not a runtime lock)

std::atomic<std::uint64_t> g_gen{0};
writer g_shared{batch_m_shared};  // guarded by g_shared_lock
// Protected by g_lock:
writer* g_writers = nullptr;
sink g_sink = sink::none;
chunk* g_free = nullptr;
chunk* g_queue_head = nullptr;  // file: sealed chunks for the flusher
chunk* g_queue_tail = nullptr;
chunk* g_ring_head = nullptr;  // ring: oldest first
chunk* g_ring_tail = nullptr;
std::size_t g_ring_chunks = 0;
std::size_t g_ring_max = 0;
std::vector<site_rec> g_sites;
std::uint64_t g_start_mono = 0;
std::uint64_t g_start_tsc = 0;
int g_fd = -1;
char g_ring_path[4096] = {};
std::uint8_t g_site_buf[chunk_bytes];  // a dump's site batch

// The flusher (file sink).
std::atomic<std::uint32_t> g_flush_word{0};
std::atomic<int> g_flusher_alive{0};
bool g_flush_stop = false;  // g_lock
std::thread g_flusher;      // g_ctl

std::uint64_t tsc() noexcept { return __rdtsc(); }

void put_u32(std::uint8_t* p, std::uint32_t v) noexcept {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
void put_u64(std::uint8_t* p, std::uint64_t v) noexcept {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}

// open_batch writes a batch head for writer m at data and returns its size.
std::size_t open_batch(std::uint8_t* data, std::uint32_t m,
                       std::uint64_t* base_tsc) noexcept {
  *base_tsc = tsc();
  data[0] = static_cast<std::uint8_t>(ev::batch);
  put_u32(data + 1, m);
  put_u64(data + 5, *base_tsc);
  put_u64(data + 13, static_cast<std::uint64_t>(monotonic_ns()));
  put_u32(data + 21, 0);
  return batch_head_bytes;
}

void seal(std::uint8_t* data, std::uint32_t len) noexcept {
  put_u32(data + 21, len - static_cast<std::uint32_t>(batch_head_bytes));
}

bool write_all(int fd, const void* p, std::size_t n) noexcept {
  const auto* b = static_cast<const std::uint8_t*>(p);
  while (n > 0) {
    ssize_t w = ::write(fd, b, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    b += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

// write_partial writes data[0, len) with its head patched to say len, as
// one writev (see the essay).
bool write_partial(int fd, const std::uint8_t* data, std::uint32_t len) {
  std::uint8_t head[batch_head_bytes];
  std::memcpy(head, data, batch_head_bytes);
  seal(head, len);
  iovec iov[2] = {{head, batch_head_bytes},
                  {const_cast<std::uint8_t*>(data) + batch_head_bytes,
                   len - batch_head_bytes}};
  std::size_t want = len;
  ssize_t w;
  do {
    w = ::writev(fd, iov, 2);
  } while (w < 0 && errno == EINTR);
  if (w == static_cast<ssize_t>(want)) return true;
  if (w < 0) return false;
  // Short write (a full disk, a pipe): finish byte-wise.
  std::size_t done = static_cast<std::size_t>(w);
  if (done < batch_head_bytes &&
      !write_all(fd, head + done, batch_head_bytes - done))
    return false;
  const std::size_t body_done =
      done > batch_head_bytes ? done - batch_head_bytes : 0;
  return write_all(fd, data + batch_head_bytes + body_done,
                   len - batch_head_bytes - body_done);
}

chunk* take_free() {  // g_lock held
  chunk* c = g_free;
  if (c != nullptr) {
    g_free = c->next;
    c->next = nullptr;
    return c;
  }
  return new chunk;
}

void give_free(chunk* c) noexcept {  // g_lock held
  c->next = g_free;
  g_free = c;
}

void append(chunk*& head, chunk*& tail, chunk* c) noexcept {
  c->next = nullptr;
  if (tail != nullptr)
    tail->next = c;
  else
    head = c;
  tail = c;
}

// hand_off passes a sealed chunk to the sink (g_lock held). Returns whether
// the flusher must be woken.
bool hand_off(chunk* c) noexcept {
  if (g_sink == sink::file) {
    append(g_queue_head, g_queue_tail, c);
    return true;
  }
  if (g_sink == sink::ring) {
    append(g_ring_head, g_ring_tail, c);
    if (++g_ring_chunks > g_ring_max) {
      chunk* old = g_ring_head;
      g_ring_head = old->next;
      if (g_ring_head == nullptr) g_ring_tail = nullptr;
      --g_ring_chunks;
      give_free(old);
    }
    return false;
  }
  give_free(c);
  return false;
}

void wake_flusher() noexcept {
  g_flush_word.fetch_add(1, std::memory_order_release);
  futex_wake(&g_flush_word, 1);
}

// open_chunk gives wr a fresh chunk of generation gen, sealing and handing
// off the full one (C1). Returns nullptr if tracing stopped meanwhile.
chunk* open_chunk(writer* wr, std::uint64_t gen) noexcept {
  bool wake = false;
  chunk* c;
  {
    std::lock_guard<rt_mutex> lk(g_lock);
    if (g_sink == sink::none || gen != g_gen.load(std::memory_order_relaxed))
      return nullptr;
    chunk* old = wr->cur;
    wr->cur = nullptr;
    if (old != nullptr) {
      const std::uint32_t len = old->committed.load(std::memory_order_relaxed);
      if (old->gen == gen && len > batch_head_bytes) {
        seal(old->data, len);
        wake = hand_off(old);
      } else {
        give_free(old);
      }
    }
    c = take_free();
    c->gen = gen;
    c->committed.store(
        static_cast<std::uint32_t>(open_batch(c->data, wr->m, &c->last_tsc)),
        std::memory_order_release);
    if (wr != &g_shared && !wr->registered) {
      // First chunk of this writer: register it for the collectors.
      wr->registered = true;
      wr->next = g_writers;
      g_writers = wr;
    }
    wr->cur = c;
  }
  if (wake) wake_flusher();
  return c;
}

// write_event appends one event to wr (its owner, or under g_shared_lock).
void write_event(writer* wr, ev k, const std::uint64_t* args, std::size_t n,
                 const std::string_view* strs, std::size_t nstrs,
                 const std::uint64_t* list, std::size_t nlist) noexcept {
  std::size_t need = 1 + max_varint * (1 + n);
  for (std::size_t i = 0; i < nstrs; ++i)
    need += max_varint + std::min<std::size_t>(strs[i].size(), max_string);
  if (info(k).list) need += max_varint * (1 + nlist);
  if (need + batch_head_bytes > chunk_bytes) return;
  const std::uint64_t gen = g_gen.load(std::memory_order_acquire);
  chunk* c = wr->cur;
  if (c == nullptr || c->gen != gen ||
      c->committed.load(std::memory_order_relaxed) + need > chunk_bytes) {
    c = open_chunk(wr, gen);
    if (c == nullptr) return;
  }
  const std::uint64_t now = tsc();
  std::uint8_t* p = c->data + c->committed.load(std::memory_order_relaxed);
  *p++ = static_cast<std::uint8_t>(k);
  p = put_varint(p, now > c->last_tsc ? now - c->last_tsc : 0);
  if (now > c->last_tsc) c->last_tsc = now;
  for (std::size_t i = 0; i < n; ++i) p = put_varint(p, args[i]);
  for (std::size_t i = 0; i < nstrs; ++i) {
    const std::size_t len = std::min<std::size_t>(strs[i].size(), max_string);
    p = put_varint(p, len);
    std::memcpy(p, strs[i].data(), len);
    p += len;
  }
  if (info(k).list) {
    p = put_varint(p, nlist);
    for (std::size_t i = 0; i < nlist; ++i) p = put_varint(p, list[i]);
  }
  c->committed.store(static_cast<std::uint32_t>(p - c->data),
                     std::memory_order_release);
}

// The calling thread's writer; the shared one comes locked.
writer* acquire_writer() noexcept {
  worker* w = current_worker();
  if (w != nullptr) {
    if (w->trace == nullptr)
      w->trace = new writer(static_cast<std::uint32_t>(w->id));
    return static_cast<writer*>(w->trace);
  }
  g_shared_lock.lock();
  return &g_shared;
}

void release_writer(writer* wr) noexcept {
  if (wr == &g_shared) g_shared_lock.unlock();
}

// encode_sites writes one batch with a site event for every known site
// into g_site_buf (g_lock held) and returns its length; sites that do not
// fit are left out.
std::uint32_t encode_sites() noexcept {
  std::uint64_t base;
  std::size_t len = open_batch(g_site_buf, batch_m_shared, &base);
  for (const site_rec& s : g_sites) {
    const std::string_view file(s.file), fn(s.fn);
    const std::size_t need = 1 + 3 * max_varint + 2 * max_varint +
                             std::min<std::size_t>(file.size(), max_string) +
                             std::min<std::size_t>(fn.size(), max_string);
    if (len + need > chunk_bytes) break;
    std::uint8_t* p = g_site_buf + len;
    *p++ = static_cast<std::uint8_t>(ev::site);
    p = put_varint(p, 0);
    p = put_varint(p, s.id);
    p = put_varint(p, s.line);
    for (std::string_view str : {file, fn}) {
      const std::size_t n = std::min<std::size_t>(str.size(), max_string);
      p = put_varint(p, n);
      std::memcpy(p, str.data(), n);
      p += n;
    }
    len = static_cast<std::size_t>(p - g_site_buf);
  }
  seal(g_site_buf, static_cast<std::uint32_t>(len));
  return static_cast<std::uint32_t>(len);
}

bool write_header(int fd) noexcept {
  std::uint8_t h[header_bytes];
  std::memcpy(h, magic, sizeof magic);
  put_u32(h + 8, trace_version);
  put_u32(h + 12, static_cast<std::uint32_t>(header_bytes));
  put_u64(h + 16, g_start_mono);
  put_u64(h + 24, g_start_tsc);
  return write_all(fd, h, sizeof h);
}

// write_partials writes every writer's current chunk of this generation
// (g_lock held).
bool write_partials(int fd) noexcept {
  const std::uint64_t gen = g_gen.load(std::memory_order_relaxed);
  bool ok = true;
  for (writer* wr = g_writers;; wr = wr->next) {
    if (wr == nullptr) wr = &g_shared;
    chunk* c = wr->cur;
    if (c != nullptr && c->gen == gen) {
      const std::uint32_t len = c->committed.load(std::memory_order_acquire);
      if (len > batch_head_bytes) ok = write_partial(fd, c->data, len) && ok;
    }
    if (wr == &g_shared) break;
  }
  return ok;
}

bool write_list(int fd, const chunk* c) noexcept {
  bool ok = true;
  for (; c != nullptr; c = c->next)
    ok = write_all(fd, c->data, c->committed.load(std::memory_order_relaxed)) &&
         ok;
  return ok;
}

void flusher_main() {
  for (;;) {
    const std::uint32_t word = g_flush_word.load(std::memory_order_acquire);
    chunk* list;
    bool stop;
    {
      std::lock_guard<rt_mutex> lk(g_lock);
      list = g_queue_head;
      g_queue_head = g_queue_tail = nullptr;
      stop = g_flush_stop;
    }
    if (list != nullptr) {
      write_list(g_fd, list);
      std::lock_guard<rt_mutex> lk(g_lock);
      while (list != nullptr) {
        chunk* next = list->next;
        give_free(list);
        list = next;
      }
      continue;
    }
    if (stop) return;
    futex_wait(&g_flush_word, word);
  }
}

// begin switches the sink on (g_ctl held, g_sink none).
void begin(sink how) noexcept {
  {
    std::lock_guard<rt_mutex> lk(g_lock);
    g_start_tsc = tsc();
    g_start_mono = static_cast<std::uint64_t>(monotonic_ns());
    g_sink = how;
    g_gen.fetch_add(1, std::memory_order_acq_rel);
  }
  g_enabled.store(true, std::memory_order_release);
}

void ring_clear() noexcept {  // g_lock held
  while (g_ring_head != nullptr) {
    chunk* c = g_ring_head;
    g_ring_head = c->next;
    give_free(c);
  }
  g_ring_tail = nullptr;
  g_ring_chunks = 0;
}

bool write_ring_locked(const char* path) noexcept {  // g_lock held
  const int fd = ::open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  bool ok =
      write_header(fd) && write_list(fd, g_ring_head) && write_partials(fd);
  const std::uint32_t n = encode_sites();
  ok = write_all(fd, g_site_buf, n) && ok;
  const int saved = errno;
  ::close(fd);
  errno = saved;
  return ok;
}

// report_ring says on stderr where the flight recorder went (g_lock held).
void report_ring(bool ok) noexcept {
  out_buffer out(2);
  out << "gort: flight recorder "
      << (ok ? "written to " : "could not be written to ")
      << static_cast<const char*>(g_ring_path) << "\n";
}

}  // namespace

void emit_n(ev k, const std::uint64_t* args, std::size_t n,
            const std::uint64_t* list, std::size_t nlist) noexcept {
  writer* wr = acquire_writer();
  write_event(wr, k, args, n, nullptr, 0, list,
              std::min<std::size_t>(nlist, max_list));
  release_writer(wr);
}

std::uint64_t site_id(const std::source_location& s) noexcept {
  writer* wr = acquire_writer();
  const std::uint64_t gen = g_gen.load(std::memory_order_acquire);
  const auto h = (reinterpret_cast<std::uintptr_t>(s.function_name()) >> 3) ^
                 (std::uintptr_t{s.line()} * 0x9E3779B1u);
  cached_site& e = wr->sites[h % site_cache];
  if (e.gen == gen && e.fn == s.function_name() && e.file == s.file_name() &&
      e.line == s.line()) {
    release_writer(wr);
    return e.id;
  }
  std::uint64_t id = 0;
  {
    std::lock_guard<rt_mutex> lk(g_lock);
    for (const site_rec& r : g_sites) {
      if (r.fn == s.function_name() && r.file == s.file_name() &&
          r.line == s.line() && r.column == s.column()) {
        id = r.id;
        break;
      }
    }
    if (id == 0) {
      id = g_sites.size() + 1;
      g_sites.push_back(
          {s.file_name(), s.function_name(), s.line(), s.column(), id});
    }
  }
  e = {s.file_name(), s.function_name(), s.line(), gen, id};
  const std::uint64_t args[2] = {id, s.line()};
  const std::string_view strs[2] = {s.file_name(), s.function_name()};
  write_event(wr, ev::site, args, 2, strs, 2, nullptr, 0);
  release_writer(wr);
  return id;
}

void start_file(const char* path) {
  std::lock_guard<std::mutex> ctl(g_ctl);
  {
    std::lock_guard<rt_mutex> lk(g_lock);
    if (g_sink != sink::none)
      throw usage_error(
          "trace_start: a trace or the flight recorder is already on");
  }
  const int fd = ::open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    throw std::system_error(errno, std::generic_category(),
                            std::string("trace_start: cannot create ") + path);
  {
    std::lock_guard<rt_mutex> lk(g_lock);
    g_fd = fd;
    g_flush_stop = false;
  }
  begin(sink::file);
  {
    std::lock_guard<rt_mutex> lk(g_lock);
    write_header(fd);
  }
  g_flusher_alive.store(1, std::memory_order_release);
  g_flusher = std::thread([] {
    pthread_setname_np(pthread_self(), "gort-trace");
    flusher_main();
  });
}

void start_ring(std::size_t bytes, const char* dump_path) {
  std::lock_guard<std::mutex> ctl(g_ctl);
  {
    std::lock_guard<rt_mutex> lk(g_lock);
    if (g_sink != sink::none)
      throw usage_error(
          "flight recorder: a trace or the flight recorder is already on");
    g_ring_max = std::max<std::size_t>(2, bytes / chunk_bytes);
    std::snprintf(g_ring_path, sizeof g_ring_path, "%s", dump_path);
  }
  begin(sink::ring);
}

void stop() {
  std::lock_guard<std::mutex> ctl(g_ctl);
  sink was;
  {
    std::lock_guard<rt_mutex> lk(g_lock);
    was = g_sink;
  }
  if (was == sink::none) return;
  g_enabled.store(false, std::memory_order_release);
  if (was == sink::file) {
    {
      std::lock_guard<rt_mutex> lk(g_lock);
      g_flush_stop = true;
    }
    wake_flusher();
    g_flusher.join();
    g_flusher_alive.store(0, std::memory_order_release);
  }
  std::lock_guard<rt_mutex> lk(g_lock);
  if (was == sink::file) {
    write_list(g_fd, g_queue_head);
    while (g_queue_head != nullptr) {
      chunk* c = g_queue_head;
      g_queue_head = c->next;
      give_free(c);
    }
    g_queue_tail = nullptr;
    write_partials(g_fd);
    write_all(g_fd, g_site_buf, encode_sites());
    ::close(g_fd);
    g_fd = -1;
  } else {
    ring_clear();
  }
  g_sink = sink::none;
  g_gen.fetch_add(1, std::memory_order_acq_rel);  // writers drop their chunks
}

int helper_threads() noexcept {
  return g_flusher_alive.load(std::memory_order_acquire);
}

bool write_ring(const char* path) noexcept {
  std::lock_guard<rt_mutex> lk(g_lock);
  if (g_sink != sink::ring) {
    errno = EINVAL;
    return false;
  }
  return write_ring_locked(path);
}

bool write_ring_default() noexcept {
  std::lock_guard<rt_mutex> lk(g_lock);
  if (g_sink != sink::ring) return false;
  const bool ok = write_ring_locked(g_ring_path);
  report_ring(ok);
  return ok;
}

void on_fatal() noexcept {
  if (!g_lock.try_lock()) return;
  if (g_sink == sink::file && g_fd >= 0) {
    write_list(g_fd, g_queue_head);
    write_partials(g_fd);
    write_all(g_fd, g_site_buf, encode_sites());
  } else if (g_sink == sink::ring) {
    report_ring(write_ring_locked(g_ring_path));
  }
  g_lock.unlock();
}

}  // namespace gort::internal::trace
