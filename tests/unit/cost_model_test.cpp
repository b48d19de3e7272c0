// Cost formulas (topologies/cost_model.hpp) against coefficients worked by hand.
#include "topologies/cost_model.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace {

using fb::topo::CostCoefficients;

void expect_coefficients(const CostCoefficients& c, double a, double b, double g) {
  EXPECT_DOUBLE_EQ(c.a, a);
  EXPECT_DOUBLE_EQ(c.b, b);
  EXPECT_DOUBLE_EQ(c.g, g);
}

constexpr std::int64_t kKiB = 1024;
constexpr std::int64_t kMiB = 1024 * kKiB;

TEST(CostModel, Logarithms) {
  EXPECT_EQ(fb::topo::floor_log2(1), 0);
  EXPECT_EQ(fb::topo::floor_log2(5), 2);
  EXPECT_EQ(fb::topo::floor_log2(8), 3);
  EXPECT_EQ(fb::topo::ceil_log2(5), 3);
  EXPECT_EQ(fb::topo::ceil_log2(8), 3);
  EXPECT_EQ(fb::topo::ceil_log2(100000), 17);
}

TEST(CostModel, RingFamily) {
  // 2(p-1) a + 2(p-1)/p n b + (p-1)/p n g
  expect_coefficients(fb::topo::ring_allreduce(2), 2, 1, 0.5);
  expect_coefficients(fb::topo::ring_allreduce(4), 6, 1.5, 0.75);
  expect_coefficients(fb::topo::ring_reducescatter(4), 3, 0.75, 0.75);
  expect_coefficients(fb::topo::ring_allgather(4), 3, 0.75, 0);
  expect_coefficients(fb::topo::ring_sendrecv(), 1, 1, 0);
}

TEST(CostModel, RabenseifnerAndRecursiveDoubling) {
  expect_coefficients(fb::topo::rabenseifner_allreduce(4), 4, 1.5, 0.75);
  expect_coefficients(fb::topo::rabenseifner_allreduce(8), 6, 1.75, 0.875);
  // p = 6: q = 4 plus the fold-in (a + n b + n g) and the hand-back (a + n b).
  expect_coefficients(fb::topo::rabenseifner_allreduce(6), 6, 3.5, 1.75);
  expect_coefficients(fb::topo::recursive_doubling_allreduce(8), 3, 3, 3);
  expect_coefficients(fb::topo::recursive_doubling_allreduce(5), 4, 4, 3);
}

TEST(CostModel, PipelinedTrees) {
  // Binomial, p = 8 (d = 3), 1 MiB in 4 chunks of 256 KiB: d k = 12 messages, d n bytes.
  expect_coefficients(fb::topo::binomial_broadcast(8, kMiB, 256 * kKiB), 12, 3, 0);
  expect_coefficients(fb::topo::binomial_reduce(8, kMiB, 256 * kKiB), 12, 3, 3);
  // One chunk: the classic ceil(log2 p)(a + n b).
  expect_coefficients(fb::topo::binomial_broadcast(5, 100, 256 * kKiB), 3, 3, 0);
  // Chain, p = 4, k = 4: (p-1+k-1) = 6 steps of n/4.
  expect_coefficients(fb::topo::chain_broadcast(4, kMiB, 256 * kKiB), 6, 1.5, 0);
  expect_coefficients(fb::topo::chain_reduce(4, kMiB, 256 * kKiB), 6, 1.5, 1.5);
}

TEST(CostModel, DoubleBinaryTree) {
  // p = 2: each rank is the root of one tree and the leaf of the other; one chunk per tree
  // goes up, then down: 2 steps of n/2, one child's half reduced.
  expect_coefficients(fb::topo::double_tree_allreduce(2, 512 * kKiB, 256 * kKiB), 2, 1, 0.5);
  // p = 4: ranks 1 and 2 are inner nodes (2 children) of one tree and leaves of the other:
  // m = 4 chunks per chunk index, D = 2. k = 1: 4 steps; k = 4 (2 MiB): 4*3 + 4 = 16 steps
  // of n/8.
  expect_coefficients(fb::topo::double_tree_allreduce(4, 512 * kKiB, 256 * kKiB), 4, 2, 1);
  expect_coefficients(fb::topo::double_tree_allreduce(4, 2 * kMiB, 256 * kKiB), 16, 2, 1);
  // p = 16, one chunk: D = 4, 8 steps of n/2.
  expect_coefficients(fb::topo::double_tree_allreduce(16, kMiB, kMiB), 8, 4, 1);
}

