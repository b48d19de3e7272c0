#include <gtest/gtest.h>

#include <set>

#include "topologies/tournament.hpp"

namespace fb::topo {
namespace {

TEST(Tournament, EveryPairOnceEveryRankAtMostOncePerRound) {
  for (int n = 1; n <= 33; ++n) {
    const auto rounds = round_robin_rounds(n);
    EXPECT_EQ(static_cast<int>(rounds.size()), n == 1 ? 0 : (n % 2 == 0 ? n - 1 : n)) << n;
    std::set<std::pair<int, int>> seen;
    for (const auto& round : rounds) {
      std::set<int> busy;
      for (const auto& [a, b] : round) {
        EXPECT_LT(a, b);
        EXPECT_GE(a, 0);
        EXPECT_LT(b, n);
        EXPECT_TRUE(busy.insert(a).second) << "rank " << a << " twice in a round, n=" << n;
        EXPECT_TRUE(busy.insert(b).second) << "rank " << b << " twice in a round, n=" << n;
        EXPECT_TRUE(seen.insert({a, b}).second) << "pair " << a << "-" << b << " twice, n=" << n;
      }
      // Even n: every rank plays every round; odd n: exactly one rests.
      EXPECT_EQ(static_cast<int>(busy.size()), n % 2 == 0 ? n : n - 1) << n;
    }
    EXPECT_EQ(static_cast<int>(seen.size()), n * (n - 1) / 2) << n;
  }
}

TEST(Tournament, RejectsNoRanks) {
  EXPECT_THROW(round_robin_rounds(0), std::invalid_argument);
}

}  // namespace
}  // namespace fb::topo
