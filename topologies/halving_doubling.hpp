// Recursive halving / doubling over any rank count (Rabenseifner's all-reduce).
//
// With p the largest power of two <= n and rem = n - p, the first 2*rem ranks fold in pairs:
// even rank 2i hands its data to 2i+1 and waits, the odd rank represents both as
// participant ("new rank") i; ranks r >= 2*rem are participants r - rem. n = 6 (p = 4):
//
//   fold:     0 -> 1    2 -> 3    4     5          (new ranks 0, 1, 2, 3 = real 1, 3, 4, 5)
//   halving:  d=2: 1 <-> 4, 3 <-> 5    d=1: 1 <-> 3, 4 <-> 5
//   doubling: d=1: 1 <-> 3, 4 <-> 5    d=2: 1 <-> 4, 3 <-> 5
//   unfold:   1 -> 0    3 -> 2
//
// The participants' data is p blocks; a participant's range is a run of blocks [lo, hi).
// Halving at distance d = p/2, ..., 1 splits the range: a participant keeps the lower half
// when bit d of its new rank is clear and gives the other half to new rank ^ d; after
// log2(p) steps it owns block `new rank`. Doubling at d = 1, ..., p/2 swaps the range with
// new rank ^ d, whose range is the same width just above (bit d clear) or below.
#pragma once

namespace fb::topo {

struct HdFold {
  enum class Role : unsigned char {
    hands_over,  // even rank below 2*rem: gives its data to rank + 1, gets the result back
    takes_in,    // odd rank below 2*rem: receives rank - 1's data, represents both
    plain,       // rank >= 2*rem
  };
  int p = 1;    // participants: the largest power of two <= n
  int rem = 0;  // n - p: the folded pairs
  Role role = Role::plain;
  int partner = -1;   // the other rank of the pair; -1 for plain ranks
  int new_rank = -1;  // 0..p-1; -1 when handing over
};
HdFold hd_fold(int rank, int n);

// The real rank of participant `new_rank`.
int hd_real_rank(int new_rank, int n);

struct BlockRange {
  int lo = 0;  // blocks [lo, hi)
  int hi = 0;
  bool operator==(const BlockRange&) const = default;
};
struct HalvingStep {
  int partner = -1;  // real rank exchanged with
  BlockRange keep;
  BlockRange give;
};
// Halving at distance d from range `current`.
HalvingStep hd_halving_step(int new_rank, int n, BlockRange current, int d);

struct DoublingStep {
  int partner = -1;   // real rank exchanged with
  BlockRange other;   // the partner's range, received
  BlockRange merged;  // the range held afterwards
};
// Doubling at distance d from range `current`.
DoublingStep hd_doubling_step(int new_rank, int n, BlockRange current, int d);

}  // namespace fb::topo
