// Binary and double binary trees over n ranks.
//
// The binary tree is the in-order tree of positions 1..n: a position p whose lowest set bit
// is b has children p - b/2 and p + b/2 (the right child walks down to p + b/4, p + b/8, ...
// while it would fall past n). Odd positions are leaves, even positions are inner nodes, and
// the root is the largest power of two <= n. For n = 6:
//
//              4
//            /   \   .
//           2     6
//          / \   /
//         1   3 5
//
// The double binary tree (as in NCCL) runs two such trees at once, each carrying half of
// the data, arranged so that no rank is an inner node in both: tree 0 puts rank r at
// position r + 1 (inner nodes: odd ranks); tree 1 mirrors it for even n (rank r at position
// n - r, inner nodes: even ranks) and shifts it for odd n (rank r at position r, rank 0 at
// position n: inner nodes: even ranks >= 2). Every rank is thus a leaf in at least one tree
// and does the inner-node work (receive two, send three) in at most one.
#pragma once

#include <array>
#include <string_view>
#include <vector>

namespace fb::topo {

struct TreeNode {
  int parent = -1;                      // -1 at the root
  std::array<int, 2> children{-1, -1};  // -1 where absent; a present child comes first
  int n_children() const { return (children[0] >= 0 ? 1 : 0) + (children[1] >= 0 ? 1 : 0); }
  bool is_leaf() const { return children[0] < 0; }
};

// Position-space tree (positions 1..n, 0 meaning "none").
struct PositionNode {
  int parent = 0;
  std::array<int, 2> children{0, 0};
};
PositionNode binary_tree_position(int position, int n);
int binary_tree_root_position(int n);

// Rank-space trees of the double binary tree; `tree` is 0 or 1.
int double_tree_position(int tree, int rank, int n);
int double_tree_rank(int tree, int position, int n);
TreeNode double_tree_node(int tree, int rank, int n);
int double_tree_root(int tree, int n);

// Rooted trees of broadcast and reduce (which runs the same edges towards the root). One
// rank's place in a tree over n ranks rooted at `root`: ranks are renumbered relative to the
// root (v = (rank - root) mod n), so every root gets the same shape.
//
//   binomial, n = 8 (relative ranks)       chain, n = 4
//
//            0                             0 -> 1 -> 2 -> 3
//         /  |  \   .
//        4   2   1
//       / \  |
//      6   5 3
//      |
//      7
//
// Binomial: v's parent is v with its lowest set bit cleared; its children are v + 2^k for
// every 2^k below v's lowest set bit (every 2^k < n at the root) that is < n. They are
// listed largest subtree first, the order in which a broadcast should serve them.
enum class TreeShape : unsigned char { binomial, chain };
std::string_view to_string(TreeShape shape);

struct RootedTree {
  int parent = -1;            // -1 at the root
  std::vector<int> children;  // ranks, largest subtree first
};
RootedTree rooted_tree(TreeShape shape, int rank, int root, int n);

}  // namespace fb::topo
