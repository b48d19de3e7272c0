#pragma once

#include <memory>

#include "collectives/algorithm.hpp"

namespace fb {
// Recursive doubling (topologies/doubling.hpp): log2(p) exchanges of the whole vector, the
// ranks beyond the largest power of two folded in first. The latency-optimal all-reduce
// for small messages: on 2 ranks one exchange.
std::unique_ptr<Algorithm> make_recursive_doubling_allreduce(const AlgorithmContext& ctx);
// The same pattern gathering: each step swaps everything held so far, a doubling run of
// blocks.
std::unique_ptr<Algorithm> make_recursive_doubling_allgather(const AlgorithmContext& ctx);
}  // namespace fb
