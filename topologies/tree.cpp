#include "topologies/tree.hpp"

#include <stdexcept>

namespace fb::topo {

namespace {
int lowest_bit(int x) {
  return x & -x;
}

void check(int position, int n) {
  if (n < 1 || position < 1 || position > n) {
    throw std::invalid_argument("binary tree: position " + std::to_string(position) +
                                " out of range 1.." + std::to_string(n));
  }
}
}  // namespace

int binary_tree_root_position(int n) {
  if (n < 1) throw std::invalid_argument("binary tree: n must be >= 1");
  int root = 1;
  while (root * 2 <= n)
    root *= 2;
  return root;
}

PositionNode binary_tree_position(int position, int n) {
  check(position, n);
  PositionNode node;
  const int b = lowest_bit(position);
  if (position != binary_tree_root_position(n)) {
    // Parent has lowest bit 2b: p + b or p - b, whichever clears bit b into bit 2b; when
    // that is past n, the parent is the nearest ancestor to the left (p with bit b cleared),
    // whose right child walked down to us.
    const int up = (position ^ b) | (b << 1);
    node.parent = up > n ? (position ^ b) : up;
  }
  if (b > 1) {
    node.children[0] = position - b / 2;
    for (int step = b / 2; step > 0; step /= 2) {
      if (position + step <= n) {
        node.children[1] = position + step;
        break;
      }
    }
  }
  return node;
}

int double_tree_position(int tree, int rank, int n) {
  if (rank < 0 || rank >= n) throw std::invalid_argument("double tree: rank out of range");
  if (tree == 0) return rank + 1;
  if (n % 2 == 0) return n - rank;  // mirror
  return rank == 0 ? n : rank;      // shift
}

int double_tree_rank(int tree, int position, int n) {
  check(position, n);
  if (tree == 0) return position - 1;
  if (n % 2 == 0) return n - position;
  return position == n ? 0 : position;
}

TreeNode double_tree_node(int tree, int rank, int n) {
  if (tree != 0 && tree != 1) throw std::invalid_argument("double tree: tree must be 0 or 1");
  const auto pos = binary_tree_position(double_tree_position(tree, rank, n), n);
  TreeNode node;
  if (pos.parent > 0) node.parent = double_tree_rank(tree, pos.parent, n);
  int slot = 0;
  for (const int child : pos.children) {
    if (child > 0)
      node.children[static_cast<std::size_t>(slot++)] = double_tree_rank(tree, child, n);
  }
  return node;
}

int double_tree_root(int tree, int n) {
  return double_tree_rank(tree, binary_tree_root_position(n), n);
}

}  // namespace fb::topo
