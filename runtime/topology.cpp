// runtime/topology.cpp: the machine's shape, from hwloc. The one file in
// gort that includes <hwloc.h>; everything else sees cpu_slot and
// victim_tiers() (runtime/internal/topology.hpp).
//
// Which machine
//
// load_system() loads the running machine and restricts it to the CPUs this
// process may use. hwloc already drops the PUs a cgroup cpuset forbids, but
// an affinity mask (taskset -c 1) is not a restriction to hwloc
// (platform.md 4.4): without help it would show 2 PUs and the scheduler
// would pin a worker to a CPU the kernel will never run it on. So we read
// the process's binding (hwloc_get_cpubind(PROCESS), which on Linux is the
// union of every thread's mask, so one pinned thread does not shrink it),
// intersect it with the allowed set, and hwloc_topology_restrict to it with
// REMOVE_CPULESS, so that a package or NUMA node we may not run on is not
// counted either (memory-only NUMA nodes go too: no processor runs there).
// We restrict by hand rather than with RESTRICT_TO_CPUBINDING so that we
// choose the restrict flags. DONT_CHANGE_BINDING is always set, because
// load_system may run after other threads exist and the x86 backend would
// otherwise rebind the calling thread while it probes CPUID.
//
// Only a natively discovered topology counts as this system. We do not set
// IS_THISSYSTEM: with HWLOC_SYNTHETIC or HWLOC_XMLFILE in the environment
// the topology is a fake one, restricting it by the real affinity mask
// would be meaningless, and binding to its PU numbers would either do
// nothing or bind to the wrong CPU. (HWLOC_THISSYSTEM=1 still lets a user
// assert that an XML file is this machine.)
//
// Placement
//
// Processors are laid out in hwloc logical order, which is depth-first: all
// cores of L3 #0 come before any core of L3 #1, all of NUMA node #0 before
// node #1, and so on. So neighbouring processors share as much as they can
// and each victim tier is a dense range of processors. In core mode P i
// runs on core i mod cores, on that core's first PU, so that with SMT the
// siblings stay idle for the kernel and other processes; in pu mode P i
// runs on PU i mod PUs, so that SMT siblings are neighbouring processors.
// Wrapping around (more processors than cores) stacks several processors on
// one core rather than failing; GORT_PIN's default avoids it (API.md).
//
// A PU's NUMA node is found through cpusets, not parents: in hwloc 2.x NUMA
// nodes are memory children, never ancestors of a core (platform.md 4.2).
// When several nodes cover a PU (DRAM plus HBM, or a machine-wide CXL node
// beside the per-package ones) we take the one with the fewest CPUs, the
// most local, and the lowest logical index among equals.
//
// Victim tiers
//
// A thief looks at the processors nearest to it first: same core (they
// share L1 and L2, so a stolen goroutine's working set is still hot), then
// same L3, same NUMA node (its memory is local), same package, then the
// rest. Each field is compared as a logical index, and -1 (unknown)
// matches nothing, so a machine or slot we know nothing about degrades to
// one flat tier 4: plain random stealing, as Go does.
#include "runtime/internal/topology.hpp"

#include <hwloc.h>

#include <cerrno>
#include <utility>

