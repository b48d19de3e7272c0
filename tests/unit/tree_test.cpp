#include <gtest/gtest.h>

#include <set>
#include <stdexcept>
#include <vector>

#include "topologies/tree.hpp"

namespace fb::topo {
namespace {

// Walks a tree from its root; returns how many times each rank was reached.
std::vector<int> reach_counts(int tree, int n) {
  std::vector<int> reached(static_cast<std::size_t>(n), 0);
  std::vector<int> stack{double_tree_root(tree, n)};
  while (!stack.empty()) {
    const int r = stack.back();
    stack.pop_back();
    if (++reached[static_cast<std::size_t>(r)] > 1) continue;  // a cycle: do not loop forever
    const auto node = double_tree_node(tree, r, n);
    for (const int child : node.children) {
      if (child >= 0) stack.push_back(child);
    }
  }
  return reached;
}

class DoubleTree : public ::testing::TestWithParam<int> {};

TEST_P(DoubleTree, EveryRankReachedExactlyOnce) {
  const int n = GetParam();
  for (int t = 0; t < 2; ++t) {
    const auto reached = reach_counts(t, n);
    for (int r = 0; r < n; ++r)
      EXPECT_EQ(reached[static_cast<std::size_t>(r)], 1) << "tree " << t << " rank " << r;
  }
}

TEST_P(DoubleTree, ParentsAndChildrenAgree) {
  const int n = GetParam();
  for (int t = 0; t < 2; ++t) {
    int roots = 0;
    for (int r = 0; r < n; ++r) {
      const auto node = double_tree_node(t, r, n);
      if (node.parent < 0) {
        ++roots;
        EXPECT_EQ(r, double_tree_root(t, n));
      } else {
        const auto parent = double_tree_node(t, node.parent, n);
        EXPECT_TRUE(parent.children[0] == r || parent.children[1] == r)
            << "tree " << t << ": rank " << r << " names parent " << node.parent
            << " which does not list it as a child";
      }
      for (const int child : node.children) {
        if (child < 0) continue;
        EXPECT_GE(child, 0);
        EXPECT_LT(child, n);
        EXPECT_NE(child, r);
        EXPECT_EQ(double_tree_node(t, child, n).parent, r);
      }
      if (node.children[1] >= 0) {
        EXPECT_GE(node.children[0], 0) << "present child comes first";
      }
    }
    EXPECT_EQ(roots, 1) << "tree " << t;
  }
}

TEST_P(DoubleTree, InnerNodeSetsAreDisjointAndEveryRankIsALeafSomewhere) {
  const int n = GetParam();
  std::set<int> inner[2];
  for (int t = 0; t < 2; ++t) {
    for (int r = 0; r < n; ++r) {
      if (!double_tree_node(t, r, n).is_leaf()) inner[t].insert(r);
    }
  }
  for (const int r : inner[0])
    EXPECT_EQ(inner[1].count(r), 0U) << "rank " << r << " inner in both trees";
  for (int r = 0; r < n; ++r) {
    EXPECT_TRUE(double_tree_node(0, r, n).is_leaf() || double_tree_node(1, r, n).is_leaf());
  }
}

TEST_P(DoubleTree, DepthIsLogarithmic) {
  const int n = GetParam();
  int bound = 1;
  while ((1 << bound) <= n)
    ++bound;  // floor(log2 n) + 1 levels
  for (int t = 0; t < 2; ++t) {
    for (int r = 0; r < n; ++r) {
      int depth = 1;
      for (int p = double_tree_node(t, r, n).parent; p >= 0; p = double_tree_node(t, p, n).parent) {
        ++depth;
        ASSERT_LE(depth, n) << "parent chain does not end";
      }
      EXPECT_LE(depth, bound) << "tree " << t << " rank " << r << " n " << n;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(N1To64, DoubleTree, ::testing::Range(1, 65));

TEST(BinaryTree, SixPositionsMatchTheDiagram) {
  EXPECT_EQ(binary_tree_root_position(6), 4);
  EXPECT_EQ(binary_tree_position(4, 6).children[0], 2);
  EXPECT_EQ(binary_tree_position(4, 6).children[1], 6);
  EXPECT_EQ(binary_tree_position(6, 6).children[0], 5);
  EXPECT_EQ(binary_tree_position(6, 6).children[1], 0);
  EXPECT_EQ(binary_tree_position(5, 6).parent, 6);
  EXPECT_EQ(binary_tree_position(3, 6).parent, 2);
}

TEST(BinaryTree, RightChildWalksDownPastTheEnd) {
  // n = 5: root 4 has children 2 and (4 + 2 = 6 > 5, so) 5.
  EXPECT_EQ(binary_tree_position(4, 5).children[1], 5);
  EXPECT_EQ(binary_tree_position(5, 5).parent, 4);
}

TEST(DoubleTreeMapping, MirrorForEvenShiftForOdd) {
  EXPECT_EQ(double_tree_position(1, 0, 4), 4);
  EXPECT_EQ(double_tree_position(1, 3, 4), 1);
  EXPECT_EQ(double_tree_position(1, 0, 5), 5);
  EXPECT_EQ(double_tree_position(1, 3, 5), 3);
  for (int n = 1; n <= 9; ++n) {
    for (int t = 0; t < 2; ++t) {
      for (int r = 0; r < n; ++r)
        EXPECT_EQ(double_tree_rank(t, double_tree_position(t, r, n), n), r);
    }
  }
}

TEST(DoubleTreeMapping, RejectsBadArguments) {
  EXPECT_THROW(double_tree_node(2, 0, 4), std::invalid_argument);
  EXPECT_THROW(double_tree_node(0, 4, 4), std::invalid_argument);
  EXPECT_THROW(binary_tree_position(0, 4), std::invalid_argument);
  EXPECT_THROW(binary_tree_root_position(0), std::invalid_argument);
}

TEST(RootedTree, BinomialOfEightFromRootZero) {
  EXPECT_EQ(rooted_tree(TreeShape::binomial, 0, 0, 8).children, (std::vector<int>{4, 2, 1}));
  EXPECT_EQ(rooted_tree(TreeShape::binomial, 4, 0, 8).children, (std::vector<int>{6, 5}));
  EXPECT_EQ(rooted_tree(TreeShape::binomial, 6, 0, 8).children, (std::vector<int>{7}));
  EXPECT_EQ(rooted_tree(TreeShape::binomial, 6, 0, 8).parent, 4);
  EXPECT_EQ(rooted_tree(TreeShape::binomial, 3, 0, 8).parent, 2);
  EXPECT_TRUE(rooted_tree(TreeShape::binomial, 7, 0, 8).children.empty());
  EXPECT_EQ(rooted_tree(TreeShape::binomial, 0, 0, 8).parent, -1);
}

TEST(RootedTree, ShapesFollowTheRoot) {
  // Chain from root 2 over 4 ranks: 2 -> 3 -> 0 -> 1.
  EXPECT_EQ(rooted_tree(TreeShape::chain, 2, 2, 4).parent, -1);
  EXPECT_EQ(rooted_tree(TreeShape::chain, 2, 2, 4).children, (std::vector<int>{3}));
  EXPECT_EQ(rooted_tree(TreeShape::chain, 0, 2, 4).parent, 3);
  EXPECT_EQ(rooted_tree(TreeShape::chain, 0, 2, 4).children, (std::vector<int>{1}));
  EXPECT_TRUE(rooted_tree(TreeShape::chain, 1, 2, 4).children.empty());
  // Binomial from root 5 over 6 ranks: relative 0 -> {4, 2, 1} is 5 -> {3, 1, 0}.
  EXPECT_EQ(rooted_tree(TreeShape::binomial, 5, 5, 6).children, (std::vector<int>{3, 1, 0}));
  EXPECT_THROW(rooted_tree(TreeShape::chain, 4, 0, 4), std::invalid_argument);
  EXPECT_THROW(rooted_tree(TreeShape::chain, 0, 4, 4), std::invalid_argument);
}

// Every rank is reached exactly once from the root, parents and children agree, and a
// binomial rank serves its largest subtree first.
TEST(RootedTree, EveryRankOnceAndParentsAgree) {
  for (const auto shape : {TreeShape::binomial, TreeShape::chain}) {
    for (int n = 1; n <= 33; ++n) {
      for (const int root : {0, n / 2, n - 1}) {
        std::vector<int> reached(static_cast<std::size_t>(n), 0);
        std::vector<int> stack{root};
        while (!stack.empty()) {
          const int r = stack.back();
          stack.pop_back();
          if (++reached[static_cast<std::size_t>(r)] > 1) continue;
          const auto tree = rooted_tree(shape, r, root, n);
          EXPECT_EQ(tree.parent < 0, r == root);
          int previous_size = n + 1;
          for (const int child : tree.children) {
            EXPECT_EQ(rooted_tree(shape, child, root, n).parent, r);
            const int v = (child - r + n) % n;  // the child's subtree spans v below it
            EXPECT_LT(v, previous_size) << to_string(shape) << " n=" << n << " rank " << r;
            previous_size = v;
            stack.push_back(child);
          }
        }
        for (int r = 0; r < n; ++r)
          EXPECT_EQ(reached[static_cast<std::size_t>(r)], 1)
              << to_string(shape) << " n=" << n << " root=" << root << " rank=" << r;
      }
    }
  }
}

}  // namespace
}  // namespace fb::topo
