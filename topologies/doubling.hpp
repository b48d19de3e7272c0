// Recursive doubling over any rank count, and the fold that makes any count a power of two.
//
// With p the largest power of two <= n and rem = n - p, the first 2*rem ranks pair up:
// even rank 2i gives its data to 2i+1 (it is "folded out") and waits for the result; odd
// rank 2i+1 becomes participant i; every rank r >= 2*rem becomes participant r - rem. The
// p participants then run log2(p) steps; at step s participant v works with v ^ 2^s.
// n = 6 (p = 4, rem = 2):
//
//   real ranks     0  1  2  3  4  5
//   participant    -  0  -  1  2  3       (0 folds into 1, 2 into 3)
//   step 0 pairs      1<->3     4<->5     (participants 0<->1, 2<->3)
//   step 1 pairs      1<->4     3<->5     (participants 0<->2, 1<->3)
//
// Participant v stands for the real ranks [first_rank(v), first_rank(v + 1)): two for
// v < rem, one otherwise. These ranges are contiguous and in order, so before step s a
// participant holds the contributions of the 2^s participants of its aligned group, which
// are one contiguous run of real ranks (what the all-gather moves in one message).
#pragma once

namespace fb::topo {

struct DoublingFold {
  int participants = 1;  // p, the largest power of two <= n
  int folded = 0;        // rem = n - p pairs fold
  // This rank's place: its participant number, or -1 when it is folded out.
  int participant = -1;
  // The fold partner (real rank): the odd rank an even one folds into, the even rank an odd
  // one receives from; -1 when the rank takes no part in the fold.
  int fold_partner = -1;
  int steps = 0;  // log2(p)
  bool folded_out() const { return participant < 0; }
};

DoublingFold doubling_fold(int rank, int n);

// The real rank of participant v (the odd rank of a folded pair).
int doubling_real_rank(int participant, int n);

// The first real rank participant v stands for; first_rank(p) == n.
int doubling_first_rank(int participant, int n);

// The participant that participant v works with at step s: v ^ 2^s.
int doubling_partner(int participant, int step);

// The participants whose data participant v holds before step s: [lo, lo + 2^s), the
// aligned group of 2^s that contains v.
struct ParticipantRange {
  int lo;
  int hi;  // one past the last
};
ParticipantRange doubling_held(int participant, int step);

}  // namespace fb::topo
