// tests/support/capture_stderr.hpp: collect what a program writes to file
// descriptor 2, for tests that check the runtime's one-line warnings.
//
// Meant for death-test children (a fresh process): it redirects fd 2 itself,
// so it also sees what the runtime writes with write(2) from any thread.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace gort_test {

// stderr_capture sends fd 2 to a temporary file from construction until
// stop(), which restores fd 2 and returns what was written. Not
// thread-safe; use it before other threads write on purpose.
class stderr_capture {
 public:
  stderr_capture() {
    std::fflush(stderr);
    saved_ = ::dup(2);
    file_ = std::tmpfile();
    if (file_ != nullptr) ::dup2(::fileno(file_), 2);
  }
  stderr_capture(const stderr_capture&) = delete;
  stderr_capture& operator=(const stderr_capture&) = delete;
  ~stderr_capture() {
    if (saved_ >= 0) stop();
  }

  // peek returns what was written so far, leaving the capture on.
  std::string peek() {
    std::string text;
    std::fflush(stderr);
    if (file_ == nullptr) return text;
    const int fd = ::fileno(file_);
    char buf[4096];
    off_t at = 0;
    ssize_t n = 0;
    while ((n = ::pread(fd, buf, sizeof buf, at)) > 0) {
      text.append(buf, static_cast<std::size_t>(n));
      at += n;
    }
    return text;
  }

  std::string stop() {
    std::string text;
    std::fflush(stderr);
    if (saved_ < 0) return text;
    ::dup2(saved_, 2);
    ::close(saved_);
    saved_ = -1;
    if (file_ == nullptr) return text;
    std::rewind(file_);
    char buf[4096];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, file_)) > 0) text.append(buf, n);
    std::fclose(file_);
    file_ = nullptr;
    return text;
  }

 private:
  int saved_ = -1;
  std::FILE* file_ = nullptr;
};

// lines_containing returns the lines of text that contain needle.
inline std::vector<std::string> lines_containing(std::string_view text,
                                                 std::string_view needle) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    if (line.find(needle) != std::string_view::npos) out.emplace_back(line);
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return out;
}

}  // namespace gort_test
