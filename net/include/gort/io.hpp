// gort/io.hpp: Go's io interfaces and the pieces of package io that
// networked programs pass streams through: reader, writer, closer, copy,
// an in-memory synchronous pipe, a multi-writer, and a net::conn as a
// stream.
//
//   auto [pr, pw] = gort::io::pipe();
//   gort::go([pw] { pw->write("hello"); pw->close(); });
//   std::string out;
//   gort::io::string_writer sw(out);
//   gort::io::copy(sw, *pr);  // out == "hello"
//
// The interfaces are abstract classes, as Go's are interfaces: a program
// writes one function over a connection, a WebSocket (gort/http.hpp), a
// pipe or its own type. Results are io_result {n, err}: n bytes moved,
// then err; end of stream is {0, errc::eof}. Nothing here throws for an
// I/O failure; misuse (a nil conn) throws usage_error as in gort::net.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <gort/net.hpp>

namespace gort::io {

using net::io_result;

// reader is Go's io.Reader: read fills up to buf.size() bytes and returns
// as soon as some are there; at end of stream it returns {0, errc::eof}.
// An empty buf returns {0, {}}.
class reader {
 public:
  virtual ~reader() = default;
  virtual io_result read(std::span<char> buf) = 0;
};

// writer is Go's io.Writer: write moves all of buf, or returns the count
// moved with the error that stopped it.
class writer {
 public:
  virtual ~writer() = default;
  virtual io_result write(std::string_view buf) = 0;
};

// closer is Go's io.Closer. A second close may return errc::closed.
class closer {
 public:
  virtual ~closer() = default;
  virtual std::error_code close() = 0;
};

// read_writer and read_write_closer are Go's io.ReadWriter and
// io.ReadWriteCloser.
class read_writer : public reader, public writer {};
class read_write_closer : public reader, public writer, public closer {};

// copy is Go's io.Copy: it moves src to dst until end of stream through a
// 32 KiB heap buffer. err is empty on a clean end, else the first read or
// write error; n counts the bytes written.
io_result copy(writer& dst, reader& src);

// read_full is Go's io.ReadFull: it reads exactly buf.size() bytes;
// errc::eof if none came before the end, errc::unexpected_eof if some did.
io_result read_full(reader& src, std::span<char> buf);

// conn_stream is a net::conn as a read_write_closer. It shares the
// connection (conn is a handle): closing either closes both.
class conn_stream final : public read_write_closer {
 public:
  explicit conn_stream(net::conn c) noexcept : c_(std::move(c)) {}
  io_result read(std::span<char> buf) override { return c_.read(buf); }
  io_result write(std::string_view buf) override { return c_.write(buf); }
  std::error_code close() override { return c_.close(); }
  const net::conn& conn() const noexcept { return c_; }

 private:
  net::conn c_;
};

// string_writer appends what is written to a string it borrows.
class string_writer final : public writer {
 public:
  explicit string_writer(std::string& out) noexcept : out_(&out) {}
  io_result write(std::string_view buf) override {
    out_->append(buf);
    return {buf.size(), {}};
  }

 private:
  std::string* out_;
};

// string_reader reads a string it owns, then returns end of stream.
class string_reader final : public reader {
 public:
  explicit string_reader(std::string s) noexcept : s_(std::move(s)) {}
  io_result read(std::span<char> buf) override;

 private:
  std::string s_;
  std::size_t off_ = 0;
};

// multi_writer is Go's io.MultiWriter: each write goes to every writer in
// turn; the first error stops it and is returned with that writer's count
// (a writer that moved fewer bytes without an error gets
// std::errc::io_error, Go's ErrShortWrite).
class multi_writer final : public writer {
 public:
  explicit multi_writer(std::vector<std::shared_ptr<writer>> ws) noexcept
      : ws_(std::move(ws)) {}
  io_result write(std::string_view buf) override;

 private:
  std::vector<std::shared_ptr<writer>> ws_;
};

// pipe is Go's io.Pipe: a synchronous in-memory pipe. A write waits until
// readers have taken all of it (each read takes what fits in its buffer,
// from one write); there is no internal buffer. Reads and writes may come
// from many goroutines: writes are served one whole write at a time, and
// reads one at a time. All waits park the goroutine.
//
// Closing the writer makes reads return errc::eof (or the error given to
// close_with_error) once the write in progress, if any, has been cut
// short. Closing the reader makes writes (the one waiting included)
// return errc::closed (Go's io.ErrClosedPipe), or the error given to
// close_with_error. Destroying an end closes it.
namespace detail {
struct pipe_state;
}

class pipe_reader final : public reader, public closer {
 public:
  explicit pipe_reader(std::shared_ptr<detail::pipe_state> s) noexcept
      : s_(std::move(s)) {}
  ~pipe_reader() override;  // closes this end
  io_result read(std::span<char> buf) override;
  std::error_code close() override;
  // close_with_error makes later writes fail with err (errc::closed if
  // err is empty). It returns empty; the first close wins.
  std::error_code close_with_error(std::error_code err);

 private:
  std::shared_ptr<detail::pipe_state> s_;
};

class pipe_writer final : public writer, public closer {
 public:
  explicit pipe_writer(std::shared_ptr<detail::pipe_state> s) noexcept
      : s_(std::move(s)) {}
  ~pipe_writer() override;  // closes this end
  io_result write(std::string_view buf) override;
  std::error_code close() override;
  // close_with_error makes later reads fail with err (errc::eof if err is
  // empty). The first close wins.
  std::error_code close_with_error(std::error_code err);

 private:
  std::shared_ptr<detail::pipe_state> s_;
};

struct pipe_ends {
  std::shared_ptr<pipe_reader> reader;
  std::shared_ptr<pipe_writer> writer;
};

// pipe returns the two ends of a new pipe: `auto [r, w] = io::pipe();`.
pipe_ends pipe();

}  // namespace gort::io
