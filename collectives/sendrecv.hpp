// Send/receive over a Transport: every rank sends its buffer to rank r+1 and receives rank
// r-1's into its receive buffer (mod n), all pairs at once. Not in place.
#pragma once

#include <memory>

#include "collectives/algorithm.hpp"

namespace fb {

std::unique_ptr<Algorithm> make_ring_sendrecv(const AlgorithmContext& ctx);

}  // namespace fb
