// gort_trace_fuzz_seeds DIR: writes tools/fuzz.sh's seed corpus into DIR: a
// few valid traces, made by the tiny encoder below straight from the format
// header, and truncations of each (most of them malformed, a few cut at a
// batch boundary).
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/internal/trace_format.hpp"

namespace {

namespace fmt = gort::internal::tracefmt;
using fmt::ev;
using bytes = std::vector<std::uint8_t>;

// encoder writes a header, then batches of events at absolute ticks.
class encoder {
 public:
  encoder(std::uint64_t mono, std::uint64_t tsc) {
    out_.assign(fmt::magic, fmt::magic + sizeof fmt::magic);
    fixed(fmt::trace_version, 4);
    fixed(fmt::header_bytes, 4);
    fixed(mono, 8);
    fixed(tsc, 8);
  }

  encoder& batch(std::uint32_t m, std::uint64_t tsc, std::uint64_t mono) {
    end_batch();
    head_ = out_.size();
    out_.push_back(static_cast<std::uint8_t>(ev::batch));
    fixed(m, 4);
    fixed(tsc, 8);
    fixed(mono, 8);
    fixed(0, 4);
    last_ = tsc;
    return *this;
  }

  encoder& add(ev k, std::uint64_t tsc, std::initializer_list<std::uint64_t> a,
               std::initializer_list<std::string_view> s = {},
               std::initializer_list<std::uint64_t> list = {}) {
    out_.push_back(static_cast<std::uint8_t>(k));
    var(tsc - last_);
    last_ = tsc;
    for (auto v : a) var(v);
    for (auto v : s) {
      var(v.size());
      out_.insert(out_.end(), v.begin(), v.end());
    }
    if (fmt::info(k).list) {
      var(list.size());
      for (auto v : list) var(v);
    }
    return *this;
  }

  bytes done() {
    end_batch();
    return out_;
  }

 private:
  void fixed(std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i)
      out_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  void var(std::uint64_t v) {
    std::uint8_t b[fmt::max_varint];
    out_.insert(out_.end(), b, fmt::put_varint(b, v));
  }
  void end_batch() {
    if (head_ == 0) return;
    std::size_t n = out_.size() - head_ - fmt::batch_head_bytes;
    for (std::size_t i = 0; i < 4; ++i)
      out_[head_ + fmt::batch_head_bytes - 4 + i] =
          static_cast<std::uint8_t>(n >> (8 * i));
    head_ = 0;
  }

  bytes out_;
  std::size_t head_ = 0;
  std::uint64_t last_ = 0;
};

bytes every_kind() {
  encoder e(1000, 3000);
  e.batch(1, 3000, 1000)
      .add(ev::site, 3000, {1, 42}, {"main.cpp", "int main()"})
      .add(ev::proc_start, 3003, {0})
      .add(ev::go_create, 3006, {2, 1, 1})
      .add(ev::go_start, 3009, {2, 0})
      .add(ev::go_stop, 3012, {2})
      .add(ev::go_start, 3015, {2, 0})
      .add(ev::go_park, 3018, {2, 1})
      .add(ev::go_unpark, 3021, {2, 0})
      .add(ev::go_start, 3024, {2, 0})
      .add(ev::blocking_begin, 3027, {2, 0})
      .add(ev::blocking_end, 3030, {2})
      .add(ev::go_start, 3033, {2, 0})
      .add(ev::go_end, 3036, {2})
      .add(ev::steal, 3039, {0, 1, 2})
      .add(ev::m_spin, 3042, {0})
      .add(ev::m_park, 3045, {})
      .add(ev::m_wake, 3048, {0})
      .add(ev::timer_fire, 3051, {0, 1, 3})
      .add(ev::proc_stop, 3054, {0})
      .add(ev::procs, 3057, {4});
  e.batch(fmt::batch_m_shared, 3060, 1020)
      .add(ev::sysmon, 3060, {1, 0})
      .add(ev::sysmon, 3063, {2, 1})
      .add(ev::sched, 3066, {4, 2, 5, 1, 2, 3}, {}, {1, 0, 2, 0});
  return e.done();
}

bytes two_workers() {
  encoder e(0, 0);
  e.batch(1, 0, 0)
      .add(ev::site, 0, {7, 10}, {"a \"b\".cpp", "void f<int>(int) const"})
      .add(ev::go_create, 10, {2, 7, 1})
      .add(ev::go_create, 10, {3, 7, 1})
      .add(ev::go_start, 20, {2, 0})
      .add(ev::go_park, 120, {2, 7});
  e.batch(2, 50, 50)
      .add(ev::steal, 50, {1, 0, 1})
      .add(ev::go_start, 60, {3, 1})
      .add(ev::go_unpark, 200, {2, 3})
      .add(ev::go_end, 210, {3});
  e.batch(1, 220, 220).add(ev::go_start, 230, {2, 0}).add(ev::go_end, 300, {2});
  return e.done();
}

void write(const std::string& dir, const std::string& name, const bytes& b,
           std::size_t n) {
  std::ofstream out(dir + "/" + name, std::ios::binary);
  out.write(reinterpret_cast<const char*>(b.data()),
            static_cast<std::streamsize>(n));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: gort_trace_fuzz_seeds DIR\n");
    return 2;
  }
  std::string dir = argv[1];
  int i = 0;
  for (const bytes& b : {every_kind(), two_workers(), encoder(5, 5).done()}) {
    std::string base = "seed" + std::to_string(i++);
    write(dir, base, b, b.size());
    for (std::size_t k = 1; k < 8; ++k) {
      std::size_t n = b.size() * k / 8;
      write(dir, base + "_cut" + std::to_string(n), b, n);
    }
  }
  return 0;
}
