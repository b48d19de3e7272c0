#pragma once

#include <memory>

#include "collectives/algorithm.hpp"

namespace fb {
// The MPI library's own collectives, each on a private duplicate of the bootstrap
// communicator: MPI_Allreduce, MPI_Reduce_scatter_block, MPI_Allgather.
std::unique_ptr<Algorithm> make_mpi_allreduce(const AlgorithmContext& ctx);
std::unique_ptr<Algorithm> make_mpi_reducescatter(const AlgorithmContext& ctx);
std::unique_ptr<Algorithm> make_mpi_allgather(const AlgorithmContext& ctx);
}  // namespace fb
