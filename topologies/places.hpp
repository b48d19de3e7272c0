// Ranks renumbered by their place in an order (RankLayout::order): a pattern (a tree, a
// ring) is built over the places 0..n-1 and its peers mapped back to ranks. With the
// topology order a host's ranks hold consecutive places and a leaf's hosts follow each
// other, so the subtrees of a binomial or binary tree, which cover runs of consecutive
// places, stay inside a host first and a leaf next: a tree crosses each uplink as few
// times as its shape allows, as the ring does.
//
// A rooted tree (broadcast, reduce) numbers places from its root. Rotating the whole order
// to start at the root would cut the hosts' runs of places at arbitrary points, so the
// rooted numbering rotates by runs instead: the root's run first, starting at the root and
// wrapping inside the run, then the other runs in order. Runs are the maximal stretches of
// the order on one host; with no hosts given every rank is a run of its own, and the rooted
// numbering is the plain rotation (rank - root) mod n.
//
//   ranks 0..7 on hosts A B A B A B A B; topology order 0 2 4 6 | 1 3 5 7
//
//   rooted at rank 0   places 0 1 2 3 | 4 5 6 7      binomial tree over places:
//                      ranks  0 2 4 6 | 1 3 5 7        0 -> {4, 2, 1}, 2 -> 3,
//   rooted at rank 4   places 0 1 2 3 | 4 5 6 7        4 -> {6, 5}, 6 -> 7
//                      ranks  4 6 0 2 | 1 3 5 7      one edge (0 -> 4) leaves the host
#pragma once

#include <vector>

#include "topologies/knomial.hpp"
#include "topologies/tree.hpp"

namespace fb::topo {

class Places {
 public:
  // Rank order, every rank a run of its own, for any n.
  Places() = default;
  // `order` lists the ranks by place: a permutation of 0..n-1 (std::invalid_argument if not).
  // `host_of_rank`, when given (n entries), names each rank's host: consecutive places on
  // one host form a run.
  explicit Places(std::vector<int> order, const std::vector<int>& host_of_rank = {});

  bool identity() const { return order_.empty(); }
  int place_of(int rank) const { return identity() ? rank : place_[checked(rank)]; }
  int rank_at(int place) const { return identity() ? place : order_[checked(place)]; }

  // Places numbered from `root` (see above), over n ranks.
  int rooted_place_of(int rank, int root, int n) const;
  int rank_at_rooted(int place, int root, int n) const;

 private:
  std::size_t checked(int index) const;
  std::vector<int> order_;      // rank at each place
  std::vector<int> place_;      // place of each rank
  std::vector<int> run_begin_;  // per place: the first place of its run
  std::vector<int> run_size_;   // per place: the length of its run
};

// The trees of tree.hpp and knomial.hpp built over places and returned in ranks: `rank`,
// `root`, and every parent and child are ranks. Rooted trees use the rooted numbering;
// KnomialNode::relative and the spans are rooted places.
TreeNode double_tree_node(int tree, int rank, int n, const Places& places);
RootedTree rooted_tree(TreeShape shape, int rank, int root, int n, const Places& places);
KnomialNode knomial_node(int rank, int root, int n, int radix, const Places& places);

}  // namespace fb::topo
