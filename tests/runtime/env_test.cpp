// tests/runtime/env_test.cpp: strict parsing, the one-line warnings of
// GORT_* variables, and the CPU budget (affinity and cgroup quotas, the
// latter on fake cgroup trees).
#include "runtime/internal/env.hpp"

#include <gtest/gtest.h>
#include <sched.h>
#include <stdlib.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace gort::internal {
namespace {

namespace fs = std::filesystem;

// scoped_env sets (or unsets, for nullptr) a variable for one test and
// restores its absence afterwards. Test variables are GORT_TEST_*, never
// set outside these tests.
class scoped_env {
 public:
  scoped_env(const char* name, const char* value) : name_(name) {
    if (value == nullptr) {
      unsetenv(name);
    } else {
      setenv(name, value, 1);
    }
  }
  ~scoped_env() { unsetenv(name_); }
  scoped_env(const scoped_env&) = delete;
  scoped_env& operator=(const scoped_env&) = delete;

 private:
  const char* name_;
};

constexpr const char* maxprocs = "GORT_TEST_MAXPROCS";
constexpr const char* stack_size = "GORT_TEST_STACK_SIZE";
constexpr const char* pin = "GORT_TEST_PIN";
constexpr const char* pin_choices[] = {"none", "core", "pu"};

// maxprocs_stderr runs env_int on GORT_TEST_MAXPROCS=value, expects the
// fallback 2, and returns what it printed.
std::string maxprocs_stderr(const char* value) {
  scoped_env env(maxprocs, value);
  testing::internal::CaptureStderr();
  long long v = env_int(maxprocs, 1, 1024, 2);
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(v, 2) << "value " << value;
  return err;
}

TEST(env_test, parse_int_accepts_only_whole_numbers) {
  EXPECT_EQ(parse_int("0"), 0);
  EXPECT_EQ(parse_int("-3"), -3);
  EXPECT_EQ(parse_int("+5"), 5);
  EXPECT_EQ(parse_int("99999999"), 99999999);
  EXPECT_EQ(parse_int("-9223372036854775808"), INT64_MIN);
  EXPECT_EQ(parse_int("9223372036854775807"), INT64_MAX);
  EXPECT_EQ(parse_int(""), std::nullopt);
  EXPECT_EQ(parse_int("abc"), std::nullopt);
  EXPECT_EQ(parse_int("12Q"), std::nullopt);
  EXPECT_EQ(parse_int("-"), std::nullopt);
  EXPECT_EQ(parse_int("+"), std::nullopt);
  EXPECT_EQ(parse_int("+-3"), std::nullopt);
  EXPECT_EQ(parse_int(" 1"), std::nullopt);
  EXPECT_EQ(parse_int("1 "), std::nullopt);
  EXPECT_EQ(parse_int("1.5"), std::nullopt);
  EXPECT_EQ(parse_int("0x10"), std::nullopt);
}

TEST(env_test, parse_int_rejects_overflow) {
  EXPECT_EQ(parse_int("99999999999999999999"), std::nullopt);
  EXPECT_EQ(parse_int("9223372036854775808"), std::nullopt);
  EXPECT_EQ(parse_int("-9223372036854775809"), std::nullopt);
}

TEST(env_test, parse_size_takes_binary_suffixes_in_either_case) {
  EXPECT_EQ(parse_size("0"), 0u);
  EXPECT_EQ(parse_size("99999999"), 99999999u);
  EXPECT_EQ(parse_size("64K"), 65536u);
  EXPECT_EQ(parse_size("64k"), 65536u);
  EXPECT_EQ(parse_size("1M"), 1u << 20);
  EXPECT_EQ(parse_size("1g"), 1u << 30);
  EXPECT_EQ(parse_size("64KiB"), 65536u);
  EXPECT_EQ(parse_size("64kib"), 65536u);
  EXPECT_EQ(parse_size("64KB"), 65536u);
  EXPECT_EQ(parse_size("2mb"), 2u << 20);
  EXPECT_EQ(parse_size("16777215G"), std::size_t{16777215} << 30);
}

TEST(env_test, parse_size_rejects_everything_else) {
  EXPECT_EQ(parse_size(""), std::nullopt);
  EXPECT_EQ(parse_size("abc"), std::nullopt);
  EXPECT_EQ(parse_size("-3"), std::nullopt);
  EXPECT_EQ(parse_size("+3"), std::nullopt);
  EXPECT_EQ(parse_size("12Q"), std::nullopt);
  EXPECT_EQ(parse_size("K"), std::nullopt);
  EXPECT_EQ(parse_size("1.5M"), std::nullopt);
  EXPECT_EQ(parse_size("64 K"), std::nullopt);
  EXPECT_EQ(parse_size("64K "), std::nullopt);
  EXPECT_EQ(parse_size("64KK"), std::nullopt);
  EXPECT_EQ(parse_size("64KiBB"), std::nullopt);
  EXPECT_EQ(parse_size("64iB"), std::nullopt);
  EXPECT_EQ(parse_size("64T"), std::nullopt);
}

TEST(env_test, parse_size_rejects_overflow) {
  EXPECT_EQ(parse_size("99999999999999999999"), std::nullopt);
  // 2^34 G is 2^64 bytes, one more than size_t holds.
  EXPECT_EQ(parse_size("17179869184G"), std::nullopt);
  EXPECT_EQ(parse_size("17179869183G"), std::size_t{17179869183} << 30);
}

TEST(env_test, unset_maxprocs_is_silent) {
  scoped_env env(maxprocs, nullptr);
  testing::internal::CaptureStderr();
  EXPECT_EQ(env_int(maxprocs, 1, 1024, 2), 2);
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
}

TEST(env_test, good_maxprocs_is_used_silently) {
  for (const char* value : {"1", "4", "1024", "+8"}) {
    scoped_env env(maxprocs, value);
    testing::internal::CaptureStderr();
    long long v = env_int(maxprocs, 1, 1024, 2);
    EXPECT_EQ(testing::internal::GetCapturedStderr(), "") << value;
    EXPECT_EQ(v, *parse_int(value));
  }
}

TEST(env_test, bad_maxprocs_prints_one_line_and_falls_back) {
  for (const char* value : {"0", "-3", "abc", "99999999", "", "1025"}) {
    std::string err = maxprocs_stderr(value);
    EXPECT_EQ(err, std::string("gort: GORT_TEST_MAXPROCS=\"") + value +
                       "\" is not a whole number in [1, 1024]; using 2\n");
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  }
}

TEST(env_test, warning_escapes_newlines_so_it_stays_one_line) {
  std::string err = maxprocs_stderr("4\nGORT: fake \"line\"");
  EXPECT_EQ(err,
            "gort: GORT_TEST_MAXPROCS=\"4\\x0aGORT: fake \\\"line\\\"\" is "
            "not a whole number in [1, 1024]; using 2\n");
}

TEST(env_test, warning_cuts_a_long_value) {
  std::string value(10000, '7');
  std::string err = maxprocs_stderr(value.c_str());
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1);
  EXPECT_LT(err.size(), 200u);
  EXPECT_NE(err.find("777...\" is not"), std::string::npos) << err;
}

