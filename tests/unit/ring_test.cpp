#include <gtest/gtest.h>

#include "topologies/ring.hpp"

namespace fb::topo {
namespace {

TEST(Ring, NeighboursWrapAround) {
  EXPECT_EQ(ring_neighbours(0, 1).left, 0);
  EXPECT_EQ(ring_neighbours(0, 1).right, 0);
  EXPECT_EQ(ring_neighbours(0, 4).left, 3);
  EXPECT_EQ(ring_neighbours(0, 4).right, 1);
  EXPECT_EQ(ring_neighbours(3, 4).right, 0);
  EXPECT_EQ(ring_neighbours(2, 5).left, 1);
}

TEST(Ring, EveryRankIsTheLeftOfItsRight) {
  for (int n = 1; n <= 64; ++n) {
    for (int r = 0; r < n; ++r) {
      EXPECT_EQ(ring_neighbours(ring_neighbours(r, n).right, n).left, r) << "n=" << n;
    }
  }
}

TEST(Ring, RejectsBadRanks) {
  EXPECT_THROW(ring_neighbours(4, 4), std::invalid_argument);
  EXPECT_THROW(ring_neighbours(0, 0), std::invalid_argument);
  EXPECT_THROW(ring_block(10, 3, 3), std::invalid_argument);
}

TEST(Ring, BlocksTileTheBufferAndDifferByAtMostOne) {
  for (int n = 1; n <= 17; ++n) {
    for (std::size_t count : {0UL, 1UL, 2UL, 7UL, 16UL, 1000003UL}) {
      std::size_t next = 0;
      std::size_t smallest = count, largest = 0;
      for (int b = 0; b < n; ++b) {
        const auto block = ring_block(count, n, b);
        EXPECT_EQ(block.offset, next) << "n=" << n << " count=" << count << " b=" << b;
        next += block.count;
        smallest = std::min(smallest, block.count);
        largest = std::max(largest, block.count);
        if (b > 0) {
          EXPECT_LE(block.count, ring_block(count, n, b - 1).count);
        }
      }
      EXPECT_EQ(next, count);
      EXPECT_LE(largest - smallest, 1U);
    }
  }
}

TEST(Ring, UnevenSplitPutsExtraElementsFirst) {
  EXPECT_EQ(ring_block(10, 3, 0).count, 4U);
  EXPECT_EQ(ring_block(10, 3, 1).offset, 4U);
  EXPECT_EQ(ring_block(10, 3, 1).count, 3U);
  EXPECT_EQ(ring_block(10, 3, 2).offset, 7U);
  EXPECT_EQ(ring_block(2, 5, 4).count, 0U);
  EXPECT_EQ(ring_block(2, 5, 4).offset, 2U);
}

TEST(Ring, Wrap) {
  EXPECT_EQ(wrap(-1, 5), 4);
  EXPECT_EQ(wrap(-11, 5), 4);
  EXPECT_EQ(wrap(7, 5), 2);
}

}  // namespace
}  // namespace fb::topo
