#include <gtest/gtest.h>

#include <vector>

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

// The table of topologies/ring.hpp for n = 4, rank 1, step 0 and 2.
TEST(RingStep, BlocksOfEachPhase) {
  using enum RingPhase;
  EXPECT_EQ(ring_step(reduce_scatter, true, 1, 4, 0).send, 1);
  EXPECT_EQ(ring_step(reduce_scatter, true, 1, 4, 0).recv, 0);
  EXPECT_EQ(ring_step(reduce_scatter, true, 1, 4, 2).send, 3);
  EXPECT_EQ(ring_step(all_gather, true, 1, 4, 0).send, 2);
  EXPECT_EQ(ring_step(all_gather, true, 1, 4, 0).recv, 1);
  EXPECT_EQ(ring_step(reduce_scatter, false, 1, 4, 0).send, 0);
  EXPECT_EQ(ring_step(reduce_scatter, false, 1, 4, 0).recv, 3);
  EXPECT_EQ(ring_step(all_gather, false, 1, 4, 0).send, 1);
  EXPECT_EQ(ring_step(all_gather, false, 1, 4, 2).recv, 2);
}

// Every step receives what the left neighbour sends; a reduce-scatter ends on the block the
// rank owns (r stand-alone, r + 1 in an all-reduce), which is where the all-gather starts,
// and an all-gather receives every other block exactly once.
TEST(RingStep, NeighboursAgreeAndPhasesMeet) {
  using enum RingPhase;
  for (int n = 2; n <= 17; ++n) {
    for (int r = 0; r < n; ++r) {
      const int left = ring_neighbours(r, n).left;
      for (const bool in_allreduce : {false, true}) {
        std::vector<int> received(static_cast<std::size_t>(n), 0);
        for (int s = 0; s + 1 < n; ++s) {
          for (const auto phase : {reduce_scatter, all_gather}) {
            EXPECT_EQ(ring_step(phase, in_allreduce, r, n, s).recv,
                      ring_step(phase, in_allreduce, left, n, s).send)
                << "n=" << n << " r=" << r << " s=" << s;
          }
          ++received[static_cast<std::size_t>(ring_step(all_gather, in_allreduce, r, n, s).recv)];
        }
        const int owned = wrap(r + (in_allreduce ? 1 : 0), n);
        EXPECT_EQ(ring_step(reduce_scatter, in_allreduce, r, n, n - 2).recv, owned);
        EXPECT_EQ(ring_step(all_gather, in_allreduce, r, n, 0).send, owned);
        for (int b = 0; b < n; ++b)
          EXPECT_EQ(received[static_cast<std::size_t>(b)], b == owned ? 0 : 1) << "block " << b;
      }
    }
  }
}

}  // namespace
}  // namespace fb::topo