TEST(env_test, warnings_from_many_threads_never_interleave) {
  scoped_env env(maxprocs, "abc");
  const std::string line =
      "gort: GORT_TEST_MAXPROCS=\"abc\" is not a whole number in [1, 1024]; "
      "using 2\n";
  constexpr int threads = 8;
  constexpr int calls = 50;
  testing::internal::CaptureStderr();
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; t++) {
    ts.emplace_back([] {
      for (int i = 0; i < calls; i++) env_int(maxprocs, 1, 1024, 2);
    });
  }
  for (auto& t : ts) t.join();
  std::string err = testing::internal::GetCapturedStderr();
  std::string expected;
  for (int i = 0; i < threads * calls; i++) expected += line;
  EXPECT_EQ(err, expected);
}

TEST(env_test, bad_stack_size_prints_one_line_with_readable_bounds) {
  for (const char* value : {"12Q", "", "-3", "8K", "2G", "1.5M"}) {
    scoped_env env(stack_size, value);
    testing::internal::CaptureStderr();
    std::size_t v = env_size(stack_size, 16 << 10, 1 << 30, 65536);
    std::string err = testing::internal::GetCapturedStderr();
    EXPECT_EQ(v, 65536u);
    EXPECT_EQ(err, std::string("gort: GORT_TEST_STACK_SIZE=\"") + value +
                       "\" is not a size in [16K, 1G]; using 65536\n");
  }
}

TEST(env_test, good_stack_size_is_used_silently) {
  scoped_env env(stack_size, "256KiB");
  testing::internal::CaptureStderr();
  EXPECT_EQ(env_size(stack_size, 16 << 10, 1 << 30, 65536), 256u << 10);
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
}

TEST(env_test, unset_stack_size_is_silent) {
  scoped_env env(stack_size, nullptr);
  testing::internal::CaptureStderr();
  EXPECT_EQ(env_size(stack_size, 16 << 10, 1 << 30, 65536), 65536u);
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
}

