// Broadcast over a Transport: pipelined binomial tree and pipelined chain, both from any
// root. The rooted trees (topologies/tree.hpp) are also the shapes of the reduce algorithms
// (collectives/reduce.hpp), which run the same edges in the opposite direction.
#pragma once

#include <memory>

#include "collectives/algorithm.hpp"

namespace fb {

// Pipelined broadcast: the buffer travels in chunks of tree_chunk_bytes, tree_slots chunks
// in flight per link, and every rank forwards a chunk as soon as it has it.
std::unique_ptr<Algorithm> make_binomial_broadcast(const AlgorithmContext& ctx);
std::unique_ptr<Algorithm> make_chain_broadcast(const AlgorithmContext& ctx);

}  // namespace fb
