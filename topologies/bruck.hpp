// Bruck's all-gather over any rank count, in ceil(log2 n) steps.
//
// Before step s (distance d = 2^s) rank r holds the blocks r, r+1, ..., r+d-1 (mod n). It
// sends the first min(d, n-d) of them to r - d and receives as many from r + d, which are
// the blocks r+d, r+d+1, ...: after the step it holds min(2d, n) blocks in a row. The
// classic algorithm keeps them in a scratch buffer in that order (index j holds block
// r + j, bruck_block) and rotates at the end; placed straight at their own offsets in the
// output, the blocks of one step are one run of consecutive blocks, or two where the run
// wraps past block n-1 (wrapped_runs), and no rotation is needed. n = 5, rank 0:
//
//   step 0 (d=1): send {0} to 4,        receive {1} from 1       holds 0 1
//   step 1 (d=2): send {0,1} to 3,      receive {2,3} from 2     holds 0 1 2 3
//   step 2 (d=4): send {0} to 1,        receive {4} from 4       holds 0 1 2 3 4
#pragma once

#include <array>

namespace fb::topo {

// ceil(log2 n): the steps of Bruck's all-gather (0 for one rank).
int bruck_steps(int n);

struct BruckStep {
  int send_to;
  int recv_from;
  int send_first;  // first block sent (the others follow, mod n)
  int recv_first;  // first block received
  int blocks;      // blocks each way
};
BruckStep bruck_allgather_step(int rank, int n, int step);

// The block at index j of rank r's scratch in the classic, rotated layout: (r + j) mod n.
int bruck_block(int rank, int j, int n);

// Blocks first, first+1, ..., first+count-1 (mod n) as runs of consecutive blocks: one run,
// or two when they wrap past block n-1.
struct BlockRun {
  int first = 0;
  int count = 0;
};
struct BlockRuns {  // iterable, no allocation
  std::array<BlockRun, 2> runs{};
  int size = 0;
  const BlockRun* begin() const { return runs.data(); }
  const BlockRun* end() const { return runs.data() + size; }
};
BlockRuns wrapped_runs(int first, int count, int n);

}  // namespace fb::topo
