// Reduce over a Transport: pipelined binomial tree and pipelined chain towards the root
// (the trees of collectives/broadcast.hpp, edges run from the leaves up). Only the root's
// receive buffer is written; other ranks' receive buffers are left untouched.
#pragma once

#include <memory>

#include "collectives/algorithm.hpp"

namespace fb {

std::unique_ptr<Algorithm> make_binomial_reduce(const AlgorithmContext& ctx);
std::unique_ptr<Algorithm> make_chain_reduce(const AlgorithmContext& ctx);

}  // namespace fb
