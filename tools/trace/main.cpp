// gort-trace: reads gort's execution trace (runtime/internal/
// trace_format.hpp) and prints it for people and tools.
//
//   gort-trace summary FILE            utilisation, latency, waits, sites
//   gort-trace chrome FILE [-o OUT]    Chrome trace-event JSON (Perfetto)
//   gort-trace schedtrace FILE         the sched events as Go's SCHED lines
//
// Exit status: 0 done; 1 the trace is malformed ("gort-trace: FILE: byte N:
// ..."); 2 a usage error, or a file that cannot be read or written.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <fstream>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "chrome.hpp"
#include "reader.hpp"
#include "schedtrace.hpp"
#include "summary.hpp"

namespace {

constexpr int exit_malformed = 1;
constexpr int exit_usage = 2;

constexpr const char* usage_text =
    "usage: gort-trace summary FILE\n"
    "       gort-trace chrome FILE [-o OUT]\n"
    "       gort-trace schedtrace FILE\n";

int usage(const std::string& why) {
  std::cerr << "gort-trace: " << why << '\n' << usage_text;
  return exit_usage;
}

// read_file reads all of path into bytes; on failure returns false with
// errno's text in error.
bool read_file(const std::string& path, std::vector<std::uint8_t>& bytes,
               std::string& error) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    error = std::strerror(errno);
    return false;
  }
  std::uint8_t buf[1 << 16];
  for (;;) {
    std::size_t n = std::fread(buf, 1, sizeof buf, f);
    bytes.insert(bytes.end(), buf, buf + n);
    if (n < sizeof buf) break;
  }
  bool ok = !std::ferror(f);
  if (!ok) error = std::strerror(errno);
  std::fclose(f);
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);  // only iostreams write to stdout
  std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  if (args.empty()) return usage("no command");
  const std::string cmd = args[0];
  if (cmd == "-h" || cmd == "--help" || cmd == "help") {
    std::cout << usage_text;
    return 0;
  }
  if (cmd != "summary" && cmd != "chrome" && cmd != "schedtrace")
    return usage(gort_trace::cat("unknown command \"", cmd, "\""));

  std::string file, out_path;
  bool have_file = false, have_out = false;
  for (std::size_t i = 1; i < args.size(); ++i) {
    if (cmd == "chrome" && args[i] == "-o") {
      if (have_out || i + 1 == args.size())
        return usage("chrome: -o takes one OUT");
      out_path = args[++i];
      have_out = true;
    } else if (args[i].size() > 1 && args[i][0] == '-') {
      return usage(gort_trace::cat(cmd, ": unknown option ", args[i]));
    } else if (have_file) {
      return usage(gort_trace::cat(cmd, ": one FILE only"));
    } else {
      file = args[i];
      have_file = true;
    }
  }
  if (!have_file) return usage(gort_trace::cat(cmd, ": no FILE"));

  std::vector<std::uint8_t> bytes;
  std::string error;
  if (!read_file(file, bytes, error)) {
    std::cerr << "gort-trace: " << file << ": cannot read: " << error << '\n';
    return exit_usage;
  }

  try {
    gort_trace::trace t = gort_trace::parse(bytes);
    if (cmd == "summary") {
      gort_trace::write_summary(std::cout, t, file);
    } else if (cmd == "schedtrace") {
      gort_trace::write_schedtrace(std::cout, t);
    } else if (have_out) {
      std::ofstream out(out_path, std::ios::binary | std::ios::trunc);
      if (!out) {
        std::cerr << "gort-trace: " << out_path
                  << ": cannot write: " << std::strerror(errno) << '\n';
        return exit_usage;
      }
      gort_trace::write_chrome(out, t);
      out.close();
      if (!out) {
        std::cerr << "gort-trace: " << out_path << ": write failed\n";
        return exit_usage;
      }
    } else {
      gort_trace::write_chrome(std::cout, t);
    }
  } catch (const std::exception& e) {
    std::cerr << "gort-trace: " << file << ": " << e.what() << '\n';
    return exit_malformed;
  }
  std::cout.flush();
  return std::cout ? 0 : exit_usage;
}
