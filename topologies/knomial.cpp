#include "topologies/knomial.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace fb::topo {

KnomialNode knomial_node(int rank, int root, int n, int radix) {
  if (n < 1 || rank < 0 || rank >= n || root < 0 || root >= n) {
    throw std::invalid_argument("k-nomial tree: rank " + std::to_string(rank) + " or root " +
                                std::to_string(root) + " out of range for " + std::to_string(n) +
                                " ranks");
  }
  if (radix < 2 || radix > 64) {
    throw std::invalid_argument("k-nomial tree: radix must be 2..64, got " + std::to_string(radix));
  }
  const long long k = radix;
  const long long v = (static_cast<long long>(rank) - root + n) % n;
  auto absolute = [&](long long relative) { return static_cast<int>((relative + root) % n); };
  KnomialNode node;
  node.relative = static_cast<int>(v);
  // The place value of v's lowest non-zero digit bounds its subtree (the root: all of n).
  long long limit = n;
  if (v > 0) {
    long long place = 1;
    while ((v / place) % k == 0)
      place *= k;
    node.parent = absolute(v - (v / place) % k * place);
    limit = place;
  }
  node.span = static_cast<int>(std::min<long long>(limit, n - v));
  std::vector<long long> places;
  for (long long place = 1; place < limit && place < n; place *= k)
    places.push_back(place);
  for (auto it = places.rbegin(); it != places.rend(); ++it) {
    for (long long m = 1; m < k && v + m * *it < n; ++m) {
      const long long child = v + m * *it;
      node.children.push_back({absolute(child), static_cast<int>(std::min(*it, n - child))});
    }
  }
  return node;
}

}  // namespace fb::topo
