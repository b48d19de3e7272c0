#pragma once

#include <memory>

#include "collectives/algorithm.hpp"

namespace fb {
// Bruck's all-gather (topologies/bruck.hpp): ceil(log2 n) steps for any rank count, the
// blocks placed straight at their offsets in the output.
std::unique_ptr<Algorithm> make_bruck_allgather(const AlgorithmContext& ctx);
}  // namespace fb
