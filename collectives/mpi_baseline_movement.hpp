#pragma once

#include <memory>

#include "collectives/algorithm.hpp"

namespace fb {
// The MPI library's own collectives, each on a private duplicate of the bootstrap
// communicator: MPI_Bcast, MPI_Reduce, MPI_Alltoall and MPI_Sendrecv (ring shift).
std::unique_ptr<Algorithm> make_mpi_broadcast(const AlgorithmContext& ctx);
std::unique_ptr<Algorithm> make_mpi_reduce(const AlgorithmContext& ctx);
std::unique_ptr<Algorithm> make_mpi_alltoall(const AlgorithmContext& ctx);
std::unique_ptr<Algorithm> make_mpi_sendrecv(const AlgorithmContext& ctx);
}  // namespace fb
