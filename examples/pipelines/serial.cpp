// serial.go from "Go Concurrency Patterns: Pipelines and cancellation"
// (Sameer Ajmani, 2014, https://go.dev/blog/pipelines).
//
// The baseline for parallel.cpp and bounded.cpp: md5_all reads and sums
// every regular file under a directory, one after the other, and main
// prints "<md5>  <path>" lines sorted by path, as md5sum does. An
// unreadable file stops the walk with an error. The check (md5_test.hpp):
// the output is md5sum's, or, with --unreadable, the error is reported.
#include "md5_support.hpp"  // md5.Sum, ioutil.ReadFile, filepath.Walk
#include "md5_test.hpp"     // main and the test, not in the post

#include <map>
#include <utility>

// md5_all reads all the files in the file tree rooted at root and returns
// a map from file path to the MD5 sum of the file's contents. If the
// directory walk fails or any read operation fails, md5_all returns an
// error.
std::pair<std::map<std::string, md5_digest>, std::string> md5_all(
    const fs::path& root) {
  std::map<std::string, md5_digest> m;
  std::string err = walk(root, [&](const std::string& path) -> std::string {
    auto [data, read_err] = read_file(path);
    if (!read_err.empty()) {
      return read_err;
    }
    m[path] = md5_sum(data);
    return "";
  });
  if (!err.empty()) {
    return {{}, err};
  }
  return {m, ""};
}

int main(int argc, char** argv) {
  return md5_main(argc, argv, md5_all);  // the post's main, in the test
}
