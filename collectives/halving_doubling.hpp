#pragma once

#include <memory>

#include "collectives/algorithm.hpp"

namespace fb {
// Rabenseifner's all-reduce: recursive-halving reduce-scatter, recursive-doubling
// all-gather, with a fold-in step for rank counts that are not powers of two.
std::unique_ptr<Algorithm> make_halving_doubling_allreduce(const AlgorithmContext& ctx);
}  // namespace fb
