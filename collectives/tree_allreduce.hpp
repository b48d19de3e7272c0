#pragma once

#include <memory>

#include "collectives/algorithm.hpp"

namespace fb {
std::unique_ptr<Algorithm> make_tree_allreduce(const AlgorithmContext& ctx);
}
