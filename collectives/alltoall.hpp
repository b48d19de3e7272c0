// All-to-all over a Transport. Block j of the send buffer (count / n elements) goes to
// rank j; block j of the receive buffer comes from rank j. Not in place.
#pragma once

#include <memory>

#include "collectives/algorithm.hpp"

namespace fb {

// n - 1 pairwise exchanges, pairwise_window of them in flight: for large blocks.
std::unique_ptr<Algorithm> make_pairwise_alltoall(const AlgorithmContext& ctx);
// Bruck: ceil(log2 n) rounds of packed blocks, for small blocks (fewer, larger messages at
// the price of moving every block up to log2(n) times). Scratch about twice the buffer.
std::unique_ptr<Algorithm> make_bruck_alltoall(const AlgorithmContext& ctx);

}  // namespace fb
