// Our datatypes and ops in MPI's terms, for the MPI baselines.
#pragma once

#include <mpi.h>

#include "core/types.hpp"

namespace fb {

// The MPI datatype of an element. float16 and bfloat16 have none: they map to
// MPI_UINT16_T, which moves them correctly but cannot reduce them.
MPI_Datatype mpi_datatype(DType t);
// MPI_SUM, MPI_PROD, MPI_MIN, MPI_MAX; throws for avg, which MPI does not have.
MPI_Op mpi_op(ReduceOp op);
// Can the MPI library reduce this pair itself? (Not half types, not avg.)
bool mpi_can_reduce(DType t, ReduceOp op);

}  // namespace fb
