#pragma once

#include <memory>

#include "collectives/algorithm.hpp"

namespace fb {
std::unique_ptr<Algorithm> make_hierarchical_allreduce(const AlgorithmContext& ctx);
std::unique_ptr<Algorithm> make_hierarchical_reducescatter(const AlgorithmContext& ctx);
std::unique_ptr<Algorithm> make_hierarchical_allgather(const AlgorithmContext& ctx);
}  // namespace fb
