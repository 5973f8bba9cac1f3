// runtime/env.cpp: GORT_* variables and the CPU budget.
//
// Bad values
//
// A typo in an environment variable must not stop a program, and must not
// pass silently either: the user would be left wondering why GORT_MAXPROCS
// had no effect. So each bad value costs exactly one line on stderr that
// names the variable, the value as given, and what is used instead. The
// line is built in memory and written with one write(2): stdio might split
// it at its buffer size, and two threads reading variables at once must not
// interleave their lines. The value is quoted and escaped (a newline in it
// would otherwise start a second line) and cut at a length that keeps the
// whole line well under PIPE_BUF, so a write to a pipe is atomic.
//
// Parsing is strict: no spaces, no trailing junk, no wrap-around. strtol
// would accept " 12abc" as 12; here that is a bad value and is reported.
//
// The CPU budget
//
// GOMAXPROCS's default (Go 1.25 does the same) is the number of CPUs this
// process can actually get: the affinity mask, because a process started
// under taskset or a cgroup cpuset cannot run on the others, and the CFS
// quota, because a container limited to 1.5 CPUs that runs 8 busy workers
// is throttled for most of each period. hardware_concurrency() sees neither
// (platform.md 4.4). The quota is rounded up: 1.5 CPUs get 2 processors,
// since one would leave half the budget unused.
//
// Finding the quota: /proc/self/cgroup names the process's cgroup, once per
// v1 hierarchy ("5:cpu,cpuacct:/foo") and once for v2 ("0::/user.slice/x").
// A limit set on any ancestor applies to all its descendants, so we read
// every directory from the cgroup up to the root and keep the smallest
// quota. Inside a container without a cgroup namespace the named path may
// not exist under the container's mount; the walk then ends at the mount's
// root, which is the container's own cgroup, and finds its limit there. On
// a hybrid system (v1 hierarchies plus a v2 one) both are read and the
// smaller limit wins; the cpu controller lives in only one of them.
#include "runtime/internal/env.hpp"

#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>

namespace gort::internal {

namespace {

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

char to_lower(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// equal_fold compares two ASCII strings ignoring case.
bool equal_fold(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); i++) {
    if (to_lower(a[i]) != to_lower(b[i])) return false;
  }
  return true;
}

// Values longer than this are cut in the warning line. See "Bad values".
constexpr std::size_t max_quoted_value = 64;

// quote returns v in double quotes, with quotes, backslashes and
// non-printable bytes escaped, cut after max_quoted_value bytes.
std::string quote(std::string_view v) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out = "\"";
  for (std::size_t i = 0; i < v.size() && i < max_quoted_value; i++) {
    auto c = static_cast<unsigned char>(v[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 0xf];
    }
  }
  if (v.size() > max_quoted_value) out += "...";
  out += '"';
  return out;
}

// warn writes `gort: NAME="value" <problem>; using <used>` and a newline to
// stderr with one write(2). See "Bad values".
void warn(const char* name, std::string_view value, std::string_view problem,
          std::string_view used) {
  std::string line = "gort: ";
  line += name;
  line += '=';
  line += quote(value);
  line += ' ';
  line += problem;
  line += "; using ";
  line += used;
  line += '\n';
  const char* p = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(STDERR_FILENO, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // Nowhere to report it; the fallback still applies.
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

// format_size writes a byte count the way a user would: 16K, 1G, 65536.
std::string format_size(std::size_t v) {
  static constexpr struct {
    std::size_t unit;
    char suffix;
  } units[] = {{std::size_t{1} << 30, 'G'},
               {std::size_t{1} << 20, 'M'},
               {std::size_t{1} << 10, 'K'}};
  for (const auto& u : units) {
    if (v != 0 && v % u.unit == 0) {
      return std::to_string(v / u.unit) + u.suffix;
    }
  }
  return std::to_string(v);
}

}  // namespace

std::optional<long long> parse_int(std::string_view s) noexcept {
  // from_chars takes '-' but not '+'; a '+' must be followed by a digit so
  // that "+-3" stays invalid.
  if (!s.empty() && s[0] == '+') {
    s.remove_prefix(1);
    if (s.empty() || !is_digit(s[0])) return std::nullopt;
  }
  long long v = 0;
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, v);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return v;
}

