// net/io.cpp: gort::io (gort/io.hpp): copy, read_full, the multi-writer
// and the synchronous pipe.
//
// The pipe is Go's io.Pipe on a mutex and a cond instead of channels: the
// writer publishes a view of its buffer (P1) and waits until readers have
// consumed it or an end closed; a reader copies from the view and wakes
// the writer when it is used up.
//
// Invariants, under pipe_state::mu:
//   P1. pending is non-empty only while its writer waits in write(), so
//       the view it holds is alive; close of either end empties it.
//   P2. wmu (held for a whole write) makes writes whole: a second writer
//       cannot interleave its bytes with the first's.
//   P3. rclosed and wclosed never go back to false; the error of the first
//       close of each end is kept.
#include <gort/io.hpp>

#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>

#include <gort/cond.hpp>
#include <gort/mutex.hpp>

namespace gort::io {

io_result copy(writer& dst, reader& src) {
  constexpr std::size_t chunk = 32 * 1024;  // off the goroutine's stack
  auto buf = std::make_unique<char[]>(chunk);
  io_result total;
  for (;;) {
    io_result r = src.read(std::span<char>(buf.get(), chunk));
    if (r.n > 0) {
      io_result w = dst.write(std::string_view(buf.get(), r.n));
      total.n += w.n;
      if (w.err) return {total.n, w.err};
      if (w.n != r.n) return {total.n, make_error_code(std::errc::io_error)};
    }
    if (r.err == errc::eof) return total;
    if (r.err) return {total.n, r.err};
  }
}

io_result read_full(reader& src, std::span<char> buf) {
  std::size_t n = 0;
  while (n < buf.size()) {
    io_result r = src.read(buf.subspan(n));
    n += r.n;
    if (r.err == errc::eof && n > 0 && n < buf.size())
      return {n, errc::unexpected_eof};
    if (r.err) return {n, n == buf.size() ? std::error_code() : r.err};
  }
  return {n, {}};
}

io_result string_reader::read(std::span<char> buf) {
  if (buf.empty()) return {};
  if (off_ == s_.size()) return {0, errc::eof};
  const std::size_t n = std::min(buf.size(), s_.size() - off_);
  std::memcpy(buf.data(), s_.data() + off_, n);
  off_ += n;
  return {n, {}};
}

io_result multi_writer::write(std::string_view buf) {
  for (const auto& w : ws_) {
    io_result r = w->write(buf);
    if (r.err) return r;
    if (r.n != buf.size()) return {r.n, make_error_code(std::errc::io_error)};
  }
  return {buf.size(), {}};
}

namespace detail {

struct pipe_state {
  gort::mutex wmu;  // P2
  gort::mutex mu;
  gort::cond changed;        // pending, rclosed or wclosed changed
  std::string_view pending;  // P1
  std::size_t taken = 0;     // bytes of the current write readers took
  bool rclosed = false;      // P3
  bool wclosed = false;
  std::error_code rerr;  // what reads return once wclosed
  std::error_code werr;  // what writes return once rclosed
};

}  // namespace detail

io_result pipe_reader::read(std::span<char> buf) {
  detail::pipe_state& s = *s_;
  std::unique_lock lk(s.mu);
  for (;;) {
    if (s.rclosed) return {0, errc::closed};
    if (!s.pending.empty()) break;
    if (s.wclosed) return {0, s.rerr};
    if (buf.empty()) return {};
    s.changed.wait(lk);
  }
  if (buf.empty()) return {};
  const std::size_t n = std::min(buf.size(), s.pending.size());
  std::memcpy(buf.data(), s.pending.data(), n);
  s.pending.remove_prefix(n);
  s.taken += n;
  if (s.pending.empty()) s.changed.broadcast();  // the writer is done
  return {n, {}};
}

std::error_code pipe_reader::close_with_error(std::error_code err) {
  detail::pipe_state& s = *s_;
  std::lock_guard g(s.mu);
  if (!s.rclosed) {
    s.rclosed = true;
    s.werr = err ? err : make_error_code(errc::closed);
    s.pending = {};
    s.changed.broadcast();
  }
  return {};
}

std::error_code pipe_reader::close() { return close_with_error({}); }
pipe_reader::~pipe_reader() { close(); }

io_result pipe_writer::write(std::string_view buf) {
  detail::pipe_state& s = *s_;
  std::lock_guard whole(s.wmu);
  std::unique_lock lk(s.mu);
  if (s.wclosed) return {0, errc::closed};
  if (s.rclosed) return {0, s.werr};
  if (buf.empty()) return {};
  s.pending = buf;
  s.taken = 0;
  s.changed.broadcast();
  while (!s.pending.empty() && !s.rclosed && !s.wclosed) s.changed.wait(lk);
  const std::size_t n = s.taken;  // a close empties pending (P1)
  s.pending = {};
  if (n == buf.size()) return {n, {}};
  return {n, s.rclosed ? s.werr : make_error_code(errc::closed)};
}

std::error_code pipe_writer::close_with_error(std::error_code err) {
  detail::pipe_state& s = *s_;
  std::lock_guard g(s.mu);
  if (!s.wclosed) {
    s.wclosed = true;
    s.rerr = err ? err : make_error_code(errc::eof);
    s.pending = {};
    s.changed.broadcast();
  }
  return {};
}

std::error_code pipe_writer::close() { return close_with_error({}); }
pipe_writer::~pipe_writer() { close(); }

pipe_ends pipe() {
  auto s = std::make_shared<detail::pipe_state>();
  return {std::make_shared<pipe_reader>(s), std::make_shared<pipe_writer>(s)};
}

}  // namespace gort::io