TEST(CostModel, AllToAll) {
  expect_coefficients(fb::topo::pairwise_alltoall(4), 3, 0.75, 0);
  expect_coefficients(fb::topo::bruck_alltoall(5), 3, 1.5, 0);
}

TEST(CostModel, LatencyAlgorithms) {
  expect_coefficients(fb::topo::bruck_allgather(5), 3, 0.8, 0);
  expect_coefficients(fb::topo::recursive_doubling_allgather(4), 2, 0.75, 0);
  // 6 ranks: 2 steps on 4 participants, plus the fold-in of one block and the hand-back.
  expect_coefficients(fb::topo::recursive_doubling_allgather(6), 4, 5.0 / 6 + 1 + 1.0 / 6, 0);
  // 9 ranks, radix 3: 2 levels of 2 children each; radix 4: 2 levels of 3.
  expect_coefficients(fb::topo::knomial_broadcast(9, 3), 4, 4, 0);
  expect_coefficients(fb::topo::knomial_reduce(9, 4), 6, 6, 6);
  expect_coefficients(fb::topo::scatter_allgather_broadcast(4), 5, 1.5, 0);
  // The radix recorded in the series is used.
  expect_coefficients(
      fb::topo::algorithm_cost("broadcast", "knomial", 9, kMiB, {{"radix", 3}})->coefficients, 4, 4,
      0);
  EXPECT_TRUE(fb::topo::algorithm_cost("allgather", "bruck", 4, kMiB, {}).has_value());
  EXPECT_FALSE(fb::topo::algorithm_cost("reduce", "scatter-allgather", 4, kMiB, {}).has_value());
}

TEST(CostModel, RegistryNamesAndParameters) {
  const auto ring = fb::topo::algorithm_cost("allreduce", "ring", 4, kMiB, {});
  ASSERT_TRUE(ring.has_value());
  expect_coefficients(ring->coefficients, 6, 1.5, 0.75);
  EXPECT_NE(ring->formula.find("2(p-1)"), std::string::npos);
  // The chunk recorded in the series is used: 1 MiB in 512 KiB chunks on a chain of 4.
  const auto chain =
      fb::topo::algorithm_cost("broadcast", "chain", 4, kMiB, {{"chunk_bytes", 512 * kKiB}});
  ASSERT_TRUE(chain.has_value());
  expect_coefficients(chain->coefficients, 4, 2, 0);
  // Without one, the pipelines' default of 256 KiB.
  expect_coefficients(fb::topo::algorithm_cost("broadcast", "chain", 4, kMiB, {})->coefficients, 6,
                      1.5, 0);
  expect_coefficients(
      fb::topo::algorithm_cost("allreduce", "halving-doubling", 6, kMiB, {})->coefficients, 6, 3.5,
      1.75);
  expect_coefficients(fb::topo::algorithm_cost("alltoall", "pairwise", 4, kMiB, {})->coefficients,
                      3, 0.75, 0);
  EXPECT_FALSE(fb::topo::algorithm_cost("allreduce", "mpi", 4, kMiB, {}).has_value());
  EXPECT_FALSE(fb::topo::algorithm_cost("allreduce", "auto", 4, kMiB, {}).has_value());
  EXPECT_FALSE(fb::topo::algorithm_cost("nonsense", "ring", 4, kMiB, {}).has_value());
}

TEST(CostModel, BusBandwidthFactors) {
  EXPECT_DOUBLE_EQ(*fb::topo::busbw_factor("allreduce", 4), 1.5);
  EXPECT_DOUBLE_EQ(*fb::topo::busbw_factor("allgather", 4), 0.75);
  EXPECT_DOUBLE_EQ(*fb::topo::busbw_factor("broadcast", 4), 1.0);
  EXPECT_FALSE(fb::topo::busbw_factor("nonsense", 4).has_value());
}

TEST(CostModel, RefusesFewerThanTwoRanks) {
  EXPECT_THROW(fb::topo::ring_allreduce(1), std::invalid_argument);
  EXPECT_THROW(fb::topo::double_tree_allreduce(0, 8, 8), std::invalid_argument);
}

}  // namespace
