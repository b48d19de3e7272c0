// Ring arithmetic: neighbours and the split of a buffer into one block per rank.
#pragma once

#include <cstddef>

namespace fb::topo {

struct RingNeighbours {
  int left;   // receives from
  int right;  // sends to
};

// Ring in rank order: rank r sends to r+1 and receives from r-1 (mod n).
RingNeighbours ring_neighbours(int rank, int n);

// Block b of `count` elements split into `n` blocks whose sizes differ by at most one,
// the larger blocks first.
struct Block {
  std::size_t offset;  // in elements
  std::size_t count;
};
Block ring_block(std::size_t count, int n, int b);

// Index in 0..n-1 of (x mod n) for any integer x.
inline int wrap(long long x, int n) {
  const long long m = x % n;
  return static_cast<int>(m < 0 ? m + n : m);
}

}  // namespace fb::topo
