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

namespace fb {

enum class TreeShape { binomial, chain };

std::string_view to_string(TreeShape shape);

// What a tree pipeline was doing, for timeouts: "binomial broadcast chunk 3 of 10 from parent".
std::string chunk_context(TreeShape shape, std::string_view collective, std::size_t chunk,
                          std::size_t chunks, std::string_view where);

// One rank's place in a tree over n ranks rooted at `root`. Ranks are renumbered relative
// to the root (v = (rank - root) mod n), so every root gets the same shape.
//
//   binomial, n = 8 (relative ranks)       chain, n = 4
//
//            0                             0 -> 1 -> 2 -> 3
//         /  |  \   .
//        4   2   1
//       / \  |
//      6   5 3
//      |
//      7
//
// Binomial: v's parent is v with its lowest set bit cleared; its children are v + 2^k for
// every 2^k below v's lowest set bit (every 2^k < n at the root) that is < n. They are
// listed largest subtree first, the order in which a broadcast should serve them.
struct RootedTree {
  int parent = -1;            // -1 at the root
  std::vector<int> children;  // ranks, largest subtree first
};

RootedTree rooted_tree(TreeShape shape, int rank, int root, int n);

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
