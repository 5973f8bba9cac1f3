// tests/runtime/topology_test.cpp: placement and victim tiers on synthetic
// topologies (a 2-core CI machine cannot show 2 packages x 8 cores x 2
// PUs), and loading and binding on the real machine.
#include "runtime/internal/topology.hpp"

#include <gtest/gtest.h>
#include <sched.h>

#include <thread>
#include <vector>

namespace gort::internal {
namespace {

// The machine of platform.md 4.3: 2 packages, each one NUMA node and one
// L3 over 8 cores of 2 PUs. PU P#i is PU L#i; core L#k holds PUs 2k, 2k+1.
constexpr const char* two_sockets_smt = "pack:2 [numa] l3:1 core:8 pu:2";
// 4 packages of 4 cores, one NUMA node each, no L3 at all.
constexpr const char* four_sockets_no_l3 = "pack:4 [numa] core:4 pu:1";

// range returns {lo, lo+1, ..., hi-1}.
std::vector<int> range(int lo, int hi) {
  std::vector<int> v;
  for (int i = lo; i < hi; i++) v.push_back(i);
  return v;
}

// cpus_allowed returns how many CPUs the calling thread may run on.
int cpus_allowed() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return -1;
  return CPU_COUNT(&set);
}

TEST(topology_test, two_socket_synthetic_counts) {
  auto topo = topology::load_synthetic(two_sockets_smt);
  ASSERT_NE(topo, nullptr);
  EXPECT_EQ(topo->packages(), 2);
  EXPECT_EQ(topo->numa_nodes(), 2);
  EXPECT_EQ(topo->l3_caches(), 2);
  EXPECT_EQ(topo->cores(), 16);
  EXPECT_EQ(topo->pus(), 32);
  EXPECT_FALSE(topo->is_this_system());
  EXPECT_EQ(topo->describe(),
            "2 packages, 2 NUMA nodes, 2 L3s, 16 cores, 32 PUs");
}

TEST(topology_test, bad_synthetic_description_returns_nullptr) {
  EXPECT_EQ(topology::load_synthetic("bogus:3"), nullptr);
  EXPECT_EQ(topology::load_synthetic("pack:2 core:"), nullptr);
  EXPECT_EQ(topology::load_synthetic(nullptr), nullptr);
}

TEST(topology_test, core_mode_puts_one_processor_on_each_core_first_pu) {
  auto topo = topology::load_synthetic(two_sockets_smt);
  ASSERT_NE(topo, nullptr);
  std::vector<cpu_slot> slots = topo->place(16, pin_mode::core);
  ASSERT_EQ(slots.size(), 16u);
  for (int i = 0; i < 16; i++) {
    SCOPED_TRACE(i);
    const cpu_slot& s = slots[i];
    EXPECT_EQ(s.core, i);
    EXPECT_EQ(s.pu, 2 * i);
    EXPECT_EQ(s.pu_os, 2 * i);
    EXPECT_EQ(s.l3, i / 8);
    EXPECT_EQ(s.numa, i / 8);
    EXPECT_EQ(s.package, i / 8);
    EXPECT_TRUE(s.bind);
  }
}

TEST(topology_test, pu_mode_puts_smt_siblings_on_neighbouring_processors) {
  auto topo = topology::load_synthetic(two_sockets_smt);
  ASSERT_NE(topo, nullptr);
  std::vector<cpu_slot> slots = topo->place(32, pin_mode::pu);
  ASSERT_EQ(slots.size(), 32u);
  for (int i = 0; i < 32; i++) {
    SCOPED_TRACE(i);
    EXPECT_EQ(slots[i].pu, i);
    EXPECT_EQ(slots[i].pu_os, i);
    EXPECT_EQ(slots[i].core, i / 2);
    EXPECT_EQ(slots[i].numa, i / 16);
    EXPECT_EQ(slots[i].package, i / 16);
    EXPECT_TRUE(slots[i].bind);
  }
}

TEST(topology_test, core_mode_wraps_around_when_processors_exceed_cores) {
  auto topo = topology::load_synthetic(two_sockets_smt);
  ASSERT_NE(topo, nullptr);
  std::vector<cpu_slot> slots = topo->place(20, pin_mode::core);
  ASSERT_EQ(slots.size(), 20u);
  for (int i = 16; i < 20; i++) {
    SCOPED_TRACE(i);
    EXPECT_EQ(slots[i].core, i - 16);
    EXPECT_EQ(slots[i].pu_os, slots[i - 16].pu_os);
  }
  // Two processors on one core are each other's nearest victims.
  auto tiers = victim_tiers(slots);
  EXPECT_EQ(tiers[0][0], std::vector<int>{16});
  EXPECT_EQ(tiers[16][0], std::vector<int>{0});
  EXPECT_EQ(tiers[8][0], std::vector<int>{});
}

TEST(topology_test, pu_mode_wraps_around_when_processors_exceed_pus) {
  auto topo = topology::load_synthetic(four_sockets_no_l3);
  ASSERT_NE(topo, nullptr);
  std::vector<cpu_slot> slots = topo->place(18, pin_mode::pu);
  ASSERT_EQ(slots.size(), 18u);
  EXPECT_EQ(slots[16].pu_os, 0);
  EXPECT_EQ(slots[17].pu_os, 1);
}

TEST(topology_test, none_mode_keeps_core_positions_without_binding) {
  auto topo = topology::load_synthetic(two_sockets_smt);
  ASSERT_NE(topo, nullptr);
  std::vector<cpu_slot> none = topo->place(16, pin_mode::none);
  std::vector<cpu_slot> core = topo->place(16, pin_mode::core);
  ASSERT_EQ(none.size(), 16u);
  for (int i = 0; i < 16; i++) {
    SCOPED_TRACE(i);
    EXPECT_FALSE(none[i].bind);
    EXPECT_EQ(none[i].core, core[i].core);
    EXPECT_EQ(none[i].l3, core[i].l3);
    EXPECT_EQ(none[i].numa, core[i].numa);
  }
}

TEST(topology_test, place_zero_or_negative_processors_is_empty) {
  auto topo = topology::load_synthetic(two_sockets_smt);
  ASSERT_NE(topo, nullptr);
  EXPECT_TRUE(topo->place(0, pin_mode::core).empty());
  EXPECT_TRUE(topo->place(-1, pin_mode::pu).empty());
}

TEST(topology_test, pu_os_is_the_os_index_not_the_logical_index) {
  // Linux numbers SMT siblings N apart on many x86 machines: core 0 holds
  // CPUs 0 and 4.
  auto topo = topology::load_synthetic(
      "pack:1 [numa] core:4 pu:2(indexes=0,4,1,5,2,6,3,7)");
  ASSERT_NE(topo, nullptr);
  std::vector<cpu_slot> slots = topo->place(8, pin_mode::pu);
  ASSERT_EQ(slots.size(), 8u);
  EXPECT_EQ(slots[0].pu_os, 0);
  EXPECT_EQ(slots[1].pu_os, 4);
  EXPECT_EQ(slots[1].pu, 1);
  EXPECT_EQ(slots[1].core, 0);
  std::vector<cpu_slot> cores = topo->place(4, pin_mode::core);
  for (int i = 0; i < 4; i++) EXPECT_EQ(cores[i].pu_os, i);
}

TEST(topology_test, two_socket_core_mode_victim_tiers) {
  auto topo = topology::load_synthetic(two_sockets_smt);
  ASSERT_NE(topo, nullptr);
  auto tiers = victim_tiers(topo->place(16, pin_mode::core));
  ASSERT_EQ(tiers.size(), 16u);
  ASSERT_EQ(tiers[0].size(), static_cast<std::size_t>(victim_tier_count));
  // P0: its L3 (and NUMA node and package) holds P1..P7; P8..P15 are on
  // the other package.
  EXPECT_EQ(tiers[0][0], std::vector<int>{});
  EXPECT_EQ(tiers[0][1], range(1, 8));
  EXPECT_EQ(tiers[0][2], std::vector<int>{});
  EXPECT_EQ(tiers[0][3], std::vector<int>{});
  EXPECT_EQ(tiers[0][4], range(8, 16));
  // P8 is the mirror image.
  EXPECT_EQ(tiers[8][0], std::vector<int>{});
  EXPECT_EQ(tiers[8][1], range(9, 16));
  EXPECT_EQ(tiers[8][4], range(0, 8));
}

TEST(topology_test, two_socket_pu_mode_smt_sibling_is_tier_zero) {
  auto topo = topology::load_synthetic(two_sockets_smt);
  ASSERT_NE(topo, nullptr);
  auto tiers = victim_tiers(topo->place(32, pin_mode::pu));
  ASSERT_EQ(tiers.size(), 32u);
  EXPECT_EQ(tiers[0][0], std::vector<int>{1});
  EXPECT_EQ(tiers[0][1], range(2, 16));
  EXPECT_EQ(tiers[0][4], range(16, 32));
  EXPECT_EQ(tiers[1][0], std::vector<int>{0});
  EXPECT_EQ(tiers[1][1], range(2, 16));
  // P17 is the sibling of P16 on core 8.
  EXPECT_EQ(tiers[17][0], std::vector<int>{16});
  EXPECT_EQ(tiers[17][1], range(18, 32));
  EXPECT_EQ(tiers[17][4], range(0, 16));
}

TEST(topology_test, without_l3_tiers_fall_through_to_numa_and_package) {
  auto topo = topology::load_synthetic(four_sockets_no_l3);
  ASSERT_NE(topo, nullptr);
  EXPECT_EQ(topo->packages(), 4);
  EXPECT_EQ(topo->numa_nodes(), 4);
  EXPECT_EQ(topo->l3_caches(), 0);
  EXPECT_EQ(topo->cores(), 16);
  EXPECT_EQ(topo->pus(), 16);
  EXPECT_EQ(topo->describe(),
            "4 packages, 4 NUMA nodes, 0 L3s, 16 cores, 16 PUs");
  std::vector<cpu_slot> slots = topo->place(16, pin_mode::core);
  for (const cpu_slot& s : slots) EXPECT_EQ(s.l3, -1);
  auto tiers = victim_tiers(slots);
  EXPECT_EQ(tiers[5][0], std::vector<int>{});
  EXPECT_EQ(tiers[5][1], std::vector<int>{});
  EXPECT_EQ(tiers[5][2], (std::vector<int>{4, 6, 7}));
  EXPECT_EQ(tiers[5][3], std::vector<int>{});
  std::vector<int> rest = range(0, 4);
  for (int i = 8; i < 16; i++) rest.push_back(i);
  EXPECT_EQ(tiers[5][4], rest);
}

TEST(topology_test, l3_split_from_numa_gives_separate_tiers) {
  // Each package: one NUMA node over two L3s of 4 cores.
  auto topo = topology::load_synthetic("pack:2 [numa] l3:2 core:4 pu:2");
  ASSERT_NE(topo, nullptr);
  auto tiers = victim_tiers(topo->place(16, pin_mode::core));
  EXPECT_EQ(tiers[0][1], range(1, 4));
  EXPECT_EQ(tiers[0][2], range(4, 8));
  EXPECT_EQ(tiers[0][3], std::vector<int>{});
  EXPECT_EQ(tiers[0][4], range(8, 16));
}

TEST(topology_test, two_numa_nodes_per_package_give_package_tier) {
  // Sub-NUMA clustering: each package holds two NUMA nodes of 4 cores.
  auto topo = topology::load_synthetic("pack:2 group:2 [numa] core:4 pu:1");
  ASSERT_NE(topo, nullptr);
  EXPECT_EQ(topo->numa_nodes(), 4);
  std::vector<cpu_slot> slots = topo->place(16, pin_mode::core);
  for (int i = 0; i < 16; i++) EXPECT_EQ(slots[i].numa, i / 4);
  auto tiers = victim_tiers(slots);
  EXPECT_EQ(tiers[0][2], range(1, 4));
  EXPECT_EQ(tiers[0][3], range(4, 8));
  EXPECT_EQ(tiers[0][4], range(8, 16));
}

TEST(topology_test, unknown_places_put_everyone_in_the_last_tier) {
  std::vector<cpu_slot> slots(4);  // every field -1
  auto tiers = victim_tiers(slots);
  ASSERT_EQ(tiers.size(), 4u);
  for (int i = 0; i < 4; i++) {
    SCOPED_TRACE(i);
    ASSERT_EQ(tiers[i].size(), static_cast<std::size_t>(victim_tier_count));
    for (int t = 0; t < victim_tier_count - 1; t++) {
      EXPECT_TRUE(tiers[i][t].empty());
    }
    std::vector<int> others;
    for (int j = 0; j < 4; j++) {
      if (j != i) others.push_back(j);
    }
    EXPECT_EQ(tiers[i][victim_tier_count - 1], others);
  }
}

TEST(topology_test, victim_tiers_of_no_processors_is_empty) {
  EXPECT_TRUE(victim_tiers({}).empty());
  auto one = victim_tiers(std::vector<cpu_slot>(1));
  ASSERT_EQ(one.size(), 1u);
  for (const auto& tier : one[0]) EXPECT_TRUE(tier.empty());
}

TEST(topology_test, binding_to_a_synthetic_topology_does_nothing) {
  auto topo = topology::load_synthetic(two_sockets_smt);
  ASSERT_NE(topo, nullptr);
  std::vector<cpu_slot> slots = topo->place(1, pin_mode::core);
  ASSERT_TRUE(slots[0].bind);
  int before = cpus_allowed();
  EXPECT_FALSE(topo->bind_current_thread(slots[0]));
  EXPECT_EQ(cpus_allowed(), before);
}

TEST(topology_test, system_topology_loads) {
  auto topo = topology::load_system();
  ASSERT_NE(topo, nullptr);
  EXPECT_GE(topo->pus(), 1);
  EXPECT_GE(topo->cores(), 1);
  EXPECT_LE(topo->cores(), topo->pus());
  EXPECT_FALSE(topo->describe().empty());
  std::vector<cpu_slot> slots = topo->place(1, pin_mode::core);
  ASSERT_EQ(slots.size(), 1u);
  // Core mode always asks to bind; binding itself is skipped unless this
  // is the running system.
  EXPECT_TRUE(slots[0].bind);
  if (topo->is_this_system()) {
    EXPECT_GE(slots[0].core, 0);
  }
  EXPECT_GE(slots[0].pu_os, 0);
}

TEST(topology_test, system_topology_holds_exactly_the_allowed_cpus) {
  // Under `taskset -c 1` hwloc alone would still show every PU
  // (platform.md 4.4); load_system restricts to the affinity mask.
  auto topo = topology::load_system();
  ASSERT_NE(topo, nullptr);
  if (!topo->is_this_system()) GTEST_SKIP() << "HWLOC_* overrides the system";
  EXPECT_EQ(topo->pus(), cpus_allowed());
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  ASSERT_EQ(sched_getaffinity(0, sizeof allowed, &allowed), 0);
  for (const cpu_slot& s : topo->place(topo->pus(), pin_mode::pu)) {
    EXPECT_TRUE(CPU_ISSET(s.pu_os, &allowed)) << "PU P#" << s.pu_os;
  }
}

TEST(topology_test, loading_the_system_does_not_change_the_binding) {
  cpu_set_t before;
  CPU_ZERO(&before);
  ASSERT_EQ(sched_getaffinity(0, sizeof before, &before), 0);
  auto topo = topology::load_system();
  ASSERT_NE(topo, nullptr);
  cpu_set_t after;
  CPU_ZERO(&after);
  ASSERT_EQ(sched_getaffinity(0, sizeof after, &after), 0);
  EXPECT_TRUE(CPU_EQUAL(&before, &after));
}

TEST(topology_test, binding_a_thread_runs_it_on_the_slot_cpu) {
  auto topo = topology::load_system();
  ASSERT_NE(topo, nullptr);
  if (!topo->is_this_system()) GTEST_SKIP() << "HWLOC_* overrides the system";
  std::vector<cpu_slot> slots = topo->place(1, pin_mode::core);
  ASSERT_EQ(slots.size(), 1u);
  // A thread of its own, so that the test process keeps its binding.
  bool bound = false;
  int cpu = -1;
  int allowed = -1;
  std::thread t([&] {
    bound = topo->bind_current_thread(slots[0]);
    cpu = sched_getcpu();
    allowed = cpus_allowed();
  });
  t.join();
  EXPECT_TRUE(bound);
  EXPECT_EQ(cpu, slots[0].pu_os);
  EXPECT_EQ(allowed, 1);
}

TEST(topology_test, unbound_slot_does_not_bind) {
  auto topo = topology::load_system();
  ASSERT_NE(topo, nullptr);
  std::vector<cpu_slot> slots = topo->place(1, pin_mode::none);
  ASSERT_EQ(slots.size(), 1u);
  EXPECT_FALSE(slots[0].bind);
  int before = cpus_allowed();
  EXPECT_FALSE(topo->bind_current_thread(slots[0]));
  EXPECT_EQ(cpus_allowed(), before);
}

}  // namespace
}  // namespace gort::internal
