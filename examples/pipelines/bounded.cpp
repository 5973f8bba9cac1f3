// bounded.go from "Go Concurrency Patterns: Pipelines and cancellation"
// (Sameer Ajmani, 2014, https://go.dev/blog/pipelines).
//
// Bounded parallelism: walk_files emits paths, 20 digesters read and sum
// them, md5_all collects the results, so at most 20 files are in memory.
// An error closes done, which stops every stage. Checked by md5_test.hpp:
// the output is md5sum's; with --unreadable, the error and no leak.
#include "md5_support.hpp"  // md5.Sum, ioutil.ReadFile, filepath.Walk
#include "md5_test.hpp"     // main and the test, not in the post

#include <map>
#include <memory>
#include <utility>

// walk_files starts a goroutine to walk the directory tree at root and send
// the path of each regular file on the string channel. It sends the result
// of the walk on the error channel. If done is closed, walk_files abandons
// its work.
std::pair<gort::recv_chan<std::string>, gort::recv_chan<std::string>>
walk_files(gort::recv_chan<empty> done, fs::path root) {
  auto paths = gort::make_chan<std::string>();
  auto errc = gort::make_chan<std::string>(1);
  gort::go([done, root, paths, errc] {
    // Close the paths channel after walk returns.
    defer_close defer{paths};
    // No select needed for this send, since errc is buffered.
    errc.send(walk(root, [&](const std::string& path) -> std::string {
      std::size_t chosen =
          gort::select(gort::case_send(paths, path), gort::case_recv(done));
      return chosen == 1 ? "walk canceled" : "";  // 1: done is closed
    }));
  });
  return {paths, errc};
}

// A result is the product of reading and summing a file using MD5.
struct result {
  std::string path;
  md5_digest sum;
  std::string err;
};

// digester reads path names from paths and sends digests of the
// corresponding files on c until either paths or done is closed.
void digester(gort::recv_chan<empty> done, gort::recv_chan<std::string> paths,
              gort::send_chan<result> c) {
  for (std::string path : paths) {
    auto [data, err] = read_file(path);
    if (gort::select(gort::case_send(c, result{path, md5_sum(data), err}),
                     gort::case_recv(done)) == 1) {
      return;
    }
  }
}

// md5_all, as in parallel.cpp, returns a map from file path to the MD5 sum
// of the file's contents, or the first error, not waiting for inflight reads.
std::pair<std::map<std::string, md5_digest>, std::string> md5_all(
    const fs::path& root) {
  // md5_all closes the done channel when it returns; it may do so before
  // receiving all the values from c and errc.
  auto done = gort::make_chan<empty>();
  defer_close defer{done};  // Go: defer close(done)

  auto [paths, errc] = walk_files(done, root);

  // Start a fixed number of goroutines to read and digest files.
  auto c = gort::make_chan<result>();
  auto wg = std::make_shared<gort::wait_group>();  // outlives md5_all
  constexpr int num_digesters = 20;
  wg->add(num_digesters);
  for (int i = 0; i < num_digesters; i++) {
    gort::go([done, paths, c, wg] {
      digester(done, paths, c);
      wg->done();
    });
  }
  gort::go([wg, c] {
    wg->wait();
    c.close();
  });

  std::map<std::string, md5_digest> m;
  for (result r : c) {
    if (!r.err.empty()) {
      return {{}, r.err};
    }
    m[r.path] = r.sum;
  }
  // Check whether the walk failed.
  if (std::string err = *errc.recv(); !err.empty()) {
    return {{}, err};
  }
  return {m, ""};
}

int main(int argc, char** argv) {
  return md5_main(argc, argv, md5_all);  // the post's main, in the test
}
