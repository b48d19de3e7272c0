// The k-nomial tree over n ranks rooted at any rank (k = 2 is the binomial tree).
//
// Ranks are renumbered relative to the root, v = (rank - root) mod n. Written in base k, v's
// parent is v with its lowest non-zero digit cleared; its children are v + m k^j for every
// place value k^j below that digit (every k^j < n at the root) and m = 1..k-1, where < n.
// v's subtree is the relative ranks [v, v + k^i) (cut at n), k^i the place value of its
// lowest non-zero digit, so the depth is ceil(log_k n) and a rank has up to (k-1) per
// level below it. n = 9, k = 3 (relative ranks):
//
//              0
//          /  / \  \     .
//         3  6   1  2
//        / \ | \    .
//       4  5 7 8
//
// Children are listed largest subtree first, the order in which a broadcast serves them.
#pragma once

#include <vector>

namespace fb::topo {

struct KnomialChild {
  int rank;  // absolute
  int span;  // relative ranks its subtree covers, itself included
};

struct KnomialNode {
  int relative = 0;  // (rank - root) mod n
  int parent = -1;   // absolute; -1 at the root
  int span = 1;      // relative ranks [relative, relative + span) are this subtree
  std::vector<KnomialChild> children;
};

// Radix 2..64.
KnomialNode knomial_node(int rank, int root, int n, int radix);

}  // namespace fb::topo
