// tests/support/seed.hpp: reproducible randomness for stress tests.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include <gtest/gtest.h>

namespace gort_test {

// test_seed returns the seed for a randomised test: GORT_TEST_SEED if set
// (decimal or 0x hex), else a fresh random one. It prints the seed and
// records it as a test property, so that a failing run can be repeated
// with GORT_TEST_SEED=<seed>.
inline std::uint64_t test_seed() {
  std::uint64_t seed = 0;
  const char* env = std::getenv("GORT_TEST_SEED");
  if (env != nullptr && *env != '\0') {
    seed = std::strtoull(env, nullptr, 0);
  } else {
    std::random_device rd;
    seed = (std::uint64_t{rd()} << 32) ^ rd();
  }
  std::printf("[   seed   ] GORT_TEST_SEED=%llu reproduces this run\n",
              static_cast<unsigned long long>(seed));
  std::fflush(stdout);
  ::testing::Test::RecordProperty("seed", std::to_string(seed));
  return seed;
}

// mix is splitmix64: derives independent streams from one seed.
constexpr std::uint64_t mix(std::uint64_t x) noexcept {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace gort_test
