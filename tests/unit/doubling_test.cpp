#include <gtest/gtest.h>

#include <set>
#include <stdexcept>
#include <vector>

#include "topologies/doubling.hpp"

namespace fb::topo {
namespace {

TEST(Doubling, SixRanksFoldTwoPairsOntoFourParticipants) {
  const std::vector<int> participant{-1, 0, -1, 1, 2, 3};
  const std::vector<int> partner{1, 0, 3, 2, -1, -1};
  for (int r = 0; r < 6; ++r) {
    const auto f = doubling_fold(r, 6);
    EXPECT_EQ(f.participants, 4);
    EXPECT_EQ(f.folded, 2);
    EXPECT_EQ(f.steps, 2);
    EXPECT_EQ(f.participant, participant[static_cast<std::size_t>(r)]) << "rank " << r;
    EXPECT_EQ(f.fold_partner, partner[static_cast<std::size_t>(r)]) << "rank " << r;
  }
  EXPECT_EQ(doubling_real_rank(0, 6), 1);
  EXPECT_EQ(doubling_real_rank(1, 6), 3);
  EXPECT_EQ(doubling_real_rank(2, 6), 4);
  EXPECT_EQ(doubling_real_rank(3, 6), 5);
  // Step 1 pairs real ranks 1 with 4 and 3 with 5.
  EXPECT_EQ(doubling_real_rank(doubling_partner(0, 1), 6), 4);
  EXPECT_EQ(doubling_real_rank(doubling_partner(1, 1), 6), 5);
}

TEST(Doubling, PowersOfTwoFoldNothing) {
  for (int n : {1, 2, 4, 8, 16}) {
    for (int r = 0; r < n; ++r) {
      const auto f = doubling_fold(r, n);
      EXPECT_EQ(f.participant, r);
      EXPECT_EQ(f.fold_partner, -1);
      EXPECT_EQ(f.folded, 0);
    }
  }
  EXPECT_EQ(doubling_fold(0, 1).steps, 0);
  EXPECT_EQ(doubling_fold(0, 16).steps, 4);
}

// Every rank count: an all-reduce run on the pattern (fold, steps, hand back) leaves every
// rank with every contribution, and each contribution counted once.
TEST(Doubling, AllReduceOnThePatternReachesEveryRankOnce) {
  for (int n = 1; n <= 33; ++n) {
    std::vector<std::multiset<int>> held(static_cast<std::size_t>(n));
    for (int r = 0; r < n; ++r)
      held[static_cast<std::size_t>(r)].insert(r);
    for (int r = 0; r < n; ++r) {  // fold: the odd rank adds its even partner's data
      const auto f = doubling_fold(r, n);
      if (!f.folded_out() && f.fold_partner >= 0)
        held[static_cast<std::size_t>(r)].insert(f.fold_partner);
    }
    const auto f0 = doubling_fold(0, n);
    for (int s = 0; s < f0.steps; ++s) {
      auto next = held;
      for (int v = 0; v < f0.participants; ++v) {
        const int me = doubling_real_rank(v, n);
        const int peer = doubling_real_rank(doubling_partner(v, s), n);
        EXPECT_EQ(doubling_partner(doubling_partner(v, s), s), v);
        for (int x : held[static_cast<std::size_t>(peer)])
          next[static_cast<std::size_t>(me)].insert(x);
      }
      held = next;
    }
    for (int r = 0; r < n; ++r) {  // hand back
      const auto f = doubling_fold(r, n);
      if (f.folded_out())
        held[static_cast<std::size_t>(r)] = held[static_cast<std::size_t>(f.fold_partner)];
    }
    for (int r = 0; r < n; ++r) {
      const auto& h = held[static_cast<std::size_t>(r)];
      EXPECT_EQ(h.size(), static_cast<std::size_t>(n)) << "n=" << n << " rank " << r;
      for (int x = 0; x < n; ++x)
        EXPECT_EQ(h.count(x), 1U) << "n=" << n << " rank " << r << " contribution " << x;
    }
  }
}

// The all-gather moves a participant group's real ranks as one run: the groups tile the
// ranks in order, and the partner's group is the neighbouring run.
TEST(Doubling, HeldGroupsAreContiguousRunsOfRealRanks) {
  for (int n = 1; n <= 33; ++n) {
    const auto f = doubling_fold(0, n);
    EXPECT_EQ(doubling_first_rank(0, n), 0);
    EXPECT_EQ(doubling_first_rank(f.participants, n), n);
    for (int v = 0; v < f.participants; ++v) {
      const int width = doubling_first_rank(v + 1, n) - doubling_first_rank(v, n);
      EXPECT_EQ(width, v < f.folded ? 2 : 1) << "n=" << n << " participant " << v;
      EXPECT_GE(doubling_real_rank(v, n), doubling_first_rank(v, n));
      EXPECT_LT(doubling_real_rank(v, n), doubling_first_rank(v + 1, n));
      for (int s = 0; s < f.steps; ++s) {
        const auto mine = doubling_held(v, s);
        const auto theirs = doubling_held(doubling_partner(v, s), s);
        EXPECT_TRUE(mine.hi == theirs.lo || theirs.hi == mine.lo);
        EXPECT_EQ(doubling_held(v, s + 1).lo, std::min(mine.lo, theirs.lo));
        EXPECT_EQ(doubling_held(v, s + 1).hi, std::max(mine.hi, theirs.hi));
      }
    }
  }
  EXPECT_EQ(doubling_held(5, 0).lo, 5);
  EXPECT_EQ(doubling_held(5, 2).lo, 4);
  EXPECT_EQ(doubling_held(5, 2).hi, 8);
}

TEST(Doubling, RejectsBadArguments) {
  EXPECT_THROW(doubling_fold(3, 3), std::invalid_argument);
  EXPECT_THROW(doubling_fold(0, 0), std::invalid_argument);
  EXPECT_THROW(doubling_real_rank(4, 6), std::invalid_argument);
  EXPECT_THROW(doubling_partner(-1, 0), std::invalid_argument);
}

}  // namespace
}  // namespace fb::topo
