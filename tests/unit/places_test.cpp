// Trees numbered in a layout's order (topologies/places.hpp): the same shapes as in rank
// order, over places, and in the topology order a subtree stays on its host.
#include <gtest/gtest.h>

#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "topologies/places.hpp"

namespace fb::topo {
namespace {

// Ranks 0..7 on hosts A B A B ...: the topology order puts A's ranks first.
const std::vector<int> kAlternating{0, 2, 4, 6, 1, 3, 5, 7};

int host_of(int rank) {
  return rank % 2;
}

std::vector<int> alternating_hosts() {
  std::vector<int> hosts;
  for (int r = 0; r < 8; ++r)
    hosts.push_back(host_of(r));
  return hosts;
}

TEST(Places, MapBothWays) {
  const Places places(kAlternating, alternating_hosts());
  EXPECT_FALSE(places.identity());
  for (int p = 0; p < 8; ++p)
    EXPECT_EQ(places.place_of(places.rank_at(p)), p);
  EXPECT_EQ(places.rank_at(4), 1);
  EXPECT_EQ(places.place_of(6), 3);
  EXPECT_THROW((void)places.rank_at(8), std::out_of_range);
  EXPECT_THROW((void)places.place_of(-1), std::out_of_range);
}

TEST(Places, DefaultIsRankOrder) {
  const Places places;
  EXPECT_TRUE(places.identity());
  EXPECT_EQ(places.rank_at(11), 11);
  EXPECT_EQ(places.place_of(3), 3);
}

TEST(Places, RootedNumberingRotatesByHostRuns) {
  const Places places(kAlternating, alternating_hosts());
  // Rooted at rank 4 (place 2 of host A's run 0..3): 4 6 0 2 | 1 3 5 7.
  const std::vector<int> rooted{4, 6, 0, 2, 1, 3, 5, 7};
  for (int q = 0; q < 8; ++q) {
    EXPECT_EQ(places.rank_at_rooted(q, 4, 8), rooted[static_cast<std::size_t>(q)]) << q;
    EXPECT_EQ(places.rooted_place_of(rooted[static_cast<std::size_t>(q)], 4, 8), q);
  }
  // Rooted at rank 7 (last place of host B's run 4..7): 7 1 3 5 | 0 2 4 6.
  const std::vector<int> from_seven{7, 1, 3, 5, 0, 2, 4, 6};
  for (int q = 0; q < 8; ++q)
    EXPECT_EQ(places.rank_at_rooted(q, 7, 8), from_seven[static_cast<std::size_t>(q)]) << q;
  // Without hosts every rank is a run: the plain rotation from the root's place.
  const Places no_hosts(kAlternating);
  EXPECT_EQ(no_hosts.rank_at_rooted(0, 4, 8), 4);
  EXPECT_EQ(no_hosts.rank_at_rooted(2, 4, 8), 1);
  EXPECT_EQ(no_hosts.rank_at_rooted(7, 4, 8), 2);
  // Rank order: (rank - root) mod n.
  const Places rank_order;
  EXPECT_EQ(rank_order.rooted_place_of(1, 3, 8), 6);
  EXPECT_EQ(rank_order.rank_at_rooted(6, 3, 8), 1);
}

TEST(Places, RejectsWhatIsNotAPermutation) {
  EXPECT_THROW(Places({0, 1, 2}, {0, 0}), std::invalid_argument);
  EXPECT_THROW(Places({0, 1, 1}), std::invalid_argument);
  EXPECT_THROW(Places({0, 3, 1}), std::invalid_argument);
  try {
    Places({2, 0, 2});
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("rank 2 at place 2"), std::string::npos) << e.what();
  }
}

// The number of tree edges between hosts, every rank's parent edge counted once.
template <typename ParentOf>
int host_crossings(int n, ParentOf parent_of) {
  int crossings = 0;
  for (int r = 0; r < n; ++r) {
    const int parent = parent_of(r);
    if (parent >= 0 && host_of(parent) != host_of(r)) ++crossings;
  }
  return crossings;
}

TEST(Places, BinomialTreeInTopologyOrderCrossesHostsOnce) {
  const Places topology(kAlternating, alternating_hosts());
  const Places rank_order;
  for (int root = 0; root < 8; ++root) {
    auto parent_in = [&](const Places& places) {
      return [&](int r) { return rooted_tree(TreeShape::binomial, r, root, 8, places).parent; };
    };
    EXPECT_EQ(host_crossings(8, parent_in(topology)), 1) << "root " << root;
    // In rank order every odd relative rank's parent differs in its lowest bit: 4 crossings.
    EXPECT_EQ(host_crossings(8, parent_in(rank_order)), 4) << "root " << root;
  }
}

TEST(Places, ChainAndKnomialFollowThePlaces) {
  const Places places(kAlternating, alternating_hosts());
  // Chain rooted at rank 2 (place 1): host A's run from there, wrapping, then host B.
  const std::vector<int> chain{2, 4, 6, 0, 1, 3, 5, 7};
  for (std::size_t i = 0; i < chain.size(); ++i) {
    const auto node = rooted_tree(TreeShape::chain, chain[i], 2, 8, places);
    EXPECT_EQ(node.parent, i == 0 ? -1 : chain[i - 1]);
    if (i + 1 < chain.size()) {
      ASSERT_EQ(node.children.size(), 1U);
      EXPECT_EQ(node.children[0], chain[i + 1]);
    } else {
      EXPECT_TRUE(node.children.empty());
    }
  }
  // Radix 4 over 8 places from place 0: children places 4, 1, 2, 3 (ranks 1, 2, 4, 6);
  // place 4's children 5, 6, 7 (ranks 3, 5, 7).
  const auto root = knomial_node(0, 0, 8, 4, places);
  std::set<int> children;
  for (const auto& c : root.children)
    children.insert(c.rank);
  EXPECT_EQ(children, (std::set<int>{1, 2, 4, 6}));
  const auto inner = knomial_node(1, 0, 8, 4, places);
  EXPECT_EQ(inner.relative, 4);
  EXPECT_EQ(inner.parent, 0);
  std::set<int> inner_children;
  for (const auto& c : inner.children)
    inner_children.insert(c.rank);
  EXPECT_EQ(inner_children, (std::set<int>{3, 5, 7}));
}

TEST(Places, DoubleTreeIsAPermutedDoubleTree) {
  // Every rank is reached once in each tree, and the edges are the rank-order tree's edges
  // between places.
  const Places places(kAlternating, alternating_hosts());
  for (int tree = 0; tree < 2; ++tree) {
    for (int r = 0; r < 8; ++r) {
      const auto mapped = double_tree_node(tree, r, 8, places);
      const auto plain = double_tree_node(tree, places.place_of(r), 8);
      EXPECT_EQ(mapped.parent, plain.parent < 0 ? -1 : places.rank_at(plain.parent));
      for (std::size_t c = 0; c < 2; ++c) {
        EXPECT_EQ(mapped.children[c],
                  plain.children[c] < 0 ? -1 : places.rank_at(plain.children[c]));
      }
    }
  }
}

}  // namespace
}  // namespace fb::topo