std::optional<std::size_t> parse_size(std::string_view s) noexcept {
  std::size_t digits = 0;
  while (digits < s.size() && is_digit(s[digits])) digits++;
  if (digits == 0) return std::nullopt;
  std::size_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + digits, v);
  if (ec != std::errc() || ptr != s.data() + digits) return std::nullopt;
  std::string_view rest = s.substr(digits);
  if (rest.empty()) return v;
  // K, M, G: shift by 10, 20, 30.
  std::size_t unit = std::string_view("kmg").find(to_lower(rest[0]));
  if (unit == std::string_view::npos) return std::nullopt;
  int shift = 10 * static_cast<int>(unit + 1);
  rest.remove_prefix(1);
  if (!rest.empty() && !equal_fold(rest, "b") && !equal_fold(rest, "ib")) {
    return std::nullopt;
  }
  if (v > (std::numeric_limits<std::size_t>::max() >> shift)) {
    return std::nullopt;
  }
  return v << shift;
}

long long env_int(const char* name, long long lo, long long hi,
                  long long fallback) {
  const char* value = std::getenv(name);
  if (value == nullptr) return fallback;
  std::optional<long long> v = parse_int(value);
  if (v && *v >= lo && *v <= hi) return *v;
  warn(name, value,
       "is not a whole number in [" + std::to_string(lo) + ", " +
           std::to_string(hi) + "]",
       std::to_string(fallback));
  return fallback;
}

std::size_t env_size(const char* name, std::size_t lo, std::size_t hi,
                     std::size_t fallback) {
  const char* value = std::getenv(name);
  if (value == nullptr) return fallback;
  std::optional<std::size_t> v = parse_size(value);
  if (v && *v >= lo && *v <= hi) return *v;
  warn(name, value,
       "is not a size in [" + format_size(lo) + ", " + format_size(hi) + "]",
       std::to_string(fallback));
  return fallback;
}

int env_choice(const char* name, const char* const* choices, int n,
               int fallback) {
  const char* value = std::getenv(name);
  if (value == nullptr) return fallback;
  for (int i = 0; i < n; i++) {
    if (std::string_view(value) == choices[i]) return i;
  }
  std::string problem = "is not one of ";
  for (int i = 0; i < n; i++) {
    if (i > 0) problem += ", ";
    problem += choices[i];
  }
  std::string used = fallback >= 0 && fallback < n ? choices[fallback]
                                                   : std::to_string(fallback);
  warn(name, value, problem, used);
  return fallback;
}

int affinity_cpus() noexcept {
  // The kernel refuses (EINVAL) a set smaller than its own CPU mask, so
  // start at glibc's fixed 1024 and double until it fits.
  for (int ncpus = 1024; ncpus <= (1 << 22); ncpus *= 2) {
    cpu_set_t* set = CPU_ALLOC(ncpus);
    if (set == nullptr) return 1;
    std::size_t size = CPU_ALLOC_SIZE(ncpus);
    CPU_ZERO_S(size, set);
    int rc = sched_getaffinity(0, size, set);
    int err = errno;
    int count = rc == 0 ? CPU_COUNT_S(size, set) : 0;
    CPU_FREE(set);
    if (rc == 0) return std::max(count, 1);
    if (err != EINVAL) break;
  }
  return 1;
}

