#pragma once

#include <memory>

#include "collectives/algorithm.hpp"

namespace fb {
// k-nomial trees (topologies/knomial.hpp, radix AlgorithmOptions::knomial_radix): depth
// ceil(log_k n), each message the whole buffer (no pipelining: the small and medium sizes).
// Broadcast goes down from the root, reduce folds up towards it.
std::unique_ptr<Algorithm> make_knomial_broadcast(const AlgorithmContext& ctx);
std::unique_ptr<Algorithm> make_knomial_reduce(const AlgorithmContext& ctx);
}  // namespace fb
