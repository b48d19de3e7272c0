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

// The blocks rank `rank` sends and receives at `step` (0..n-2) of a ring phase; it receives
// from its left the block its left neighbour sends. Stand-alone, a reduce-scatter ends with
// rank r owning block r and an all-gather starts from block r; inside an all-reduce the
// reduce-scatter ends owning block r + 1, where the all-gather then starts:
//                                     send at step s     receive
//   all-reduce      reduce-scatter    r - s              r - s - 1
//                   all-gather        r + 1 - s          r - s
//   reduce-scatter                    r - s - 1          r - s - 2
//   all-gather                        r - s              r - s - 1
enum class RingPhase : unsigned char { reduce_scatter, all_gather };
struct RingStep {
  int send;
  int recv;
};
RingStep ring_step(RingPhase phase, bool in_allreduce, int rank, int n, long long step);

// Index in 0..n-1 of (x mod n) for any integer x.
inline int wrap(long long x, int n) {
  const long long m = x % n;
  return static_cast<int>(m < 0 ? m + n : m);
}

}  // namespace fb::topo
