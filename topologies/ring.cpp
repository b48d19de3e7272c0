#include "topologies/ring.hpp"

#include <stdexcept>

namespace fb::topo {

RingNeighbours ring_neighbours(int rank, int n) {
  if (n < 1 || rank < 0 || rank >= n) throw std::invalid_argument("ring_neighbours: bad rank/size");
  return {wrap(rank - 1, n), wrap(rank + 1, n)};
}

Block ring_block(std::size_t count, int n, int b) {
  if (n < 1 || b < 0 || b >= n) throw std::invalid_argument("ring_block: bad block index");
  const auto un = static_cast<std::size_t>(n);
  const auto ub = static_cast<std::size_t>(b);
  const std::size_t base = count / un;
  const std::size_t extra = count % un;  // the first `extra` blocks get one more element
  const std::size_t offset = ub * base + (ub < extra ? ub : extra);
  return {offset, base + (ub < extra ? 1 : 0)};
}

RingStep ring_step(RingPhase phase, bool in_allreduce, int rank, int n, long long step) {
  long long send = rank - step;
  if (phase == RingPhase::reduce_scatter && !in_allreduce) send -= 1;
  if (phase == RingPhase::all_gather && in_allreduce) send += 1;
  return {wrap(send, n), wrap(send - 1, n)};
}

}  // namespace fb::topo
