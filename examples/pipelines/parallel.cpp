// parallel.go from "Go Concurrency Patterns: Pipelines and cancellation"
// (Sameer Ajmani, 2014, https://go.dev/blog/pipelines).
//
// Parallel digestion, one goroutine per regular file. md5_all returns at
// the first error without receiving the rest; closing done then lets the
// walk and the digesters still sending give up. Checked by md5_test.hpp:
// the output is md5sum's; with --unreadable, the error and no leak.
#include "md5_support.hpp"  // md5.Sum, ioutil.ReadFile, filepath.Walk
#include "md5_test.hpp"     // main and the test, not in the post

#include <map>
#include <memory>
#include <utility>

// A result is the product of reading and summing a file using MD5.
struct result {
  std::string path;
  md5_digest sum;
  std::string err;
};

// sum_files starts goroutines to walk the directory tree at root and digest
// each regular file. These goroutines send the results of the digests on
// the result channel and send the result of the walk on the error channel.
// If done is closed, sum_files abandons its work.
std::pair<gort::recv_chan<result>, gort::recv_chan<std::string>> sum_files(
    gort::recv_chan<empty> done, fs::path root) {
  // For each regular file, start a goroutine that sums the file and sends
  // the result on c. Send the result of the walk on errc.
  auto c = gort::make_chan<result>();
  auto errc = gort::make_chan<std::string>(1);
  gort::go([done, root, c, errc] {
    auto wg = std::make_shared<gort::wait_group>();  // outlives this goroutine
    std::string err = walk(root, [&](const std::string& path) -> std::string {
      wg->add(1);
      gort::go([done, c, wg, path] {
        auto [data, read_err] = read_file(path);
        gort::select(gort::case_send(c, result{path, md5_sum(data), read_err}),
                     gort::case_recv(done));
        wg->done();
      });
      // Abort the walk if done is closed.
      if (gort::select(gort::case_recv(done), gort::case_default()) == 0) {
        return "walk canceled";
      }
      return "";
    });
    // Walk has returned, so all calls to wg.add are done. Start a goroutine
    // to close c once all the sends are done.
    gort::go([wg, c] {
      wg->wait();
      c.close();
    });
    // No select needed here, since errc is buffered.
    errc.send(err);
  });
  return {c, errc};
}

// md5_all reads all the files in the file tree rooted at root and returns a
// map from file path to the MD5 sum of the file's contents. If the
// directory walk fails or any read operation fails, md5_all returns an
// error. In that case md5_all does not wait for inflight read operations to
// complete.
std::pair<std::map<std::string, md5_digest>, std::string> md5_all(
    const fs::path& root) {
  // md5_all closes the done channel when it returns; it may do so before
  // receiving all the values from c and errc.
  auto done = gort::make_chan<empty>();
  defer_close defer{done};  // Go: defer close(done)

  auto [c, errc] = sum_files(done, root);

  std::map<std::string, md5_digest> m;
  for (result r : c) {
    if (!r.err.empty()) {
      return {{}, r.err};
    }
    m[r.path] = r.sum;
  }
  if (std::string err = *errc.recv(); !err.empty()) {
    return {{}, err};
  }
  return {m, ""};
}

int main(int argc, char** argv) {
  return md5_main(argc, argv, md5_all);  // the post's main, in the test
}
