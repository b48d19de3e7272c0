#include "collectives/mpi_types.hpp"

#include <stdexcept>
#include <string>

namespace fb {

MPI_Datatype mpi_datatype(DType t) {
  switch (t) {
    case DType::int8:
      return MPI_INT8_T;
    case DType::uint8:
      return MPI_UINT8_T;
    case DType::int32:
      return MPI_INT32_T;
    case DType::uint32:
      return MPI_UINT32_T;
    case DType::int64:
      return MPI_INT64_T;
    case DType::uint64:
      return MPI_UINT64_T;
    case DType::float16:
    case DType::bfloat16:
      return MPI_UINT16_T;
    case DType::float32:
      return MPI_FLOAT;
    case DType::float64:
      return MPI_DOUBLE;
  }
  throw std::invalid_argument("mpi: unknown dtype");
}

MPI_Op mpi_op(ReduceOp op) {
  switch (op) {
    case ReduceOp::sum:
      return MPI_SUM;
    case ReduceOp::prod:
      return MPI_PROD;
    case ReduceOp::min:
      return MPI_MIN;
    case ReduceOp::max:
      return MPI_MAX;
    case ReduceOp::avg:
      break;
  }
  throw std::invalid_argument("mpi: no MPI operation for " + std::string(to_string(op)));
}

bool mpi_can_reduce(DType t, ReduceOp op) {
  return op != ReduceOp::avg && t != DType::float16 && t != DType::bfloat16;
}

}  // namespace fb