TEST(env_test, stack_size_bounds_that_are_not_round_print_as_bytes) {
  scoped_env env(stack_size, "1");
  testing::internal::CaptureStderr();
  EXPECT_EQ(env_size(stack_size, 1000, 1536, 1024), 1024u);
  EXPECT_EQ(testing::internal::GetCapturedStderr(),
            "gort: GORT_TEST_STACK_SIZE=\"1\" is not a size in [1000, 1536]; "
            "using 1024\n");
}

TEST(env_test, pin_choice_matches_exactly) {
  for (int i = 0; i < 3; i++) {
    scoped_env env(pin, pin_choices[i]);
    testing::internal::CaptureStderr();
    EXPECT_EQ(env_choice(pin, pin_choices, 3, 1), i);
    EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
  }
}

TEST(env_test, bad_pin_prints_one_line_naming_the_choices) {
  for (const char* value : {"CORE", "", "cores", " pu"}) {
    scoped_env env(pin, value);
    testing::internal::CaptureStderr();
    EXPECT_EQ(env_choice(pin, pin_choices, 3, 1), 1);
    EXPECT_EQ(testing::internal::GetCapturedStderr(),
              std::string("gort: GORT_TEST_PIN=\"") + value +
                  "\" is not one of none, core, pu; using core\n");
  }
}

TEST(env_test, unset_pin_is_silent) {
  scoped_env env(pin, nullptr);
  testing::internal::CaptureStderr();
  EXPECT_EQ(env_choice(pin, pin_choices, 3, 2), 2);
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
}

TEST(env_test, parse_cpu_max_reads_quota_over_period) {
  EXPECT_EQ(parse_cpu_max("max 100000"), std::nullopt);
  EXPECT_EQ(parse_cpu_max("max 100000\n"), std::nullopt);
  EXPECT_EQ(parse_cpu_max("max"), std::nullopt);
  EXPECT_EQ(parse_cpu_max("150000 100000"), 1.5);
  EXPECT_EQ(parse_cpu_max("150000 100000\n"), 1.5);
  EXPECT_EQ(parse_cpu_max("50000 100000\n"), 0.5);
  EXPECT_EQ(parse_cpu_max(""), std::nullopt);
  EXPECT_EQ(parse_cpu_max("garbage"), std::nullopt);
  EXPECT_EQ(parse_cpu_max("150000"), std::nullopt);
  EXPECT_EQ(parse_cpu_max("150000 abc"), std::nullopt);
  EXPECT_EQ(parse_cpu_max("0 100000"), std::nullopt);
  EXPECT_EQ(parse_cpu_max("150000 0"), std::nullopt);
  EXPECT_EQ(parse_cpu_max("150000 100000 7"), std::nullopt);
}

// cgroup_tree is a fake /proc/self/cgroup and /sys/fs/cgroup under a fresh
// temporary directory, removed by the destructor.
class cgroup_tree {
 public:
  cgroup_tree() {
    std::string tmpl = (fs::temp_directory_path() / "gort_cgroup_XXXXXX");
    EXPECT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    fs::create_directories(dir_ / "sys");
  }
  ~cgroup_tree() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  cgroup_tree(const cgroup_tree&) = delete;
  cgroup_tree& operator=(const cgroup_tree&) = delete;

  // write creates sys/<path> with the given content.
  void write(const std::string& path, const std::string& content) {
    fs::path p = dir_ / "sys" / path;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << content;
  }
  void write_proc(const std::string& content) {
    std::ofstream(dir_ / "cgroup") << content;
  }
  std::optional<double> limit() const {
    return cgroup_cpu_limit(dir_ / "cgroup", dir_ / "sys");
  }

 private:
  fs::path dir_;
};

TEST(env_test, cgroup_v2_takes_the_smallest_quota_on_the_way_up) {
  cgroup_tree tree;
  tree.write_proc("0::/a/b/c\n");
  tree.write("a/cpu.max", "150000 100000\n");  // the smallest
  tree.write("a/b/cpu.max", "max 100000\n");
  tree.write("a/b/c/cpu.max", "400000 100000\n");
  EXPECT_EQ(tree.limit(), 1.5);
}

TEST(env_test, cgroup_v2_leaf_quota_counts_when_it_is_smallest) {
  cgroup_tree tree;
  tree.write_proc("0::/user.slice/x\n");
  tree.write("user.slice/cpu.max", "400000 100000\n");
  tree.write("user.slice/x/cpu.max", "50000 100000\n");
  EXPECT_EQ(tree.limit(), 0.5);
}

