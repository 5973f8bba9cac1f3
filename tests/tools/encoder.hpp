// A test-only trace encoder: builds trace files byte by byte from the format
// header (runtime/internal/trace_format.hpp), independently of the
// runtime's writer, so the reader's tests pin the format itself. It can also
// write what a correct writer never would (raw bytes, wrong lengths), for
// the malformed-input tests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/internal/trace_format.hpp"

namespace gort_test::trace {

namespace fmt = gort::internal::tracefmt;
using bytes = std::vector<std::uint8_t>;

inline void put_u32(bytes& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i)
    out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

inline void put_u64(bytes& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i)
    out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

inline void put_var(bytes& out, std::uint64_t v) {
  std::uint8_t b[fmt::max_varint];
  std::uint8_t* end = fmt::put_varint(b, v);
  out.insert(out.end(), b, end);
}

// header writes a 32-byte header (magic, version and size may be changed).
inline bytes header(std::uint64_t start_mono, std::uint64_t start_tsc,
                    std::uint32_t version = fmt::trace_version,
                    std::uint32_t header_bytes = fmt::header_bytes) {
  bytes out(fmt::magic, fmt::magic + sizeof fmt::magic);
  put_u32(out, version);
  put_u32(out, header_bytes);
  put_u64(out, start_mono);
  put_u64(out, start_tsc);
  return out;
}

// payload_field is where a batch head's payload length is: after kind, m,
// base_tsc and base_mono.
inline constexpr std::size_t payload_field = 1 + 4 + 8 + 8;

// builder writes a trace: a header, then batches of events. Events take
// absolute tick counts; the builder writes the dts.
class builder {
 public:
  // builder starts a trace whose header pair is (start_tsc, start_mono).
  explicit builder(std::uint64_t start_mono = 0, std::uint64_t start_tsc = 0)
      : out_(header(start_mono, start_tsc)) {}

  // batch starts a batch of worker m at (base_tsc, base_mono), ending the
  // one before. base_mono defaults to base_tsc (1 tick = 1 ns, no offset).
  builder& batch(std::uint32_t m, std::uint64_t base_tsc,
                 std::uint64_t base_mono) {
    finish();
    head_ = out_.size();
    out_.push_back(static_cast<std::uint8_t>(fmt::ev::batch));
    put_u32(out_, m);
    put_u64(out_, base_tsc);
    put_u64(out_, base_mono);
    put_u32(out_, 0);  // patched by finish()
    last_tsc_ = base_tsc;
    open_ = true;
    return *this;
  }
  builder& batch(std::uint32_t m, std::uint64_t base) {
    return batch(m, base, base);
  }

  // ev appends an event of kind k at tick tsc (>= the batch's last).
  builder& ev(fmt::ev k, std::uint64_t tsc,
              const std::vector<std::uint64_t>& args = {},
              const std::vector<std::string_view>& strings = {},
              const std::vector<std::uint64_t>& list = {}) {
    const auto& in = fmt::info(k);
    if (!open_ || tsc < last_tsc_ || args.size() != in.nargs ||
        strings.size() != in.nstrings || (!in.list && list.size() != 0)) {
      throw std::logic_error("encoder: bad event");
    }
    out_.push_back(static_cast<std::uint8_t>(k));
    put_var(out_, tsc - last_tsc_);
    last_tsc_ = tsc;
    for (auto a : args) put_var(out_, a);
    for (auto s : strings) {
      put_var(out_, s.size());
      out_.insert(out_.end(), s.begin(), s.end());
    }
    if (in.list) {
      put_var(out_, list.size());
      for (auto v : list) put_var(out_, v);
    }
    return *this;
  }

  // raw appends bytes to the open batch's payload as they are.
  builder& raw(std::initializer_list<std::uint8_t> b) {
    out_.insert(out_.end(), b.begin(), b.end());
    return *this;
  }

  // size is the bytes written so far (the open batch's payload counted).
  std::size_t size() const { return out_.size(); }

  // done ends the last batch and returns the file.
  bytes done() {
    finish();
    return out_;
  }

 private:
  void finish() {
    if (!open_) return;
    auto payload =
        static_cast<std::uint32_t>(out_.size() - head_ - fmt::batch_head_bytes);
    for (int i = 0; i < 4; ++i) {
      out_[head_ + payload_field + static_cast<std::size_t>(i)] =
          static_cast<std::uint8_t>(payload >> (8 * i));
    }
    open_ = false;
  }

  bytes out_;
  std::size_t head_ = 0;
  std::uint64_t last_tsc_ = 0;
  bool open_ = false;
};

}  // namespace gort_test::trace
