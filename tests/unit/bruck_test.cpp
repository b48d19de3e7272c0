#include <gtest/gtest.h>

#include <set>
#include <stdexcept>
#include <vector>

#include "topologies/bruck.hpp"

namespace fb::topo {
namespace {

TEST(Bruck, FiveRanksRankZeroAsDocumented) {
  EXPECT_EQ(bruck_steps(5), 3);
  const auto s0 = bruck_allgather_step(0, 5, 0);
  EXPECT_EQ(s0.send_to, 4);
  EXPECT_EQ(s0.recv_from, 1);
  EXPECT_EQ(s0.blocks, 1);
  EXPECT_EQ(s0.recv_first, 1);
  const auto s1 = bruck_allgather_step(0, 5, 1);
  EXPECT_EQ(s1.send_to, 3);
  EXPECT_EQ(s1.recv_from, 2);
  EXPECT_EQ(s1.blocks, 2);
  EXPECT_EQ(s1.recv_first, 2);
  const auto s2 = bruck_allgather_step(0, 5, 2);
  EXPECT_EQ(s2.send_to, 1);
  EXPECT_EQ(s2.recv_from, 4);
  EXPECT_EQ(s2.blocks, 1);
  EXPECT_EQ(s2.send_first, 0);
  EXPECT_EQ(s2.recv_first, 4);
}

TEST(Bruck, StepsAreCeilLog2) {
  EXPECT_EQ(bruck_steps(1), 0);
  EXPECT_EQ(bruck_steps(2), 1);
  EXPECT_EQ(bruck_steps(3), 2);
  EXPECT_EQ(bruck_steps(4), 2);
  EXPECT_EQ(bruck_steps(7), 3);
  EXPECT_EQ(bruck_steps(8), 3);
  EXPECT_EQ(bruck_steps(9), 4);
}

TEST(Bruck, RunsSplitOnlyAtTheWrap) {
  EXPECT_EQ(wrapped_runs(2, 0, 5).size, 0);
  const auto one = wrapped_runs(1, 3, 5);
  ASSERT_EQ(one.size, 1);
  EXPECT_EQ(one.runs[0].first, 1);
  EXPECT_EQ(one.runs[0].count, 3);
  const auto two = wrapped_runs(3, 4, 5);
  ASSERT_EQ(two.size, 2);
  EXPECT_EQ(two.runs[0].first, 3);
  EXPECT_EQ(two.runs[0].count, 2);
  EXPECT_EQ(two.runs[1].first, 0);
  EXPECT_EQ(two.runs[1].count, 2);
  EXPECT_EQ(bruck_block(3, 4, 5), 2);
}

// Every rank count: the steps, run on sets of blocks, give every rank every block exactly
// once; what a rank sends is what its receiver expects, and it already holds it.
TEST(Bruck, AllGatherOnThePatternGivesEveryRankEveryBlockOnce) {
  for (int n = 1; n <= 40; ++n) {
    std::vector<std::multiset<int>> held(static_cast<std::size_t>(n));
    for (int r = 0; r < n; ++r)
      held[static_cast<std::size_t>(r)].insert(r);
    for (int s = 0; s < bruck_steps(n); ++s) {
      auto next = held;
      for (int r = 0; r < n; ++r) {
        const auto step = bruck_allgather_step(r, n, s);
        const auto peer = bruck_allgather_step(step.recv_from, n, s);
        EXPECT_EQ(peer.send_to, r);
        EXPECT_EQ(peer.send_first, step.recv_first);
        EXPECT_EQ(peer.blocks, step.blocks);
        for (const auto& run : wrapped_runs(peer.send_first, peer.blocks, n)) {
          for (int b = run.first; b < run.first + run.count; ++b) {
            EXPECT_EQ(held[static_cast<std::size_t>(step.recv_from)].count(b), 1U);
            next[static_cast<std::size_t>(r)].insert(b);
          }
        }
      }
      held = next;
    }
    for (int r = 0; r < n; ++r) {
      for (int b = 0; b < n; ++b)
        EXPECT_EQ(held[static_cast<std::size_t>(r)].count(b), 1U) << "n=" << n << " rank " << r;
    }
  }
}

TEST(Bruck, RejectsBadArguments) {
  EXPECT_THROW(bruck_steps(0), std::invalid_argument);
  EXPECT_THROW(bruck_allgather_step(0, 4, 2), std::invalid_argument);
  EXPECT_THROW(bruck_allgather_step(4, 4, 0), std::invalid_argument);
  EXPECT_THROW(wrapped_runs(0, 6, 5), std::invalid_argument);
}

}  // namespace
}  // namespace fb::topo