namespace gort::internal {

namespace {

// hwloc_deleter destroys a topology on every early return of a loader.
struct hwloc_deleter {
  void operator()(hwloc_topology* t) const noexcept {
    hwloc_topology_destroy(t);
  }
};
using topology_ptr = std::unique_ptr<hwloc_topology, hwloc_deleter>;

// bitmap_ptr frees an hwloc bitmap.
struct bitmap_deleter {
  void operator()(hwloc_bitmap_s* b) const noexcept { hwloc_bitmap_free(b); }
};
using bitmap_ptr = std::unique_ptr<hwloc_bitmap_s, bitmap_deleter>;

// count_of returns how many objects of `type` the topology has; 0 when
// there are none or when they sit at several depths (hwloc returns -1).
int count_of(hwloc_topology_t t, hwloc_obj_type_t type) noexcept {
  int n = hwloc_get_nbobjs_by_type(t, type);
  return n < 0 ? 0 : n;
}

// logical_of returns obj's logical index, or -1 for no object.
int logical_of(const hwloc_obj* obj) noexcept {
  return obj == nullptr ? -1 : static_cast<int>(obj->logical_index);
}

// numa_of returns the logical index of the NUMA node local to `pu`: the
// node with the fewest CPUs whose cpuset contains the PU's. See
// "Placement" above.
int numa_of(hwloc_topology_t t, const hwloc_obj* pu) noexcept {
  hwloc_obj_t best = nullptr;
  int best_weight = 0;
  for (hwloc_obj_t node =
           hwloc_get_next_obj_by_type(t, HWLOC_OBJ_NUMANODE, nullptr);
       node != nullptr;
       node = hwloc_get_next_obj_by_type(t, HWLOC_OBJ_NUMANODE, node)) {
    if (node->cpuset == nullptr ||
        !hwloc_bitmap_isincluded(pu->cpuset, node->cpuset)) {
      continue;
    }
    int weight = hwloc_bitmap_weight(node->cpuset);
    if (best == nullptr || weight < best_weight) {
      best = node;
      best_weight = weight;
    }
  }
  return logical_of(best);
}

// restrict_to_process narrows a freshly loaded native topology to the CPUs
// the process may run on. See "Which machine" above. Returns false only if
// hwloc failed in a way that left the topology unusable.
bool restrict_to_process(hwloc_topology_t t) noexcept {
  bitmap_ptr set(hwloc_bitmap_alloc());
  if (set == nullptr) return false;
  if (hwloc_get_cpubind(t, set.get(), HWLOC_CPUBIND_PROCESS) != 0 &&
      hwloc_get_cpubind(t, set.get(), HWLOC_CPUBIND_THREAD) != 0) {
    return true;  // No binding support: keep what hwloc found.
  }
  hwloc_bitmap_and(set.get(), set.get(), hwloc_topology_get_allowed_cpuset(t));
  hwloc_bitmap_and(set.get(), set.get(), hwloc_topology_get_topology_cpuset(t));
  if (hwloc_bitmap_iszero(set.get())) return true;  // Nonsense; keep all.
  if (hwloc_topology_restrict(t, set.get(),
                              HWLOC_RESTRICT_FLAG_REMOVE_CPULESS) != 0) {
    // EINVAL leaves the topology as it was; ENOMEM reinitialises it.
    return errno != ENOMEM;
  }
  return true;
}

// loaded is a loaded hwloc topology and what we cache about it. Read-only
// once a loader returns, so any thread may use it (hwloc.h: concurrent
// reads of a loaded, refreshed topology are safe). The counts are cached so
// that the accessors are cheap and noexcept.
struct loaded {
  topology_ptr t;
  bool this_system = false;
  int packages = 0;
  int numa_nodes = 0;
  int l3_caches = 0;
  int cores = 0;
  int pus = 0;
};

// finish takes a loaded hwloc topology, refreshes it and caches its counts.
// Returns false, and destroys it, if hwloc cannot refresh it or it has no
// PU to run on.
bool finish(topology_ptr t, loaded& out) {
  // After a restrict, and before other threads read it (platform.md 4.2).
  if (hwloc_topology_refresh(t.get()) != 0) return false;
  out.this_system = hwloc_topology_is_thissystem(t.get()) != 0;
  out.packages = count_of(t.get(), HWLOC_OBJ_PACKAGE);
  out.numa_nodes = count_of(t.get(), HWLOC_OBJ_NUMANODE);
  out.l3_caches = count_of(t.get(), HWLOC_OBJ_L3CACHE);
  out.cores = count_of(t.get(), HWLOC_OBJ_CORE);
  out.pus = count_of(t.get(), HWLOC_OBJ_PU);
  if (out.pus == 0) return false;
  out.t = std::move(t);
  return true;
}

}  // namespace

// impl is the state behind a topology; see loaded.
struct topology::impl : loaded {};

std::unique_ptr<topology> topology::load_system() {
  hwloc_topology_t raw = nullptr;
  if (hwloc_topology_init(&raw) != 0) return nullptr;
  topology_ptr t(raw);
  if (hwloc_topology_set_flags(t.get(),
                               HWLOC_TOPOLOGY_FLAG_DONT_CHANGE_BINDING) != 0 ||
      hwloc_topology_load(t.get()) != 0) {
    return nullptr;
  }
  if (hwloc_topology_is_thissystem(t.get()) && !restrict_to_process(t.get())) {
    return nullptr;
  }
  std::unique_ptr<topology> topo(new topology());
  topo->impl_ = std::make_unique<impl>();
  if (!finish(std::move(t), *topo->impl_)) return nullptr;
  return topo;
}

std::unique_ptr<topology> topology::load_synthetic(const char* description) {
  if (description == nullptr) return nullptr;
  hwloc_topology_t raw = nullptr;
  if (hwloc_topology_init(&raw) != 0) return nullptr;
  topology_ptr t(raw);
  if (hwloc_topology_set_synthetic(t.get(), description) != 0 ||
      hwloc_topology_load(t.get()) != 0) {
    return nullptr;
  }
  std::unique_ptr<topology> topo(new topology());
  topo->impl_ = std::make_unique<impl>();
  if (!finish(std::move(t), *topo->impl_)) return nullptr;
  return topo;
}

topology::~topology() = default;

int topology::packages() const noexcept { return impl_->packages; }
int topology::numa_nodes() const noexcept { return impl_->numa_nodes; }
int topology::l3_caches() const noexcept { return impl_->l3_caches; }
int topology::cores() const noexcept { return impl_->cores; }
int topology::pus() const noexcept { return impl_->pus; }
bool topology::is_this_system() const noexcept { return impl_->this_system; }

namespace {

// counted appends "n noun" or "n nouns" to out.
void counted(std::string& out, int n, const char* noun) {
  if (!out.empty()) out += ", ";
  out += std::to_string(n);
  out += ' ';
  out += noun;
  if (n != 1) out += 's';
}

}  // namespace

std::string topology::describe() const {
  std::string out;
  counted(out, packages(), "package");
  counted(out, numa_nodes(), "NUMA node");
  counted(out, l3_caches(), "L3");
  counted(out, cores(), "core");
  counted(out, pus(), "PU");
  return out;
}

std::vector<cpu_slot> topology::place(int n, pin_mode mode) const {
  std::vector<cpu_slot> slots;
  if (n <= 0) return slots;
  slots.reserve(static_cast<std::size_t>(n));
  hwloc_topology_t t = impl_->t.get();
  for (int i = 0; i < n; i++) {
    hwloc_obj_t pu = nullptr;
    if (mode == pin_mode::pu || impl_->cores == 0) {
      // pu mode, or a machine whose PUs hwloc could not group into cores.
      pu = hwloc_get_obj_by_type(t, HWLOC_OBJ_PU,
                                 static_cast<unsigned>(i % impl_->pus));
    } else {
      hwloc_obj_t core = hwloc_get_obj_by_type(
          t, HWLOC_OBJ_CORE, static_cast<unsigned>(i % impl_->cores));
      if (core != nullptr) {
        pu = hwloc_get_obj_inside_cpuset_by_type(t, core->cpuset, HWLOC_OBJ_PU,
                                                 0);
      }
    }
    cpu_slot s;
    if (pu != nullptr) {
      s.pu_os = static_cast<int>(pu->os_index);
      s.pu = logical_of(pu);
      s.core =
          logical_of(hwloc_get_ancestor_obj_by_type(t, HWLOC_OBJ_CORE, pu));
      s.l3 =
          logical_of(hwloc_get_ancestor_obj_by_type(t, HWLOC_OBJ_L3CACHE, pu));
      s.numa = numa_of(t, pu);
      s.package =
          logical_of(hwloc_get_ancestor_obj_by_type(t, HWLOC_OBJ_PACKAGE, pu));
      s.bind = mode != pin_mode::none;
    }
    slots.push_back(s);
  }
  return slots;
}

bool topology::bind_current_thread(const cpu_slot& slot) const noexcept {
  if (!slot.bind || !impl_->this_system || slot.pu_os < 0) return false;
  hwloc_obj_t pu = hwloc_get_pu_obj_by_os_index(
      impl_->t.get(), static_cast<unsigned>(slot.pu_os));
  if (pu == nullptr) return false;
  int rc = hwloc_set_cpubind(impl_->t.get(), pu->cpuset, HWLOC_CPUBIND_THREAD);
  return rc == 0;
}

namespace {

// tier_of returns how far processor b is from processor a: 0 same core ...
// 4 nothing in common. See "Victim tiers" above.
int tier_of(const cpu_slot& a, const cpu_slot& b) noexcept {
  auto same = [](int x, int y) { return x >= 0 && x == y; };
  if (same(a.core, b.core)) return 0;
  if (same(a.l3, b.l3)) return 1;
  if (same(a.numa, b.numa)) return 2;
  if (same(a.package, b.package)) return 3;
  return 4;
}

}  // namespace

std::vector<std::vector<std::vector<int>>> victim_tiers(
    const std::vector<cpu_slot>& slots) {
  const int n = static_cast<int>(slots.size());
  std::vector<std::vector<std::vector<int>>> tiers(
      slots.size(), std::vector<std::vector<int>>(victim_tier_count));
  for (int i = 0; i < n; i++) {
    for (int j = 0; j < n; j++) {
      if (j == i) continue;
      tiers[i][tier_of(slots[i], slots[j])].push_back(j);
    }
  }
  return tiers;
}

}  // namespace gort::internal
