// runtime/internal/env.hpp: environment variables and CPU budgets.
//
// Every GORT_* variable is read once, when the runtime starts. A bad value
// never stops the program: it prints exactly one line on stderr that names
// the variable, the value and what is used instead, then the default is
// used (the contract in API.md, "Environment").
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace gort::internal {

// parse_int parses a whole decimal number, with an optional sign, and
// nothing else: no spaces, no suffix, no overflow. Empty is not a number.
std::optional<long long> parse_int(std::string_view s) noexcept;

// parse_size parses a byte count: a whole number with an optional K, M or G
// suffix (powers of 1024, either case, optionally followed by B or iB).
// Empty, negative, fractional or overflowing values are not sizes.
std::optional<std::size_t> parse_size(std::string_view s) noexcept;

// env_int reads the variable `name`. Unset: returns fallback silently. Set
// to a whole number in [lo, hi]: returns it. Anything else (empty, "abc",
// "0" when lo is 1, "99999999" when hi is 1024): prints one line on stderr,
//   gort: GORT_MAXPROCS="abc" is not a whole number in [1, 1024]; using 2
// and returns fallback. Any thread; reads the environment with getenv.
long long env_int(const char* name, long long lo, long long hi,
                  long long fallback);

// env_size is env_int for byte counts (parse_size), with the same one-line
// warning, e.g.
//   gort: GORT_STACK_SIZE="12Q" is not a size in [16K, 1G]; using 65536
std::size_t env_size(const char* name, std::size_t lo, std::size_t hi,
                     std::size_t fallback);

// env_choice reads a variable that must be one of `choices` (a list like
// {"none", "core", "pu"}). Returns the index of the match, or `fallback`
// with a one-line warning naming the choices; unset returns fallback
// silently. The comparison is exact.
int env_choice(const char* name, const char* const* choices, int n,
               int fallback);

// affinity_cpus returns how many CPUs the process's affinity mask allows
// (sched_getaffinity), at least 1.
int affinity_cpus() noexcept;

// cgroup_cpu_limit returns the CPU quota of the cgroup the process is in, in
// CPUs (quota / period, e.g. 1.5), or nullopt when there is none. It reads
// `proc_cgroup` (normally /proc/self/cgroup) to find the cgroup, then the v2
// file cpu.max or the v1 files cpu.cfs_quota_us and cpu.cfs_period_us under
// `cgroup_root` (normally /sys/fs/cgroup), walking up to the root and taking
// the smallest quota on the way. Missing files mean no limit.
std::optional<double> cgroup_cpu_limit(
    const std::string& proc_cgroup = "/proc/self/cgroup",
    const std::string& cgroup_root = "/sys/fs/cgroup");

// parse_cpu_max parses the content of a cgroup v2 cpu.max file ("max 100000"
// or "150000 100000") into CPUs; "max" or malformed content is nullopt.
std::optional<double> parse_cpu_max(std::string_view content) noexcept;

// default_procs is GOMAXPROCS's default: the CPUs this process may use, the
// affinity mask and the cgroup quota respected (the quota rounded up), at
// least 1. Never std::thread::hardware_concurrency().
int default_procs();

}  // namespace gort::internal
