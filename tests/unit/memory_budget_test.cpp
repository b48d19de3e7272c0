// The memory check that refuses a plan the machine cannot hold.
#include "harness/memory_budget.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace fb {
namespace {

constexpr std::uint64_t kGiB = std::uint64_t{1} << 30;

TEST(MemoryBudget, ParsesMemAvailable) {
  const std::string meminfo =
      "MemTotal:       24600000 kB\nMemFree:         1000000 kB\nMemAvailable:   20000000 kB\n";
  EXPECT_EQ(parse_mem_available(meminfo), std::uint64_t{20000000} * 1024);
  EXPECT_EQ(parse_mem_available("MemTotal: 5 kB\n"), std::nullopt);
}

TEST(MemoryBudget, ParsesCgroupLimits) {
  EXPECT_EQ(parse_cgroup_limit("max\n"), std::nullopt);
  EXPECT_EQ(parse_cgroup_limit("4294967296\n"), std::uint64_t{4294967296});
  // cgroup v1 spells "no limit" as a huge page-rounded number.
  EXPECT_EQ(parse_cgroup_limit("9223372036854771712\n"), std::nullopt);
  EXPECT_EQ(parse_cgroup_limit(""), std::nullopt);
}

TEST(MemoryBudget, ThreeBuffersPerRankAtTheLargestSize) {
  std::vector<SeriesPlan> plan(1);
  EXPECT_EQ(plan_memory_bytes(8 * kGiB, plan), 24 * kGiB);
  EXPECT_EQ(plan_memory_bytes(8 * kGiB, {}), 0U);
}

TEST(MemoryBudget, RanksOfOneMachineAddUp) {
  // 2 ranks x 12 GiB on one machine with 20 GiB free: refused, with the figures.
  const std::vector<MachineDemand> ranks = {{"boot-a", "node1", 12 * kGiB, 20 * kGiB},
                                            {"boot-a", "node1", 12 * kGiB, 20 * kGiB}};
  const auto why = memory_shortfall(ranks, 4 * kGiB);
  EXPECT_NE(why.find("needs 24.0 GiB of memory on host node1"), std::string::npos) << why;
  EXPECT_NE(why.find("2 ranks x 12.0 GiB"), std::string::npos) << why;
  EXPECT_NE(why.find("only 20.0 GiB is available"), std::string::npos) << why;
}

TEST(MemoryBudget, RanksOnSeparateMachinesFit) {
  const std::vector<MachineDemand> ranks = {{"boot-a", "node1", 12 * kGiB, 20 * kGiB},
                                            {"boot-b", "node2", 12 * kGiB, 20 * kGiB}};
  EXPECT_EQ(memory_shortfall(ranks, 4 * kGiB), "");
}

TEST(MemoryBudget, UnknownAvailabilityIsNotRefused) {
  const std::vector<MachineDemand> ranks = {{"boot-a", "node1", 1000 * kGiB, std::nullopt}};
  EXPECT_EQ(memory_shortfall(ranks, 300 * kGiB), "");
}

TEST(MemoryBudget, TheSmallestReadingOfAMachineCounts) {
  const std::vector<MachineDemand> ranks = {{"boot-a", "node1", 6 * kGiB, 20 * kGiB},
                                            {"boot-a", "node1", 6 * kGiB, 10 * kGiB}};
  EXPECT_NE(memory_shortfall(ranks, 2 * kGiB), "");
}

}  // namespace
}  // namespace fb
