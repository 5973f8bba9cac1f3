// What serial.cpp, parallel.cpp and bounded.cpp take from Go: md5.Sum,
// ioutil.ReadFile, filepath.Walk, defer close(c), and the sorted printing
// in main. The pipelines are not shared: each program has its own, as in
// the post. The test around them, and main, are in md5_test.hpp.
#pragma once

#include <gort/gort.hpp>

#include "../example.hpp"  // empty, defer_close, settle

#include <openssl/evp.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <system_error>

namespace fs = std::filesystem;
using md5_digest = std::array<unsigned char, 16>;  // Go's [md5.Size]byte

// md5_sum is Go's md5.Sum, with OpenSSL's libcrypto.
inline md5_digest md5_sum(const std::string& data) {
  md5_digest d{};
  EVP_Digest(data.data(), data.size(), d.data(), nullptr, EVP_md5(), nullptr);
  return d;
}

// read_file is Go's ioutil.ReadFile: the contents, or an error worded as
// Go's ("read <path>: ..."). It blocks in the kernel: gort::blocking.
struct file_data {
  std::string data, err;
};
inline file_data read_file(const std::string& path) {
  return gort::blocking([&] {
    auto fail = [&](const char* op) {  // errno is still the call's
      return file_data{
          {}, op + (" " + path + ": ") + std::system_category().message(errno)};
    };
    std::FILE* f = std::fopen(path.c_str(), "rbe");
    if (f == nullptr) return fail("open");
    file_data r;
    char buf[8192];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;)
      r.data.append(buf, n);
    if (std::ferror(f)) r = fail("read");
    std::fclose(f);
    return r;
  });
}

// walk is filepath.Walk with the two checks each WalkFunc in the post
// starts with (an error ends the walk; only regular files count): it calls
// fn(path) for each regular file under root and returns the first error,
// the walk's or fn's. Unlike Go's Lstat it follows links to files.
template <class F>
std::string walk(const fs::path& root, F fn) {
  std::error_code ec;
  for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end;
       it.increment(ec)) {
    fs::file_type type = it->status(ec).type();
    if (type == fs::file_type::not_found) ec.clear();  // a dangling link
    if (ec) break;
    if (type != fs::file_type::regular) continue;
    if (std::string err = fn(it->path().string()); !err.empty()) return err;
  }
  return ec ? "walk " + root.string() + ": " + ec.message() : "";
}

// print_sorted prints the sums sorted by path (a std::map is) as md5sum
// does ("%x  %s\n"), and returns what it printed.
inline std::string print_sorted(const std::map<std::string, md5_digest>& m) {
  std::string out;
  for (const auto& [path, sum] : m) {
    for (unsigned char b : sum)
      out += {"0123456789abcdef"[b >> 4], "0123456789abcdef"[b & 15]};
    out += "  " + path + "\n";
  }
  std::fputs(out.c_str(), stdout);
  return out;
}
