#include "topologies/tree.hpp"

#include <stdexcept>
#include <string>

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

std::string_view to_string(TreeShape shape) {
  return shape == TreeShape::binomial ? "binomial" : "chain";
}

RootedTree rooted_tree(TreeShape shape, int rank, int root, int n) {
  if (n < 1 || rank < 0 || rank >= n || root < 0 || root >= n) {
    throw std::invalid_argument("rooted tree: rank " + std::to_string(rank) + " or root " +
                                std::to_string(root) + " out of range 0.." + std::to_string(n - 1));
  }
  RootedTree tree;
  const int v = (rank - root + n) % n;  // rank relative to the root
  auto absolute = [&](int relative) { return (relative + root) % n; };
  if (shape == TreeShape::chain) {
    if (v > 0) tree.parent = absolute(v - 1);
    if (v + 1 < n) tree.children.push_back(absolute(v + 1));
    return tree;
  }
  // Binomial: children v + 2^k for 2^k below v's lowest set bit (the root: below n).
  int limit = n;
  if (v > 0) {
    const int low = lowest_bit(v);
    tree.parent = absolute(v - low);
    limit = low;
  }
  int top = 1;
  while (top * 2 < limit)
    top *= 2;
  for (int step = top; step >= 1; step /= 2) {
    if (step < limit && v + step < n) tree.children.push_back(absolute(v + step));
  }
  return tree;
}

}  // namespace fb::topo