namespace {

// read_text returns the content of a small file, or nullopt if it cannot
// be read.
std::optional<std::string> read_text(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return ss.str();
}

bool is_dir(const std::string& path) noexcept {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string_view trim(std::string_view s) noexcept {
  auto space = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
  };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

// min_limit keeps the smaller of two optional limits.
void min_limit(std::optional<double>& acc, std::optional<double> v) noexcept {
  if (v && (!acc || *v < *acc)) acc = v;
}

// v2_limit reads cpu.max in dir.
std::optional<double> v2_limit(const std::string& dir) {
  std::optional<std::string> text = read_text(dir + "/cpu.max");
  if (!text) return std::nullopt;
  return parse_cpu_max(*text);
}

// v1_limit reads cpu.cfs_quota_us and cpu.cfs_period_us in dir. A quota
// of -1 means none.
std::optional<double> v1_limit(const std::string& dir) {
  std::optional<std::string> quota = read_text(dir + "/cpu.cfs_quota_us");
  std::optional<std::string> period = read_text(dir + "/cpu.cfs_period_us");
  if (!quota || !period) return std::nullopt;
  std::optional<long long> q = parse_int(trim(*quota));
  std::optional<long long> p = parse_int(trim(*period));
  if (!q || !p || *q <= 0 || *p <= 0) return std::nullopt;
  return static_cast<double>(*q) / static_cast<double>(*p);
}

// walk_up applies `limit` to mount + cgroup and to each of its ancestors up
// to mount itself, and returns the smallest limit found.
template <typename Limit>
std::optional<double> walk_up(const std::string& mount, std::string cgroup,
                              Limit limit) {
  std::optional<double> best;
  while (!cgroup.empty() && cgroup.back() == '/') cgroup.pop_back();
  for (;;) {
    min_limit(best, limit(mount + cgroup));
    std::size_t slash = cgroup.rfind('/');
    if (cgroup.empty() || slash == std::string::npos) break;
    cgroup.erase(slash);
  }
  return best;
}

// v1_mount returns where the v1 hierarchy carrying the cpu controller is
// mounted: named after its controllers as /proc/self/cgroup lists them
// ("cpu,cpuacct"), or "cpu" (the usual symlink), or the other order.
std::optional<std::string> v1_mount(const std::string& root,
                                    const std::string& controllers) {
  for (const std::string& name :
       {controllers, std::string("cpu"), std::string("cpu,cpuacct"),
        std::string("cpuacct,cpu")}) {
    if (is_dir(root + "/" + name)) return root + "/" + name;
  }
  return std::nullopt;
}

// has_cpu reports whether a v1 controller list ("cpu,cpuacct") names cpu.
bool has_cpu(std::string_view controllers) noexcept {
  while (!controllers.empty()) {
    std::size_t comma = controllers.find(',');
    if (controllers.substr(0, comma) == "cpu") return true;
    if (comma == std::string_view::npos) break;
    controllers.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

std::optional<double> cgroup_cpu_limit(const std::string& proc_cgroup,
                                       const std::string& cgroup_root) {
  std::optional<std::string> text = read_text(proc_cgroup);
  if (!text) return std::nullopt;
  std::optional<double> best;
  std::istringstream lines(*text);
  std::string line;
  while (std::getline(lines, line)) {
    // hierarchy-id:controller-list:cgroup-path; the path may contain ':'.
    std::size_t c1 = line.find(':');
    std::size_t c2 = c1 == std::string::npos ? c1 : line.find(':', c1 + 1);
    if (c2 == std::string::npos) continue;
    std::string hierarchy = line.substr(0, c1);
    std::string controllers = line.substr(c1 + 1, c2 - c1 - 1);
    std::string path = line.substr(c2 + 1);
    if (path.empty() || path[0] != '/') continue;
    if (hierarchy == "0" && controllers.empty()) {
      min_limit(best, walk_up(cgroup_root, path, v2_limit));
      // Hybrid systems mount the v2 hierarchy here instead.
      if (is_dir(cgroup_root + "/unified")) {
        min_limit(best, walk_up(cgroup_root + "/unified", path, v2_limit));
      }
    } else if (has_cpu(controllers)) {
      if (std::optional<std::string> mount =
              v1_mount(cgroup_root, controllers)) {
        min_limit(best, walk_up(*mount, path, v1_limit));
      }
    }
  }
  return best;
}

std::optional<double> parse_cpu_max(std::string_view content) noexcept {
  content = trim(content);
  std::size_t space = content.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  std::string_view quota = content.substr(0, space);
  std::string_view period = trim(content.substr(space + 1));
  if (quota == "max") return std::nullopt;
  std::optional<long long> q = parse_int(quota);
  std::optional<long long> p = parse_int(period);
  if (!q || !p || *q <= 0 || *p <= 0) return std::nullopt;
  return static_cast<double>(*q) / static_cast<double>(*p);
}

int default_procs() {
  int n = affinity_cpus();
  if (std::optional<double> quota = cgroup_cpu_limit()) {
    double cpus = std::ceil(*quota);
    if (cpus < static_cast<double>(n)) n = static_cast<int>(cpus);
  }
  return std::max(n, 1);
}

}  // namespace gort::internal
