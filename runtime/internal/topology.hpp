// runtime/internal/topology.hpp: where processors run, and who steals from
// whom. The one file that includes <hwloc.h> is runtime/topology.cpp.
//
// The scheduler asks two questions of the machine's topology:
//   1. On which core (or hardware thread) should processor i's worker run?
//      (GORT_PIN=core|pu; none leaves the kernel to decide.)
//   2. When processor i runs dry, whose run queues should it try first?
//      Nearest first: a P on the same core, then the same L3, then the same
//      NUMA node, then the same package, then anyone. A stolen goroutine
//      brings its cache lines along; the nearer the victim, the cheaper.
// Question 2 is answered by victim_tiers(), a pure function of the
// placement, so that it can be tested on synthetic topologies (2 packages x
// 8 cores x 2 PUs) on a 2-core CI machine.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace gort::internal {

// pin_mode is GORT_PIN.
enum class pin_mode { none = 0, core = 1, pu = 2 };

// cpu_slot is where one processor's worker runs. Indices are hwloc logical
// indices of the objects that contain the slot's PU; -1 means unknown.
struct cpu_slot {
  int pu_os = -1;     // OS index of the PU to bind to (the kernel CPU id)
  int pu = -1;        // logical index of that PU
  int core = -1;      // logical index of its core
  int l3 = -1;        // logical index of its L3 cache (-1 if none)
  int numa = -1;      // logical index of its NUMA node
  int package = -1;   // logical index of its package
  bool bind = false;  // whether the worker should bind to pu_os
};

// topology is a loaded hwloc topology, read-only after loading. Any thread
// may use a loaded topology.
class topology {
 public:
  // load_system loads this machine's topology, restricted to the CPUs the
  // process may run on (its affinity mask and cgroup cpuset). Returns
  // nullptr if hwloc fails.
  static std::unique_ptr<topology> load_system();
  // load_synthetic loads an hwloc synthetic description such as
  // "pack:2 [numa] l3:1 core:8 pu:2". Returns nullptr if it does not parse.
  static std::unique_ptr<topology> load_synthetic(const char* description);
  ~topology();
  topology(const topology&) = delete;
  topology& operator=(const topology&) = delete;

  int packages() const noexcept;
  int numa_nodes() const noexcept;
  int l3_caches() const noexcept;
  int cores() const noexcept;
  int pus() const noexcept;
  // is_this_system is false for synthetic or XML topologies; binding to
  // them does nothing (platform.md 4.3).
  bool is_this_system() const noexcept;
  // describe returns e.g. "1 package, 1 NUMA node, 1 L3, 2 cores, 2 PUs".
  std::string describe() const;

  // place returns one slot per processor, n of them. core: processor i goes
  // on core i (mod cores), on that core's first PU; pu: processor i goes on
  // PU i (mod PUs), so SMT siblings get neighbouring processors; none:
  // processor i gets core i's position (used only for victim order) and
  // bind is false. Logical order keeps neighbouring processors under the
  // same L3 and NUMA node, so that victim tiers are dense.
  std::vector<cpu_slot> place(int n, pin_mode mode) const;

  // bind_current_thread binds the calling thread to slot.pu_os. Returns
  // false without doing anything when slot.bind is false or this is not
  // the running system; false also if the kernel refuses.
  bool bind_current_thread(const cpu_slot& slot) const noexcept;

 private:
  topology() = default;
  struct impl;
  std::unique_ptr<impl> impl_;
};

// victim_tiers returns, for each processor i, the other processors grouped
// by distance: tiers[i][0] shares i's core, [1] shares its L3 (not its
// core), [2] its NUMA node, [3] its package, [4] the rest. A field of -1
// matches nothing, so processors without a known place all fall in tier 4.
// Within a tier processors are in increasing index order; the scheduler
// starts each tier at a random offset. Pure function; any thread.
std::vector<std::vector<std::vector<int>>> victim_tiers(
    const std::vector<cpu_slot>& slots);

// Number of tiers victim_tiers returns per processor.
inline constexpr int victim_tier_count = 5;

}  // namespace gort::internal
