// Names of datatypes and ops for error messages, the same as collectives/types.cpp gives
// (fb_gpu does not link fb_collectives, which may come to depend on it).
#pragma once

#include "collectives/types.hpp"

namespace fb::gpu::detail {

constexpr const char* dtype_name(DType t) {
  switch (t) {
    case DType::int8:
      return "int8";
    case DType::uint8:
      return "uint8";
    case DType::int32:
      return "int32";
    case DType::uint32:
      return "uint32";
    case DType::int64:
      return "int64";
    case DType::uint64:
      return "uint64";
    case DType::float16:
      return "float16";
    case DType::bfloat16:
      return "bfloat16";
    case DType::float32:
      return "float32";
    case DType::float64:
      return "float64";
  }
  return "invalid datatype";
}

constexpr const char* op_name(ReduceOp op) {
  switch (op) {
    case ReduceOp::sum:
      return "sum";
    case ReduceOp::prod:
      return "prod";
    case ReduceOp::min:
      return "min";
    case ReduceOp::max:
      return "max";
    case ReduceOp::avg:
      return "avg";
  }
  return "invalid op";
}

}  // namespace fb::gpu::detail
