// net/internal/http_stream.hpp: a gort::net::conn as a Boost.Beast
// synchronous stream (SyncReadStream and SyncWriteStream), so http::read
// and http::write park the goroutine on gort's poller (netpoll.md 5.4).
// Only net/http/*.cpp and the benchmark servers include it: Beast stays
// out of the public headers.
//
// A stream may carry a context: its reads and writes then end with the
// context's error when it is done (the client's timeout). Errors keep
// their std::error_code in the boost::system::error_code's place when
// they come back out (io_error), so a caller sees errc::timeout, not
// "operation aborted".
#pragma once

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>

#include <gort/context.hpp>
#include <gort/net.hpp>

#include <cstddef>
#include <string_view>
#include <system_error>

namespace gort::http::detail {

class stream {
 public:
  explicit stream(net::conn c, const context* ctx = nullptr) noexcept
      : c_(std::move(c)), ctx_(ctx) {}

  template <typename Buffers>
  std::size_t read_some(const Buffers& bufs, boost::system::error_code& ec) {
    for (auto it = boost::asio::buffer_sequence_begin(bufs);
         it != boost::asio::buffer_sequence_end(bufs); ++it) {
      boost::asio::mutable_buffer b = *it;
      if (b.size() == 0) continue;
      std::span<char> s(static_cast<char*>(b.data()), b.size());
      net::io_result r = ctx_ ? c_.read(*ctx_, s) : c_.read(s);
      ec = to_boost(r.err);
      return r.n;
    }
    ec = {};
    return 0;
  }
  template <typename Buffers>
  std::size_t read_some(const Buffers& bufs) {
    boost::system::error_code ec;
    std::size_t n = read_some(bufs, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

  // write_some gathers a sequence that fits in gather_ into one write (a
  // message's header and a small body: one system call, not one per
  // buffer); a larger one is written buffer by buffer.
  template <typename Buffers>
  std::size_t write_some(const Buffers& bufs, boost::system::error_code& ec) {
    if (boost::asio::buffer_size(bufs) <= sizeof gather_) {
      const std::size_t n =
          boost::asio::buffer_copy(boost::asio::buffer(gather_), bufs);
      return put(std::string_view(gather_, n), ec);
    }
    std::size_t total = 0;
    for (auto it = boost::asio::buffer_sequence_begin(bufs);
         it != boost::asio::buffer_sequence_end(bufs); ++it) {
      boost::asio::const_buffer b = *it;
      total += put(
          std::string_view(static_cast<const char*>(b.data()), b.size()), ec);
      if (ec) break;
    }
    return total;
  }
  template <typename Buffers>
  std::size_t write_some(const Buffers& bufs) {
    boost::system::error_code ec;
    std::size_t n = write_some(bufs, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

  const net::conn& conn() const noexcept { return c_; }

  // io_error is the last read or write error the stream returned, as
  // gort gave it; Beast only sees it mapped (eof to asio's eof, the rest
  // to operation_aborted, since Boost 1.74 cannot wrap a std::error_code).
  std::error_code io_error() const noexcept { return err_; }

 private:
  std::size_t put(std::string_view s, boost::system::error_code& ec) {
    net::io_result r = ctx_ ? c_.write(*ctx_, s) : c_.write(s);
    ec = to_boost(r.err);
    return r.n;
  }
  boost::system::error_code to_boost(std::error_code e) {
    if (!e) return {};
    err_ = e;
    if (e == gort::errc::eof) return boost::asio::error::eof;
    return boost::asio::error::operation_aborted;
  }

  net::conn c_;
  const context* ctx_;
  std::error_code err_;
  char gather_[2048];
};

}  // namespace gort::http::detail
