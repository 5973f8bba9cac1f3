// tests/bench/net/beast_stream.hpp: a gort::net::conn as a Boost.Beast
// synchronous stream (SyncReadStream and SyncWriteStream), so http::read
// and http::write park the goroutine on gort's poller (netpoll.md 5.4).
#pragma once

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>

#include <gort/net.hpp>

namespace gort_bench {

class beast_stream {
 public:
  explicit beast_stream(gort::net::conn c) : c_(std::move(c)) {}

  template <typename Buffers>
  std::size_t read_some(const Buffers& bufs, boost::system::error_code& ec) {
    for (auto it = boost::asio::buffer_sequence_begin(bufs);
         it != boost::asio::buffer_sequence_end(bufs); ++it) {
      boost::asio::mutable_buffer b = *it;
      if (b.size() == 0) continue;
      auto r = c_.read(std::span<char>(static_cast<char*>(b.data()), b.size()));
      ec = convert(r.err);
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
  // response's header and body: one system call, not one per buffer);
  // a larger one is written buffer by buffer.
  template <typename Buffers>
  std::size_t write_some(const Buffers& bufs, boost::system::error_code& ec) {
    const std::size_t size = boost::asio::buffer_size(bufs);
    if (size <= sizeof gather_) {
      const std::size_t n =
          boost::asio::buffer_copy(boost::asio::buffer(gather_), bufs);
      auto r = c_.write(std::string_view(gather_, n));
      ec = convert(r.err);
      return r.n;
    }
    std::size_t total = 0;
    for (auto it = boost::asio::buffer_sequence_begin(bufs);
         it != boost::asio::buffer_sequence_end(bufs); ++it) {
      boost::asio::const_buffer b = *it;
      auto r = c_.write(
          std::string_view(static_cast<const char*>(b.data()), b.size()));
      total += r.n;
      if ((ec = convert(r.err))) return total;
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

  const gort::net::conn& conn() const noexcept { return c_; }

 private:
  // convert maps end of stream to asio's eof (what Beast expects); other
  // errors keep their value and message.
  static boost::system::error_code convert(std::error_code e) {
    if (!e) return {};
    if (e == gort::errc::eof) return boost::asio::error::eof;
    if (e.category() == std::system_category())
      return {e.value(), boost::system::system_category()};
    return boost::asio::error::operation_aborted;
  }
  gort::net::conn c_;
  char gather_[1024];  // the stream lives on the heap (http_server.cpp)
};

}  // namespace gort_bench
