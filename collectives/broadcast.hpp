// Broadcast over a Transport: pipelined binomial tree and pipelined chain, both from any
// root. The rooted trees are also the shapes of the reduce algorithms (collectives/reduce.hpp),
// which run the same edges in the opposite direction.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "collectives/algorithm.hpp"
#include "topologies/tree.hpp"

namespace fb {

// The rooted binomial and chain trees are pure rank maths (topologies/tree.hpp).
using topo::rooted_tree;
using topo::RootedTree;
using topo::to_string;
using topo::TreeShape;

// What a tree pipeline was doing, for timeouts: "binomial broadcast chunk 3 of 10 from parent".
std::string chunk_context(TreeShape shape, std::string_view collective, std::size_t chunk,
                          std::size_t chunks, std::string_view where);

// The pipelining of a tree collective (broadcast, reduce), checked once from the options:
// chunks of tree_chunk_bytes (>= 64), tree_slots (>= 1) of them in flight per link, and the
// deadline of every wait. Throws std::invalid_argument naming `collective`.
struct TreePipeline {
  TreePipeline(const AlgorithmOptions& options, const char* collective);
  std::size_t chunk_bytes;
  std::size_t slots;
  std::chrono::milliseconds timeout;
  // chunk_bytes and slots, for the results file.
  Parameters parameters() const;
};

// Pipelined broadcast: the buffer travels in chunks of tree_chunk_bytes, tree_slots chunks
// in flight per link, and every rank forwards a chunk as soon as it has it.
std::unique_ptr<Algorithm> make_binomial_broadcast(const AlgorithmContext& ctx);
std::unique_ptr<Algorithm> make_chain_broadcast(const AlgorithmContext& ctx);

}  // namespace fb
