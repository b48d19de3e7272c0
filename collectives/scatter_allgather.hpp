#pragma once

#include <memory>

#include "collectives/algorithm.hpp"

namespace fb {
// Van de Geijn's broadcast for large messages: a binomial scatter of n blocks from the root,
// then a ring all-gather of them. Each rank sends and receives about 2 (n-1)/n of the
// buffer instead of a tree's log2(n) copies through the root's subtrees.
std::unique_ptr<Algorithm> make_scatter_allgather_broadcast(const AlgorithmContext& ctx);
}  // namespace fb
