#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

#include "topologies/halving_doubling.hpp"

namespace fb::topo {
namespace {

using Role = HdFold::Role;

// n = 6: p = 4, ranks 0..3 fold in pairs (0 -> 1, 2 -> 3); participants 1, 3, 4, 5.
TEST(HalvingDoubling, FoldOfSixRanks) {
  const auto f0 = hd_fold(0, 6);
  EXPECT_EQ(f0.p, 4);
  EXPECT_EQ(f0.rem, 2);
  EXPECT_EQ(f0.role, Role::hands_over);
  EXPECT_EQ(f0.partner, 1);
  EXPECT_EQ(f0.new_rank, -1);
  const auto f3 = hd_fold(3, 6);
  EXPECT_EQ(f3.role, Role::takes_in);
  EXPECT_EQ(f3.partner, 2);
  EXPECT_EQ(f3.new_rank, 1);
  const auto f4 = hd_fold(4, 6);
  EXPECT_EQ(f4.role, Role::plain);
  EXPECT_EQ(f4.partner, -1);
  EXPECT_EQ(f4.new_rank, 2);
  EXPECT_EQ(hd_real_rank(0, 6), 1);
  EXPECT_EQ(hd_real_rank(1, 6), 3);
  EXPECT_EQ(hd_real_rank(2, 6), 4);
  EXPECT_EQ(hd_real_rank(3, 6), 5);
  EXPECT_THROW(hd_fold(6, 6), std::invalid_argument);
  EXPECT_THROW(hd_real_rank(4, 6), std::invalid_argument);
}

// The partners of the n = 6 diagram: halving d=2: 1 <-> 4, 3 <-> 5; d=1: 1 <-> 3, 4 <-> 5.
TEST(HalvingDoubling, PartnersOfSixRanks) {
  EXPECT_EQ(hd_halving_step(0, 6, {0, 4}, 2).partner, 4);
  EXPECT_EQ(hd_halving_step(1, 6, {0, 4}, 2).partner, 5);
  EXPECT_EQ(hd_halving_step(0, 6, {0, 2}, 1).partner, 3);
  EXPECT_EQ(hd_halving_step(2, 6, {2, 4}, 1).partner, 5);
  const auto h = hd_halving_step(2, 6, {0, 4}, 2);  // bit 2 set: keeps the upper half
  EXPECT_EQ(h.keep, (BlockRange{2, 4}));
  EXPECT_EQ(h.give, (BlockRange{0, 2}));
  const auto g = hd_doubling_step(3, 6, {3, 4}, 1);  // bit 1 set: the partner is below
  EXPECT_EQ(g.partner, 4);
  EXPECT_EQ(g.other, (BlockRange{2, 3}));
  EXPECT_EQ(g.merged, (BlockRange{2, 4}));
}

// For every n, folded or not: every rank is in exactly one role, pairs name each other,
// partners of every step name each other and swap complementary halves, halving leaves
// participant i with block i, and doubling brings back the whole range.
TEST(HalvingDoubling, StepsAreConsistentForEveryRankCount) {
  for (int n = 1; n <= 40; ++n) {
    std::vector<int> participants;
    for (int r = 0; r < n; ++r) {
      const auto f = hd_fold(r, n);
      EXPECT_EQ(f.p + f.rem, n);
      EXPECT_EQ(f.p & (f.p - 1), 0) << "p=" << f.p;
      if (f.role != Role::plain) {
        EXPECT_EQ(hd_fold(f.partner, n).partner, r) << "n=" << n;
      }
      if (f.new_rank >= 0) {
        EXPECT_EQ(hd_real_rank(f.new_rank, n), r);
        participants.push_back(f.new_rank);
      }
    }
    const int p = hd_fold(0, n).p;
    ASSERT_EQ(static_cast<int>(participants.size()), p) << "n=" << n;
    for (int me = 0; me < p; ++me) {
      BlockRange range{0, p};
      for (int d = p / 2; d >= 1; d /= 2) {
        const auto h = hd_halving_step(me, n, range, d);
        const int partner = hd_fold(h.partner, n).new_rank;
        const auto theirs = hd_halving_step(partner, n, range, d);
        EXPECT_EQ(hd_real_rank(me, n), theirs.partner);
        EXPECT_EQ(h.give, theirs.keep);
        EXPECT_EQ(h.keep, theirs.give);
        range = h.keep;
      }
      EXPECT_EQ(range, (BlockRange{me, me + 1})) << "n=" << n << " participant " << me;
      for (int d = 1; d < p; d *= 2) {
        const auto g = hd_doubling_step(me, n, range, d);
        EXPECT_EQ(hd_fold(g.partner, n).new_rank, me ^ d);
        EXPECT_EQ(g.merged.hi - g.merged.lo, 2 * (range.hi - range.lo));
        range = g.merged;
      }
      EXPECT_EQ(range, (BlockRange{0, p}));
    }
  }
}

}  // namespace
}  // namespace fb::topo
