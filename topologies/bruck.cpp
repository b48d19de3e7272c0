#include "topologies/bruck.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "topologies/ring.hpp"

namespace fb::topo {

int bruck_steps(int n) {
  if (n < 1) throw std::invalid_argument("bruck: needs at least one rank");
  int steps = 0;
  for (long long d = 1; d < n; d *= 2)
    ++steps;
  return steps;
}

BruckStep bruck_allgather_step(int rank, int n, int step) {
  if (n < 1 || rank < 0 || rank >= n || step < 0 || step >= bruck_steps(n)) {
    throw std::invalid_argument("bruck: rank " + std::to_string(rank) + ", step " +
                                std::to_string(step) + " out of range for " + std::to_string(n) +
                                " ranks");
  }
  const int d = 1 << step;
  return {wrap(static_cast<long long>(rank) - d, n), wrap(static_cast<long long>(rank) + d, n),
          rank, wrap(static_cast<long long>(rank) + d, n), std::min(d, n - d)};
}

int bruck_block(int rank, int j, int n) {
  if (n < 1 || rank < 0 || rank >= n || j < 0 || j >= n)
    throw std::invalid_argument("bruck: block index out of range");
  return wrap(static_cast<long long>(rank) + j, n);
}

BlockRuns wrapped_runs(int first, int count, int n) {
  if (n < 1 || first < 0 || first >= n || count < 0 || count > n)
    throw std::invalid_argument("bruck: block run out of range");
  BlockRuns r;
  if (count == 0) return r;
  if (first + count <= n) {
    r.runs[0] = {first, count};
    r.size = 1;
    return r;
  }
  r.runs = {BlockRun{first, n - first}, BlockRun{0, first + count - n}};
  r.size = 2;
  return r;
}

}  // namespace fb::topo
