// The gort-trace command, run as a program (GORT_TRACE_EXE is its path):
// exit 0 and output for good traces, 1 and "gort-trace: FILE: byte N: ..."
// for a malformed one, 2 and a usage line for usage errors and unreadable
// files.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "tools/json.hpp"
#include "tools/sample_trace.hpp"
#include "tools/trace/reader.hpp"

namespace {

namespace fs = std::filesystem;
using namespace gort_test::trace;

// q quotes a path for the shell (the test's paths have no quotes).
std::string q(const fs::path& p) {
  return gort_trace::cat("'", p.string(), "'");
}

struct result {
  int status = -1;
  std::string out, err;
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class trace_cli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           gort_trace::cat(
               "gort_trace_cli_", ::getpid(), "_",
               ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path write(const std::string& name, const bytes& b) {
    fs::path p = dir_ / name;
    std::ofstream out(p, std::ios::binary);
    out.write(reinterpret_cast<const char*>(b.data()),
              static_cast<std::streamsize>(b.size()));
    return p;
  }

  // run runs gort-trace with args (shell words, already quoted).
  result run(const std::string& args) {
    fs::path out = dir_ / "stdout", err = dir_ / "stderr";
    std::string cmd = gort_trace::cat(q(GORT_TRACE_EXE), " ", args, " >",
                                      q(out), " 2>", q(err));
    int st = std::system(cmd.c_str());
    result r;
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    r.out = slurp(out);
    r.err = slurp(err);
    return r;
  }

  fs::path dir_;
};

TEST_F(trace_cli, usage_errors_exit_2) {
  for (const char* args :
       {"", "frobnicate x", "summary", "summary a b", "chrome x -o",
        "schedtrace --bogus x", "chrome x -o a -o b"}) {
    result r = run(args);
    EXPECT_EQ(r.status, 2) << args;
    EXPECT_NE(r.err.find("usage: gort-trace summary FILE"), std::string::npos)
        << args << ": " << r.err;
    EXPECT_EQ(r.out, "") << args;
  }
  result r = run("--help");
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("usage:"), std::string::npos);
}

TEST_F(trace_cli, unreadable_files_exit_2) {
  std::string missing = (dir_ / "missing.trace").string();
  result r = run("summary " + q(missing));
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, gort_trace::cat("gort-trace: ", missing,
                                   ": cannot read: No such file or "
                                   "directory\n"));
  r = run("schedtrace " + q(dir_));
  EXPECT_EQ(r.status, 2) << r.err;
  fs::path good = write("good.trace", sample_trace());
  r = run(gort_trace::cat("chrome ", q(good), " -o ",
                          q(dir_ / "no" / "such" / "dir.json")));
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("cannot write"), std::string::npos) << r.err;
}

TEST_F(trace_cli, malformed_trace_exits_1_with_the_byte_offset) {
  bytes b = sample_trace();
  b.resize(b.size() - 1);  // cut inside the last batch
  fs::path p = write("cut.trace", b);
  for (const char* cmd : {"summary", "chrome", "schedtrace"}) {
    result r = run(gort_trace::cat(cmd, " ", q(p)));
    EXPECT_EQ(r.status, 1) << cmd;
    EXPECT_EQ(
        r.err.rfind(gort_trace::cat("gort-trace: ", p.string(), ": byte "), 0),
        0u)
        << r.err;
    EXPECT_NE(r.err.find("bytes but only"), std::string::npos) << r.err;
    EXPECT_EQ(r.out, "");
  }
  fs::path junk = write("junk.trace", {'n', 'o', 'p', 'e'});
  result r = run("summary " + q(junk));
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, gort_trace::cat("gort-trace: ", junk.string(),
                                   ": byte 0: bad magic \"nope\": not a gort "
                                   "trace (want \"GORTTRC1\")\n"));
}

TEST_F(trace_cli, commands_on_a_good_trace) {
  fs::path p = write("good.trace", sample_trace());
  result r = run("summary " + q(p));
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("Top wait reasons"), std::string::npos) << r.out;
  EXPECT_EQ(r.err, "");

  r = run("schedtrace " + q(p));
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out,
            "SCHED 0ms: gomaxprocs=2 idleprocs=0 threads=3 spinningthreads=0 "
            "idlethreads=1 runqueue=0 [0 0]\n");

  r = run("chrome " + q(p));
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NO_THROW(gort_test::json::parse(r.out));

  fs::path json = dir_ / "out.json";
  r = run(gort_trace::cat("chrome -o ", q(json), " ", q(p)));
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "");
  gort_test::json::value doc = gort_test::json::parse(slurp(json));
  EXPECT_FALSE(doc.at("traceEvents").items.empty());
}

TEST_F(trace_cli, a_trace_cut_after_a_batch_is_read) {
  bytes b = sample_trace();
  // Drop the last batch (the sched event), head and payload.
  gort_trace::trace t = gort_trace::parse(b);
  b.resize(t.batches.back().offset);
  fs::path p = write("crashed.trace", b);
  result r = run("schedtrace " + q(p));
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "");
}

}  // namespace
