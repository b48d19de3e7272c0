#include "topologies/halving_doubling.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace fb::topo {

namespace {
int largest_power_of_two(int n) {
  int p = 1;
  while (p <= n / 2)
    p *= 2;
  return p;
}
}  // namespace

HdFold hd_fold(int rank, int n) {
  if (n < 1 || rank < 0 || rank >= n) {
    throw std::invalid_argument("halving-doubling: rank " + std::to_string(rank) +
                                " out of range 0.." + std::to_string(n - 1));
  }
  HdFold f;
  f.p = largest_power_of_two(n);
  f.rem = n - f.p;
  if (rank >= 2 * f.rem) {
    f.new_rank = rank - f.rem;
  } else if (rank % 2 == 0) {
    f.role = HdFold::Role::hands_over;
    f.partner = rank + 1;
  } else {
    f.role = HdFold::Role::takes_in;
    f.partner = rank - 1;
    f.new_rank = rank / 2;
  }
  return f;
}

int hd_real_rank(int new_rank, int n) {
  const int p = largest_power_of_two(n);
  const int rem = n - p;
  if (new_rank < 0 || new_rank >= p) {
    throw std::invalid_argument("halving-doubling: participant " + std::to_string(new_rank) +
                                " out of range 0.." + std::to_string(p - 1));
  }
  return new_rank < rem ? 2 * new_rank + 1 : new_rank + rem;
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
