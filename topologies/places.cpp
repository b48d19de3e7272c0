#include "topologies/places.hpp"

#include <stdexcept>
#include <string>
#include <utility>

namespace fb::topo {

namespace {
int wrap(long long x, int n) {
  const long long m = x % n;
  return static_cast<int>(m < 0 ? m + n : m);
}
}  // namespace

Places::Places(std::vector<int> order, const std::vector<int>& host_of_rank)
    : order_(std::move(order)), place_(order_.size(), -1) {
  const auto n = static_cast<int>(order_.size());
  for (int p = 0; p < n; ++p) {
    const int r = order_[static_cast<std::size_t>(p)];
    if (r < 0 || r >= n || place_[static_cast<std::size_t>(r)] >= 0) {
      throw std::invalid_argument("places: the order is not a permutation of 0.." +
                                  std::to_string(n - 1) + " (rank " + std::to_string(r) +
                                  " at place " + std::to_string(p) + ")");
    }
    place_[static_cast<std::size_t>(r)] = p;
  }
  if (!host_of_rank.empty() && static_cast<int>(host_of_rank.size()) != n) {
    throw std::invalid_argument("places: " + std::to_string(host_of_rank.size()) +
                                " host entries for " + std::to_string(n) + " ranks");
  }
  auto host_at = [&](int p) {
    const int r = order_[static_cast<std::size_t>(p)];
    return host_of_rank.empty() ? r : host_of_rank[static_cast<std::size_t>(r)];
  };
  run_begin_.resize(order_.size());
  run_size_.resize(order_.size());
  for (int begin = 0; begin < n;) {
    int end = begin + 1;
    while (end < n && host_at(end) == host_at(begin))
      ++end;
    for (int p = begin; p < end; ++p) {
      run_begin_[static_cast<std::size_t>(p)] = begin;
      run_size_[static_cast<std::size_t>(p)] = end - begin;
    }
    begin = end;
  }
}

std::size_t Places::checked(int index) const {
  if (index < 0 || static_cast<std::size_t>(index) >= order_.size()) {
    throw std::out_of_range("places: " + std::to_string(index) + " out of range 0.." +
                            std::to_string(static_cast<int>(order_.size()) - 1));
  }
  return static_cast<std::size_t>(index);
}

// The root's run occupies rooted places [0, size) from the root on; every other place p
// keeps its distance from the run's start: (p - begin) mod n.
int Places::rooted_place_of(int rank, int root, int n) const {
  if (identity()) return wrap(static_cast<long long>(rank) - root, n);
  const int p = place_of(rank);
  const int root_place = place_of(root);
  const int begin = run_begin_[static_cast<std::size_t>(root_place)];
  const int size = run_size_[static_cast<std::size_t>(root_place)];
  if (p >= begin && p < begin + size) return wrap(p - root_place, size);
  return wrap(p - begin, n);
}

int Places::rank_at_rooted(int place, int root, int n) const {
  if (identity()) return wrap(static_cast<long long>(place) + root, n);
  if (place < 0 || place >= n) (void)checked(-1);  // out of range: the same error
  const int root_place = place_of(root);
  const int begin = run_begin_[static_cast<std::size_t>(root_place)];
  const int size = run_size_[static_cast<std::size_t>(root_place)];
  if (place < size) return rank_at(begin + wrap(root_place - begin + place, size));
  return rank_at(wrap(static_cast<long long>(place) + begin, n));
}

TreeNode double_tree_node(int tree, int rank, int n, const Places& places) {
  auto node = double_tree_node(tree, places.place_of(rank), n);
  if (node.parent >= 0) node.parent = places.rank_at(node.parent);
  for (auto& child : node.children)
    if (child >= 0) child = places.rank_at(child);
  return node;
}

RootedTree rooted_tree(TreeShape shape, int rank, int root, int n, const Places& places) {
  auto tree = rooted_tree(shape, places.rooted_place_of(rank, root, n), 0, n);
  if (tree.parent >= 0) tree.parent = places.rank_at_rooted(tree.parent, root, n);
  for (auto& child : tree.children)
    child = places.rank_at_rooted(child, root, n);
  return tree;
}

KnomialNode knomial_node(int rank, int root, int n, int radix, const Places& places) {
  auto node = knomial_node(places.rooted_place_of(rank, root, n), 0, n, radix);
  if (node.parent >= 0) node.parent = places.rank_at_rooted(node.parent, root, n);
  for (auto& child : node.children)
    child.rank = places.rank_at_rooted(child.rank, root, n);
  return node;
}

}  // namespace fb::topo
