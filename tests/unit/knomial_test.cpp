#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

#include "topologies/knomial.hpp"

namespace fb::topo {
namespace {

std::vector<int> child_ranks(const KnomialNode& node) {
  std::vector<int> ranks;
  for (const auto& c : node.children)
    ranks.push_back(c.rank);
  return ranks;
}

TEST(Knomial, NineRanksRadixThreeAsDocumented) {
  EXPECT_EQ(child_ranks(knomial_node(0, 0, 9, 3)), (std::vector<int>{3, 6, 1, 2}));
  EXPECT_EQ(child_ranks(knomial_node(3, 0, 9, 3)), (std::vector<int>{4, 5}));
  EXPECT_EQ(child_ranks(knomial_node(6, 0, 9, 3)), (std::vector<int>{7, 8}));
  EXPECT_EQ(knomial_node(8, 0, 9, 3).parent, 6);
  EXPECT_EQ(knomial_node(6, 0, 9, 3).parent, 0);
  EXPECT_EQ(knomial_node(3, 0, 9, 3).span, 3);
  EXPECT_EQ(knomial_node(0, 0, 9, 3).children[0].span, 3);
}

TEST(Knomial, RadixTwoIsTheBinomialTree) {
  EXPECT_EQ(child_ranks(knomial_node(0, 0, 8, 2)), (std::vector<int>{4, 2, 1}));
  EXPECT_EQ(child_ranks(knomial_node(4, 0, 8, 2)), (std::vector<int>{6, 5}));
  EXPECT_EQ(knomial_node(7, 0, 8, 2).parent, 6);
  EXPECT_EQ(knomial_node(6, 0, 8, 2).parent, 4);
}

TEST(Knomial, RootMovesTheTreeRound) {
  // n = 5, root 3, radix 4: relative ranks 0..4 are ranks 3, 4, 0, 1, 2.
  EXPECT_EQ(child_ranks(knomial_node(3, 3, 5, 4)), (std::vector<int>{2, 4, 0, 1}));
  EXPECT_EQ(knomial_node(2, 3, 5, 4).parent, 3);
  EXPECT_EQ(knomial_node(2, 3, 5, 4).relative, 4);
  EXPECT_EQ(knomial_node(2, 3, 5, 4).span, 1);
}

// Every shape: parent and child agree, the subtrees tile the ranks, and the depth is
// at most ceil(log_k n).
TEST(Knomial, EveryTreeIsConsistentAndShallow) {
  for (int radix = 2; radix <= 6; ++radix) {
    for (int n = 1; n <= 40; ++n) {
      int depth_bound = 0;
      for (long long reach = 1; reach < n; reach *= radix)
        ++depth_bound;
      for (int root : {0, n - 1, n / 2}) {
        int max_depth = 0;
        for (int r = 0; r < n; ++r) {
          const auto node = knomial_node(r, root, n, radix);
          EXPECT_EQ(node.parent < 0, r == root);
          int spans = 1;
          for (const auto& c : node.children) {
            EXPECT_EQ(knomial_node(c.rank, root, n, radix).parent, r);
            EXPECT_EQ(knomial_node(c.rank, root, n, radix).span, c.span);
            spans += c.span;
          }
          EXPECT_EQ(spans, node.span) << "n=" << n << " radix " << radix << " rank " << r;
          int depth = 0;
          for (int at = r; at != root; at = knomial_node(at, root, n, radix).parent)
            ++depth;
          max_depth = std::max(max_depth, depth);
        }
        EXPECT_EQ(knomial_node(root, root, n, radix).span, n);
        EXPECT_LE(max_depth, depth_bound) << "n=" << n << " radix " << radix;
      }
    }
  }
}

TEST(Knomial, RejectsBadArguments) {
  EXPECT_THROW(knomial_node(0, 0, 4, 1), std::invalid_argument);
  EXPECT_THROW(knomial_node(4, 0, 4, 2), std::invalid_argument);
  EXPECT_THROW(knomial_node(0, 4, 4, 2), std::invalid_argument);
}

}  // namespace
}  // namespace fb::topo