TEST(env_test, cgroup_v2_without_limits_is_nullopt) {
  cgroup_tree tree;
  tree.write_proc("0::/user.slice/x\n");
  tree.write("user.slice/x/cpu.max", "max 100000\n");
  EXPECT_EQ(tree.limit(), std::nullopt);
}

TEST(env_test, cgroup_v1_reads_cfs_quota_under_cpu_cpuacct) {
  cgroup_tree tree;
  tree.write_proc(
      "12:pids:/foo\n"
      "5:cpu,cpuacct:/foo/bar\n"
      "1:name=systemd:/foo\n");
  tree.write("cpu,cpuacct/cpu.cfs_quota_us", "-1\n");
  tree.write("cpu,cpuacct/cpu.cfs_period_us", "100000\n");
  tree.write("cpu,cpuacct/foo/cpu.cfs_quota_us", "250000\n");
  tree.write("cpu,cpuacct/foo/cpu.cfs_period_us", "100000\n");
  tree.write("cpu,cpuacct/foo/bar/cpu.cfs_quota_us", "-1\n");
  tree.write("cpu,cpuacct/foo/bar/cpu.cfs_period_us", "100000\n");
  EXPECT_EQ(tree.limit(), 2.5);
}

TEST(env_test, cgroup_v1_finds_a_controller_mounted_as_cpu) {
  cgroup_tree tree;
  tree.write_proc("5:cpu,cpuacct:/foo\n");
  tree.write("cpu/foo/cpu.cfs_quota_us", "50000\n");
  tree.write("cpu/foo/cpu.cfs_period_us", "100000\n");
  EXPECT_EQ(tree.limit(), 0.5);
}

TEST(env_test, cgroup_v1_with_separate_cpu_hierarchy) {
  cgroup_tree tree;
  tree.write_proc("2:cpuacct:/\n1:cpu:/x\n0::/\n");
  tree.write("cpu/x/cpu.cfs_quota_us", "300000\n");
  tree.write("cpu/x/cpu.cfs_period_us", "100000\n");
  EXPECT_EQ(tree.limit(), 3.0);
}

TEST(env_test, cgroup_v1_ignores_cpuset_and_cpuacct_hierarchies) {
  cgroup_tree tree;
  tree.write_proc("3:cpuset:/foo\n2:cpuacct:/foo\n");
  tree.write("cpuset/foo/cpu.cfs_quota_us", "50000\n");
  tree.write("cpuset/foo/cpu.cfs_period_us", "100000\n");
  tree.write("cpuacct/foo/cpu.cfs_quota_us", "50000\n");
  tree.write("cpuacct/foo/cpu.cfs_period_us", "100000\n");
  EXPECT_EQ(tree.limit(), std::nullopt);
}

TEST(env_test, cgroup_without_files_is_nullopt) {
  cgroup_tree tree;
  tree.write_proc("0::/user.slice/x\n5:cpu,cpuacct:/foo\n");
  EXPECT_EQ(tree.limit(), std::nullopt);
}

TEST(env_test, cgroup_without_proc_file_is_nullopt) {
  cgroup_tree tree;
  tree.write("cpu.max", "100000 100000\n");
  EXPECT_EQ(tree.limit(), std::nullopt);
}

TEST(env_test, cgroup_missing_leaf_still_reads_the_mount_root) {
  // A container without a cgroup namespace: /proc/self/cgroup names the
  // host's path, but the container's mount root is its own cgroup.
  cgroup_tree tree;
  tree.write_proc("0::/docker/0123abcd\n");
  tree.write("cpu.max", "200000 100000\n");
  EXPECT_EQ(tree.limit(), 2.0);
}

TEST(env_test, affinity_cpus_counts_the_affinity_mask) {
  cpu_set_t set;
  CPU_ZERO(&set);
  ASSERT_EQ(sched_getaffinity(0, sizeof set, &set), 0);
  EXPECT_EQ(affinity_cpus(), CPU_COUNT(&set));
  EXPECT_GE(affinity_cpus(), 1);
}

TEST(env_test, default_procs_is_within_the_affinity_mask) {
  int n = default_procs();
  EXPECT_GE(n, 1);
  EXPECT_LE(n, affinity_cpus());
  if (std::optional<double> quota = cgroup_cpu_limit()) {
    EXPECT_LE(n, std::max(1, static_cast<int>(std::ceil(*quota))));
  }
}

}  // namespace
}  // namespace gort::internal
