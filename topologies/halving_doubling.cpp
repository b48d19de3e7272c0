#include "topologies/halving_doubling.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "topologies/doubling.hpp"

namespace fb::topo {

// The fold is recursive doubling's (topologies/doubling.hpp), in halving-doubling's words.
HdFold hd_fold(int rank, int n) {
  const DoublingFold d = doubling_fold(rank, n);
  HdFold f;
  f.p = d.participants;
  f.rem = d.folded;
  f.partner = d.fold_partner;
  f.new_rank = d.participant;
  f.role = d.fold_partner < 0 ? HdFold::Role::plain
           : d.folded_out()   ? HdFold::Role::hands_over
                              : HdFold::Role::takes_in;
  return f;
}

int hd_real_rank(int new_rank, int n) {
  return doubling_real_rank(new_rank, n);
}

HalvingStep hd_halving_step(int new_rank, int n, BlockRange current, int d) {
  const int mid = current.lo + (current.hi - current.lo) / 2;
  const BlockRange low{current.lo, mid};
  const BlockRange high{mid, current.hi};
  const bool keep_low = (new_rank & d) == 0;
  return {hd_real_rank(new_rank ^ d, n), keep_low ? low : high, keep_low ? high : low};
}

DoublingStep hd_doubling_step(int new_rank, int n, BlockRange current, int d) {
  const int width = current.hi - current.lo;
  const int other_lo = (new_rank & d) == 0 ? current.hi : current.lo - width;
  const BlockRange other{other_lo, other_lo + width};
  const int lo = std::min(current.lo, other_lo);
  return {hd_real_rank(new_rank ^ d, n), other, {lo, lo + 2 * width}};
}

}  // namespace fb::topo
