// The test around serial.cpp, parallel.cpp and bounded.cpp (not in the
// post), in three modes:
//   prog               digests gort's runtime/ folder; the output must be
//                      md5sum's, run on the same tree by find | sort | xargs
//   prog DIR           digests DIR, unchecked, as the post's program does
//   prog --unreadable  digests a new tree of 100 files and a link to
//                      /proc/self/mem, which even root cannot read (page 0
//                      is unmapped: EIO); md5_all must fail with that, and
//                      the program exit 1 (the .err and .exit sidecars)
// No goroutine may be left behind: after an error, closing done is what
// stops the walk and the digesters still at work.
#pragma once

#include <gort/gort.hpp>

#include "md5_support.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

class md5_test {
 public:
  fs::path root;

  md5_test(int argc, char** argv) : before_(gort::num_goroutines()) {
    std::string arg = argc > 1 ? argv[1] : "";
    check_ = arg.empty();
    root = check_ ? fs::path(__FILE__).parent_path() / "../../runtime"
                  : fs::path(arg);
    root = root.lexically_normal();
    if (arg != "--unreadable") return;
    char dir[] = "/tmp/gort-md5-XXXXXX";
    if (::mkdtemp(dir) == nullptr) std::abort();
    root = tmp_ = dir;
    for (int i = 0; i < 100; i++)
      std::ofstream(root / std::to_string(i)) << "file " << i << "\n";
    fs::create_symlink("/proc/self/mem", root / "mem");
  }
  ~md5_test() {
    std::error_code ec;
    fs::remove_all(tmp_, ec);
  }

  int passed(const std::string& out) {  // md5_all printed out
    if (!tmp_.empty()) return fail("--unreadable: no error reported");
    if (check_ && out != md5sum()) return fail("the output is not md5sum's");
    return goroutines_gone() ? 0 : 1;
  }
  int failed(const std::string& err) {  // md5_all returned err
    std::fprintf(stderr, "%s\n", err.c_str());
    return goroutines_gone() ? 1 : 3;
  }

 private:
  static int fail(const std::string& why) {
    std::fprintf(stderr, "md5 test: %s\n", why.c_str());
    return 4;
  }
  std::string md5sum() {  // md5sum's output for root, sorted by path
    std::string cmd = "find '", out;
    for (char ch : root.string()) cmd += ch == '\'' ? "'\\''" : std::string{ch};
    cmd += "' -xtype f -print0 | LC_ALL=C sort -z | xargs -0r md5sum";
    gort::blocking([&] {
      std::FILE* p = ::popen(cmd.c_str(), "r");
      for (int ch; p != nullptr && (ch = std::fgetc(p)) != EOF;)
        out += char(ch);
      if (p == nullptr || ::pclose(p) != 0) out = "(" + cmd + " failed)";
    });
    return out;
  }
  bool goroutines_gone() {  // within 10 s
    std::size_t n = settle(before_) - before_;
    if (n > 0) std::fprintf(stderr, "md5 test: %zu goroutines left\n", n);
    return n == 0;
  }

  std::size_t before_;
  bool check_;
  fs::path tmp_;
};

// md5_main is the post's main, run by the test: calculate the MD5 sum of
// all files under the directory, then print the results sorted by path
// name, or the error.
template <class F>
int md5_main(int argc, char** argv, F md5_all) {
  return gort::run([&] {
    md5_test test(argc, argv);
    auto [m, err] = md5_all(test.root);
    if (!err.empty()) {
      return test.failed(err);
    }
    return test.passed(print_sorted(m));
  });
}
