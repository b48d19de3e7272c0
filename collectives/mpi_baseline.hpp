#pragma once

#include <memory>

#include "collectives/algorithm.hpp"

namespace fb {
// The MPI library's own MPI_Allreduce, on a private duplicate of the bootstrap communicator.
std::unique_ptr<Algorithm> make_mpi_allreduce(const AlgorithmContext& ctx);
}  // namespace fb
