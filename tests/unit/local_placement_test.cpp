// Local rank and rank count per machine, from every rank's machine id.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "transports/local_placement.hpp"

namespace fb {
namespace {

TEST(LocalPlacement, CountsRanksOfTheSameMachineInRankOrder) {
  const std::vector<std::string> machines = {"a", "b", "a", "a", "b"};
  EXPECT_EQ(local_placement(machines, 0).local_rank, 0);
  EXPECT_EQ(local_placement(machines, 2).local_rank, 1);
  EXPECT_EQ(local_placement(machines, 3).local_rank, 2);
  EXPECT_EQ(local_placement(machines, 3).local_ranks, 3);
  EXPECT_EQ(local_placement(machines, 4).local_rank, 1);
  EXPECT_EQ(local_placement(machines, 4).local_ranks, 2);
  EXPECT_GE(local_placement(machines, 0).cores, 1);
}

TEST(LocalPlacement, OversubscribedWhenRanksExceedCores) {
  LocalPlacement placement;
  placement.cores = 2;
  placement.local_ranks = 2;
  EXPECT_FALSE(placement.oversubscribed());
  placement.local_ranks = 3;
  EXPECT_TRUE(placement.oversubscribed());
  const long cores = local_placement({"m"}, 0).cores;
  const std::vector<std::string> crowd(static_cast<std::size_t>(cores) + 1, "m");
  EXPECT_TRUE(local_placement(crowd, 0).oversubscribed());
  EXPECT_FALSE(local_placement(std::vector<std::string>(static_cast<std::size_t>(cores), "m"), 0)
                   .oversubscribed());
}

}  // namespace
}  // namespace fb
